//! The benchmark's results: the figures of each server, the Markdown table against the goals,
//! and the JSON summary.

use std::fmt::Write as _;

use serde_json::{Value, json};

/// Bytes in a KiB.
const KIB: f64 = 1024.0;
/// Bytes in a MiB.
const MIB: f64 = 1024.0 * 1024.0;

/// The heartbeat window at the top count.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Connections held.
    pub connections: u64,
    /// Its length.
    pub secs: f64,
    /// Heartbeats (PINGREQs) the clients sent in it.
    pub heartbeats: u64,
    /// Server CPU time (user + system) in it.
    pub cpu_secs: f64,
    /// SQLite: commits by other connections (the WAL index's change counter).
    pub commits: Option<u64>,
    /// SQLite: changes of `PRAGMA data_version` seen, polled every 100 ms (a lower bound).
    pub data_version_changes: Option<u64>,
    /// PostgreSQL: WAL bytes written (`pg_current_wal_lsn()` difference).
    pub wal_bytes: Option<u64>,
    /// PostgreSQL: rows inserted, updated and deleted in the bench database.
    pub tuples: Option<u64>,
    /// `write_bytes` of `/proc/PID/io`.
    pub write_bytes: u64,
    /// `syscw` of `/proc/PID/io`.
    pub write_syscalls: u64,
}

/// A storm: every client dropped (or the server restarted) until all were back.
#[derive(Debug, Clone, Default)]
pub struct Storm {
    /// Clients that had to come back.
    pub clients: u64,
    /// From the drop (the new process's start) until every client was welcomed again.
    pub secs: f64,
    /// Server CPU time over that span.
    pub cpu_secs: f64,
    /// The same less the idle rate of the heartbeat window over the span.
    pub cpu_net_secs: f64,
}

/// Everything measured on one server.
#[derive(Debug, Clone, Default)]
pub struct ServerResults {
    /// `rekey-cloud` or `Mosquitto`.
    pub name: String,
    /// RSS with no client, after it settled.
    pub rss0: Option<u64>,
    /// (clients, RSS) at each count.
    pub rss_at: Vec<(u64, u64)>,
    /// Whether each RSS reading settled (in the order rss0, then rss_at).
    pub unsettled: Vec<String>,
    /// The heartbeat window.
    pub window: Option<Window>,
    /// Every client drops and reconnects while the server runs.
    pub reconnect: Option<Storm>,
    /// The server is killed and started again.
    pub restart: Option<Storm>,
    /// A client that went silent: seconds until shown offline (cloud) or closed (broker).
    pub silent_secs: Option<f64>,
    /// A client that closed its connection: seconds until shown offline (closed by the broker).
    pub closed_secs: Option<f64>,
    /// RSS after every client closed, after it settled.
    pub rss_closed: Option<u64>,
    /// The cloud's cryptography for one handshake, timed by the driver on the same machine
    /// (the floor of a reconnect's CPU).
    pub handshake_crypto_secs: Option<f64>,
    /// What went wrong (a step that could not finish).
    pub errors: Vec<String>,
    /// Clients that never got welcomed in a wait, with the wait's name.
    pub never_welcomed: Vec<(String, u64)>,
    /// The fleet's errors by kind over the whole run (refusals, timeouts, connections lost).
    pub client_errors: String,
}

impl ServerResults {
    /// An empty record for `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            ..Self::default()
        }
    }

    /// (RSS(N) − RSS(0)) / N in bytes at each count.
    pub fn rss_per_connection(&self) -> Vec<(u64, f64)> {
        let Some(rss0) = self.rss0 else {
            return Vec::new();
        };
        self.rss_at
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|&(n, rss)| (n, (rss as f64 - rss0 as f64) / n as f64))
            .collect()
    }

    /// The least-squares slope of RSS over clients (bytes per client), RSS(0) included.
    pub fn rss_slope(&self) -> Option<f64> {
        let mut points: Vec<(f64, f64)> = self
            .rss_at
            .iter()
            .map(|&(n, r)| (n as f64, r as f64))
            .collect();
        if let Some(r0) = self.rss0 {
            points.push((0.0, r0 as f64));
        }
        slope(&points)
    }

    /// Server CPU per heartbeat in the window, seconds.
    pub fn cpu_per_heartbeat(&self) -> Option<f64> {
        let w = self.window.as_ref()?;
        (w.heartbeats > 0).then(|| w.cpu_secs / w.heartbeats as f64)
    }

    /// Server CPU in the window as a fraction of one core.
    pub fn idle_cpu_fraction(&self) -> Option<f64> {
        let w = self.window.as_ref()?;
        (w.secs > 0.0).then(|| w.cpu_secs / w.secs)
    }

    /// CPU per reconnect, seconds (net of the idle rate).
    pub fn cpu_per_reconnect(&self) -> Option<f64> {
        let s = self.reconnect.as_ref()?;
        (s.clients > 0).then(|| s.cpu_net_secs / s.clients as f64)
    }
}

/// The least-squares slope of `points`, if at least two distinct x exist.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// How a figure is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes, shown in MiB.
    Mib,
    /// Bytes, shown in KiB.
    Kib,
    /// Seconds, shown in µs.
    Micros,
    /// Seconds, shown in ms.
    Millis,
    /// Seconds.
    Secs,
    /// A fraction, shown in percent.
    Percent,
    /// A plain number.
    Number,
    /// A count of bytes.
    Bytes,
}

/// `value` in `unit`, e.g. `1.9 KiB`.
pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Mib => format!("{:.1} MiB", value / MIB),
        Unit::Kib => format!("{:.2} KiB", value / KIB),
        Unit::Micros => format!("{:.1} µs", value * 1e6),
        Unit::Millis => format!("{:.3} ms", value * 1e3),
        Unit::Secs => format!("{value:.2} s"),
        Unit::Percent => format!("{:.2} %", value * 100.0),
        Unit::Bytes => format!("{value:.0} B"),
        Unit::Number => {
            if value == value.trunc() && value.abs() < 1e15 {
                format!("{value:.0}")
            } else {
                format!("{value:.4}")
            }
        }
    }
}

/// `a / b` as `2.5×`, or `—` when either is missing or `b` is zero.
pub fn format_ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b != 0.0 => format!("{:.2}×", a / b),
        _ => "—".to_string(),
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured.
    pub figure: String,
    /// The cloud's value.
    pub cloud: Option<f64>,
    /// Mosquitto's value.
    pub mosquitto: Option<f64>,
    /// How both are shown.
    pub unit: Unit,
    /// The goal, in words.
    pub goal: String,
    /// Whether the goal is met (`None`: no goal, or not measured).
    pub met: Option<bool>,
    /// Text instead of the cloud's value (e.g. "timed out").
    pub cloud_note: Option<String>,
    /// Text instead of Mosquitto's value.
    pub mosquitto_note: Option<String>,
}

impl Row {
    fn new(figure: &str, cloud: Option<f64>, mosquitto: Option<f64>, unit: Unit) -> Self {
        Self {
            figure: figure.to_string(),
            cloud,
            mosquitto,
            unit,
            goal: "—".to_string(),
            met: None,
            cloud_note: None,
            mosquitto_note: None,
        }
    }

    fn goal(mut self, goal: &str, met: Option<bool>) -> Self {
        self.goal = goal.to_string();
        self.met = met;
        self
    }
}

fn cell(value: Option<f64>, note: &Option<String>, unit: Unit) -> String {
    match (note, value) {
        (Some(n), _) => n.clone(),
        (None, Some(v)) => format_value(v, unit),
        (None, None) => "—".to_string(),
    }
}

/// The Markdown table of `rows`.
pub fn format_table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("| figure | rekey-cloud | Mosquitto | ratio | goal | met |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.figure,
            cell(r.cloud, &r.cloud_note, r.unit),
            cell(r.mosquitto, &r.mosquitto_note, r.unit),
            format_ratio(r.cloud, r.mosquitto),
            r.goal,
            met
        );
    }
    out
}

/// The goals of issue 8.
#[derive(Debug, Clone, Copy)]
pub struct Goals {
    /// Bytes of RSS per idle connection.
    pub rss_per_connection: f64,
    /// CPU per heartbeat, as a multiple of Mosquitto's per PINGREQ.
    pub cpu_per_heartbeat_ratio: f64,
    /// Commits per heartbeat above which "zero writes" is not met.
    pub commits_per_heartbeat: f64,
    /// CPU per reconnect, seconds.
    pub cpu_per_reconnect: f64,
    /// Seconds for the fleet to be back after a restart.
    pub restart_secs: f64,
    /// A silent connection offline within this many heartbeat periods.
    pub silent_periods: f64,
    /// A closed connection offline within this many seconds.
    pub closed_secs: f64,
    /// RSS after every connection closed, as a multiple of RSS(0).
    pub rss_after_close_ratio: f64,
}

impl Goals {
    /// The goals of issue 8.
    pub const ISSUE_8: Goals = Goals {
        rss_per_connection: 2.0 * KIB,
        cpu_per_heartbeat_ratio: 2.0,
        commits_per_heartbeat: 0.01,
        cpu_per_reconnect: 0.3e-3,
        restart_secs: 5.0,
        silent_periods: 1.5,
        closed_secs: 1.0,
        rss_after_close_ratio: 2.0,
    };
}

fn timed_out(r: &ServerResults, what: Option<f64>, step: &str) -> Option<String> {
    if what.is_some() {
        return None;
    }
    r.errors
        .iter()
        .any(|e| e.starts_with(step))
        .then(|| "did not finish".to_string())
}

/// The rows of the table for `cloud` and `mosquitto` (either may be missing).
pub fn rows(
    cloud: Option<&ServerResults>,
    mosquitto: Option<&ServerResults>,
    heartbeat_secs: u32,
    goals: &Goals,
) -> Vec<Row> {
    let empty = ServerResults::default();
    let c = cloud.unwrap_or(&empty);
    let m = mosquitto.unwrap_or(&empty);
    let mut rows = Vec::new();
    rows.push(Row::new(
        "RSS with no connection, RSS(0)",
        c.rss0.map(|v| v as f64),
        m.rss0.map(|v| v as f64),
        Unit::Mib,
    ));
    let kib = goals.rss_per_connection / KIB;
    let mut counts: Vec<u64> = c
        .rss_at
        .iter()
        .chain(m.rss_at.iter())
        .map(|p| p.0)
        .collect();
    counts.sort_unstable();
    counts.dedup();
    let (cpc, mpc) = (c.rss_per_connection(), m.rss_per_connection());
    // The goal is per connection at the fleet's size (the top count) and as the slope; the
    // readings at smaller counts also carry the fixed cost of the first connections (the
    // database's page caches filling, the allocator's first slabs), so they are shown without
    // a verdict.
    let top = counts.last().copied();
    for n in counts {
        let find = |v: &[(u64, f64)]| v.iter().find(|p| p.0 == n).map(|p| p.1);
        let cv = find(&cpc);
        let row = Row::new(
            &format!("RSS per idle connection at {n} ((RSS(N) − RSS(0)) / N)"),
            cv,
            find(&mpc),
            Unit::Kib,
        );
        rows.push(if Some(n) == top {
            row.goal(
                &format!("≤ {kib} KiB"),
                cv.map(|v| v <= goals.rss_per_connection),
            )
        } else {
            row
        });
    }
    let cs = c.rss_slope();
    rows.push(
        Row::new(
            "RSS per idle connection, slope over all counts",
            cs,
            m.rss_slope(),
            Unit::Kib,
        )
        .goal(
            &format!("≤ {kib} KiB"),
            cs.map(|v| v <= goals.rss_per_connection),
        ),
    );
    let (ch, mh) = (c.cpu_per_heartbeat(), m.cpu_per_heartbeat());
    rows.push(
        Row::new("CPU per heartbeat (PINGREQ)", ch, mh, Unit::Micros).goal(
            &format!("≤ {}× Mosquitto", goals.cpu_per_heartbeat_ratio),
            match (ch, mh) {
                (Some(a), Some(b)) => Some(a <= goals.cpu_per_heartbeat_ratio * b),
                _ => None,
            },
        ),
    );
    let top = c
        .window
        .as_ref()
        .or(m.window.as_ref())
        .map_or(0, |w| w.connections);
    rows.push(Row::new(
        &format!("idle CPU at {top} connections (% of one core)"),
        c.idle_cpu_fraction(),
        m.idle_cpu_fraction(),
        Unit::Percent,
    ));
    let per_hb = |r: &ServerResults, f: fn(&Window) -> Option<u64>| -> Option<f64> {
        let w = r.window.as_ref()?;
        let v = f(w)?;
        (w.heartbeats > 0).then(|| v as f64 / w.heartbeats as f64)
    };
    let commits = per_hb(c, |w| w.commits.or(w.tuples));
    let mosquitto_commits = m.window.as_ref().map(|_| 0.0);
    let mut row = Row::new(
        if c.window.as_ref().is_some_and(|w| w.tuples.is_some()) {
            "database rows written per heartbeat (pg_stat_database)"
        } else {
            "database commits per heartbeat (SQLite WAL index)"
        },
        commits,
        mosquitto_commits,
        Unit::Number,
    )
    .goal(
        &format!(
            "0 (< {} % of heartbeats)",
            goals.commits_per_heartbeat * 100.0
        ),
        commits.map(|v| v < goals.commits_per_heartbeat),
    );
    row.mosquitto_note = m.window.as_ref().map(|_| "0 (no persistence)".to_string());
    rows.push(row);
    if c.window
        .as_ref()
        .is_some_and(|w| w.data_version_changes.is_some())
    {
        rows.push(Row::new(
            "  `PRAGMA data_version` changes seen per heartbeat (polled, lower bound)",
            per_hb(c, |w| w.data_version_changes),
            None,
            Unit::Number,
        ));
    }
    if c.window.as_ref().is_some_and(|w| w.wal_bytes.is_some()) {
        rows.push(Row::new(
            "  PostgreSQL WAL bytes per heartbeat",
            per_hb(c, |w| w.wal_bytes),
            None,
            Unit::Bytes,
        ));
    }
    rows.push(Row::new(
        "disk write bytes per heartbeat (/proc/PID/io write_bytes)",
        per_hb(c, |w| Some(w.write_bytes)),
        per_hb(m, |w| Some(w.write_bytes)),
        Unit::Bytes,
    ));
    let cr = c.cpu_per_reconnect();
    let mut row = Row::new(
        "CPU per reconnect of a known device (net of idle)",
        cr,
        m.cpu_per_reconnect(),
        Unit::Millis,
    )
    .goal(
        &format!("≤ {} ms", goals.cpu_per_reconnect * 1e3),
        cr.map(|v| v <= goals.cpu_per_reconnect),
    );
    row.cloud_note = timed_out(c, cr, "reconnect");
    row.mosquitto_note = timed_out(m, m.cpu_per_reconnect(), "reconnect");
    rows.push(row);
    if c.handshake_crypto_secs.is_some() {
        rows.push(Row::new(
            "  of which the handshake's cryptography (Ed25519 sign and verify, X25519 key and agreement; timed alone on this machine in this run)",
            c.handshake_crypto_secs,
            None,
            Unit::Millis,
        ));
    }
    let storm = |r: &ServerResults| r.reconnect.as_ref().map(|s| s.secs);
    rows.push(Row::new(
        "reconnect storm: every client dropped until all back",
        storm(c),
        storm(m),
        Unit::Secs,
    ));
    let restart = |r: &ServerResults| r.restart.as_ref().map(|s| s.secs);
    let (cr, mr) = (restart(c), restart(m));
    let verdict = |v: Option<f64>| v.map(|v| v <= goals.restart_secs);
    let mut row = Row::new(
        "restart: all back online, from the new process's start",
        cr,
        mr,
        Unit::Secs,
    )
    .goal(
        &format!(
            "≤ {} s (Mosquitto: {})",
            goals.restart_secs,
            match verdict(mr) {
                Some(true) => "met",
                Some(false) => "not met",
                None => "—",
            }
        ),
        verdict(cr),
    );
    row.cloud_note = timed_out(c, cr, "restart");
    row.mosquitto_note = timed_out(m, mr, "restart");
    rows.push(row);
    let silent_goal = goals.silent_periods * f64::from(heartbeat_secs);
    let mut row = Row::new(
        "silent half-open connection: offline (broker: closed) after",
        c.silent_secs,
        m.silent_secs,
        Unit::Secs,
    )
    .goal(
        &format!("≤ {silent_goal} s ({}× heartbeat)", goals.silent_periods),
        c.silent_secs.map(|v| v <= silent_goal),
    );
    row.cloud_note = timed_out(c, c.silent_secs, "silent");
    row.mosquitto_note = timed_out(m, m.silent_secs, "silent");
    rows.push(row);
    let mut row = Row::new(
        "closed connection: offline (broker: closed) after",
        c.closed_secs,
        m.closed_secs,
        Unit::Millis,
    )
    .goal(
        &format!("≤ {} s", goals.closed_secs),
        c.closed_secs.map(|v| v <= goals.closed_secs),
    );
    row.cloud_note = timed_out(c, c.closed_secs, "closed");
    row.mosquitto_note = timed_out(m, m.closed_secs, "closed");
    rows.push(row);
    let after = |r: &ServerResults| r.rss_closed.map(|v| v as f64);
    rows.push(
        Row::new(
            "RSS after every connection closed",
            after(c),
            after(m),
            Unit::Mib,
        )
        .goal(
            &format!("≤ {}× RSS(0)", goals.rss_after_close_ratio),
            match (c.rss_closed, c.rss0) {
                (Some(a), Some(b)) => Some(a as f64 <= goals.rss_after_close_ratio * b as f64),
                _ => None,
            },
        ),
    );
    rows
}

fn storm_json(s: &Option<Storm>) -> Value {
    s.as_ref().map_or(Value::Null, |s| {
        json!({
            "clients": s.clients,
            "secs": s.secs,
            "cpu_secs": s.cpu_secs,
            "cpu_net_secs": s.cpu_net_secs,
        })
    })
}

/// One server's figures as JSON.
pub fn server_json(r: &ServerResults) -> Value {
    json!({
        "rss0_bytes": r.rss0,
        "rss_bytes_at": r.rss_at.iter().map(|(n, v)| json!({"clients": n, "rss_bytes": v})).collect::<Vec<_>>(),
        "rss_per_connection_bytes": r.rss_per_connection().iter().map(|(n, v)| json!({"clients": n, "bytes": v})).collect::<Vec<_>>(),
        "rss_slope_bytes_per_connection": r.rss_slope(),
        "unsettled": r.unsettled,
        "window": r.window.as_ref().map(|w| json!({
            "connections": w.connections,
            "secs": w.secs,
            "heartbeats": w.heartbeats,
            "cpu_secs": w.cpu_secs,
            "commits": w.commits,
            "data_version_changes": w.data_version_changes,
            "wal_bytes": w.wal_bytes,
            "tuples_written": w.tuples,
            "write_bytes": w.write_bytes,
            "write_syscalls": w.write_syscalls,
        })),
        "cpu_per_heartbeat_secs": r.cpu_per_heartbeat(),
        "idle_cpu_fraction_of_core": r.idle_cpu_fraction(),
        "reconnect_storm": storm_json(&r.reconnect),
        "cpu_per_reconnect_secs": r.cpu_per_reconnect(),
        "restart_storm": storm_json(&r.restart),
        "silent_offline_secs": r.silent_secs,
        "closed_offline_secs": r.closed_secs,
        "rss_after_close_bytes": r.rss_closed,
        "handshake_crypto_secs": r.handshake_crypto_secs,
        "errors": r.errors,
        "client_errors": r.client_errors,
        "never_welcomed": r.never_welcomed.iter().map(|(w, n)| json!({"wait": w, "clients": n})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_ratios_are_formatted() {
        assert_eq!(format_value(2048.0, Unit::Kib), "2.00 KiB");
        assert_eq!(format_value(3.5 * MIB, Unit::Mib), "3.5 MiB");
        assert_eq!(format_value(12.5e-6, Unit::Micros), "12.5 µs");
        assert_eq!(format_value(0.25e-3, Unit::Millis), "0.250 ms");
        assert_eq!(format_value(1.234, Unit::Secs), "1.23 s");
        assert_eq!(format_value(0.125, Unit::Percent), "12.50 %");
        assert_eq!(format_value(3.0, Unit::Number), "3");
        assert_eq!(format_value(4285.44, Unit::Bytes), "4285 B");
        assert_eq!(format_value(0.5, Unit::Number), "0.5000");
        assert_eq!(format_ratio(Some(3.0), Some(2.0)), "1.50×");
        assert_eq!(format_ratio(Some(3.0), Some(0.0)), "—");
        assert_eq!(format_ratio(None, Some(2.0)), "—");
    }

    #[test]
    fn slope_and_per_connection_figures() {
        assert_eq!(slope(&[(0.0, 10.0), (10.0, 30.0), (20.0, 50.0)]), Some(2.0));
        assert_eq!(slope(&[(1.0, 1.0)]), None);
        let mut r = ServerResults::new("x");
        r.rss0 = Some(1000);
        r.rss_at = vec![(10, 3000), (20, 5000)];
        assert_eq!(r.rss_per_connection(), vec![(10, 200.0), (20, 200.0)]);
        assert_eq!(r.rss_slope(), Some(200.0));
    }

    #[test]
    fn table_shows_both_servers_the_ratio_and_the_verdict() {
        let mut c = ServerResults::new("rekey-cloud");
        c.rss0 = Some(10 << 20);
        c.rss_at = vec![
            (500, (10 << 20) + 500 * 1024),
            (1000, (10 << 20) + 1000 * 4096),
        ];
        c.window = Some(Window {
            connections: 1000,
            secs: 10.0,
            heartbeats: 500,
            cpu_secs: 0.5,
            commits: Some(500),
            ..Window::default()
        });
        let mut m = ServerResults::new("Mosquitto");
        m.rss0 = Some(1 << 20);
        m.rss_at = vec![
            (500, (1 << 20) + 500 * 1024),
            (1000, (1 << 20) + 1000 * 1024),
        ];
        m.window = Some(Window {
            connections: 1000,
            secs: 10.0,
            heartbeats: 500,
            cpu_secs: 0.1,
            ..Window::default()
        });
        let table = format_table(&rows(Some(&c), Some(&m), 20, &Goals::ISSUE_8));
        assert!(table.starts_with("| figure | rekey-cloud | Mosquitto | ratio | goal | met |\n"));
        assert!(
            table.contains(
                "| RSS per idle connection at 1000 ((RSS(N) − RSS(0)) / N) | 4.00 KiB | 1.00 KiB | 4.00× | ≤ 2 KiB | **no** |"
            ),
            "{table}"
        );
        // Only the top count carries the per-connection goal.
        assert!(
            table.contains(
                "| RSS per idle connection at 500 ((RSS(N) − RSS(0)) / N) | 1.00 KiB | 1.00 KiB | 1.00× | — | — |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| CPU per heartbeat (PINGREQ) | 1000.0 µs | 200.0 µs | 5.00× | ≤ 2× Mosquitto | **no** |"),
            "{table}"
        );
        assert!(table.contains("| 1 | 0 (no persistence) |"), "{table}");
        let json = server_json(&c);
        assert_eq!(json["window"]["commits"], 500);
    }
}
