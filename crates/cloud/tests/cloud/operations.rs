//! Issue 9, operations: what a load balancer and an orchestrator ask a node.

use std::sync::Arc;

use rekey_cloud::config::Config;
use rekey_cloud::db::Db;
use rekey_cloud::mail::Mailer;
use rekey_cloud::store::Store;
use rekey_cloud::store::mail::{CLAIM_LEASE_SECS, Failed, MAX_ATTEMPTS, NewMail, retry_delay};
use rekey_cloud::store::sweep::{Retention, Swept};
use rekey_testkit::SmtpServer;
use rekey_web::ManualClock;
use serde_json::Value;

use crate::support::{Backend, TestApp, fresh_postgres, postgres_admin_url};

async fn readyz(app: &TestApp) -> (u16, Value) {
    let (status, body) = app.get("/readyz").await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// `/readyz` is 200 only while the database answers with this version's schema and the node is
/// not draining, and names the reason otherwise; `/healthz` (liveness) stays 200 throughout.
pub async fn readiness_follows_the_database_and_draining(app: TestApp) {
    let (status, body) = readyz(&app).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    let pool = &app.state.store.db.pool;

    // A newer version migrated the database: this node must not serve it.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         SELECT 99990101000000, 'from a newer version', success, checksum, execution_time
         FROM _sqlx_migrations WHERE version = (SELECT MIN(version) FROM _sqlx_migrations)",
    )
    .execute(pool)
    .await
    .expect("add a migration");
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("schema_ahead"))
    );
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 99990101000000")
        .execute(pool)
        .await
        .expect("remove it");
    assert_eq!(readyz(&app).await.0, 200);

    // One of this version's migrations is missing.
    sqlx::query(
        "UPDATE _sqlx_migrations SET success = FALSE
         WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(pool)
    .await
    .expect("mark a migration failed");
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("schema_behind"))
    );
    sqlx::query(
        "UPDATE _sqlx_migrations SET success = TRUE
         WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(pool)
    .await
    .expect("mark it applied again");
    assert_eq!(readyz(&app).await.0, 200);

    // Draining (what a shutdown sets first).
    app.state
        .draining
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, body) = readyz(&app).await;
    assert_eq!((status, body["reason"].as_str()), (503, Some("draining")));
    app.state
        .draining
        .store(false, std::sync::atomic::Ordering::SeqCst);

    // The database is gone.
    pool.close().await;
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("database_unreachable"))
    );
    assert_eq!(app.get("/healthz").await.0, 200);
}

// ------------------------------------------------------------------ the mail queue, shared

/// A database of its own with no cloud and no worker on it: what several nodes share.
pub struct SharedQueue {
    pub config: Config,
    pub store: Store,
    _dir: tempfile::TempDir,
}

impl SharedQueue {
    /// A fresh database on `backend` (`None`: PostgreSQL is not configured here).
    pub async fn new(backend: Backend, smtp_url: Option<String>) -> Option<Self> {
        let url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_postgres(&postgres_admin_url()?).await),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::for_local(dir.path(), url, smtp_url, 7);
        let store = Self::connect(&config).await;
        Some(Self {
            config,
            store,
            _dir: dir,
        })
    }

    /// Another node's connection pool to the same database; on SQLite, which serves a single
    /// node, the same one (its workers share it).
    pub async fn node(&self) -> Store {
        match self.store.db.backend {
            rekey_cloud::db::Backend::Sqlite => self.store.clone(),
            rekey_cloud::db::Backend::Postgres => Self::connect(&self.config).await,
        }
    }

    async fn connect(config: &Config) -> Store {
        let db = Db::connect(config.database_url.expose())
            .await
            .expect("connect");
        Store::new(db, &config.master_key())
    }

    /// Queues `n` messages to w0@example.com … at `now`.
    pub async fn queue(&self, n: usize, now: i64) {
        let mut tx = self.store.db.pool.begin().await.expect("begin");
        for i in 0..n {
            let mail = NewMail {
                to: format!("w{i}@example.com"),
                subject: format!("Message {i}"),
                body: format!("Code: {i:06}"),
            };
            self.store
                .queue_mail(&mut tx, &mail, now)
                .await
                .expect("queue");
        }
        tx.commit().await.expect("commit");
    }
}

const NOW: i64 = 1_795_000_000;

/// Four nodes claim from one queue at once: every message is handed out exactly once.
pub async fn parallel_claims_hand_out_each_message_once(backend: Backend) {
    let Some(queue) = SharedQueue::new(backend, None).await else {
        return;
    };
    queue.queue(200, NOW).await;
    let mut nodes = Vec::new();
    for _ in 0..4 {
        let store = queue.node().await;
        nodes.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let claimed = store.claim_mail(NOW, 3).await.expect("claim");
                if claimed.mails.is_empty() {
                    return ids;
                }
                for mail in claimed.mails {
                    assert!(
                        store
                            .mail_sent(mail.id, claimed.token, NOW, false)
                            .await
                            .expect("record"),
                        "the claim holds"
                    );
                    ids.push(mail.id);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for node in nodes {
        all.extend(node.await.expect("node"));
    }
    all.sort_unstable();
    let n = all.len();
    all.dedup();
    assert_eq!((n, all.len()), (200, 200), "each message once, none lost");
}

/// A claim holds until its lease runs out; then another worker takes the message, and the
/// first can no longer record it. A message that keeps failing is given up after the last
/// attempt, its content erased, and is never claimed again.
pub async fn claims_run_out_and_failing_mail_is_given_up(backend: Backend) {
    let Some(queue) = SharedQueue::new(backend, None).await else {
        return;
    };
    let store = &queue.store;
    queue.queue(1, NOW).await;
    let first = store.claim_mail(NOW, 10).await.expect("claim");
    assert_eq!(first.mails.len(), 1);
    let id = first.mails[0].id;
    assert!(
        store
            .claim_mail(NOW + 1, 10)
            .await
            .expect("claim")
            .mails
            .is_empty()
    );
    assert_eq!(
        store.next_mail_due().await.expect("due"),
        Some(NOW + CLAIM_LEASE_SECS)
    );
    let second = store
        .claim_mail(NOW + CLAIM_LEASE_SECS, 10)
        .await
        .expect("claim");
    assert_eq!(second.mails.iter().map(|m| m.id).collect::<Vec<_>>(), [id]);
    assert!(
        !store
            .mail_sent(id, first.token, NOW, false)
            .await
            .expect("record")
    );
    assert_eq!(
        store
            .mail_failed(id, first.token, 0, "late", NOW)
            .await
            .expect("record"),
        Failed::NotHeld
    );

    // The second worker's attempts fail, one after another, until the message is given up.
    let mut now = NOW + CLAIM_LEASE_SECS;
    let mut claim = second;
    for attempt in 0..MAX_ATTEMPTS {
        let mail = claim.mails.pop().expect("claimed");
        assert_eq!(mail.attempts, attempt);
        let outcome = store
            .mail_failed(mail.id, claim.token, mail.attempts, "refused", now)
            .await
            .expect("record");
        if attempt + 1 < MAX_ATTEMPTS {
            assert_eq!(outcome, Failed::RetryAt(now + retry_delay(attempt)));
            assert!(
                store
                    .claim_mail(now, 10)
                    .await
                    .expect("claim")
                    .mails
                    .is_empty()
            );
            now += retry_delay(attempt);
            claim = store.claim_mail(now, 10).await.expect("claim");
        } else {
            assert_eq!(outcome, Failed::Dead);
        }
    }
    assert_eq!(store.dead_mail_count().await.expect("count"), 1);
    assert_eq!(store.next_mail_due().await.expect("due"), None);
    assert!(
        store
            .claim_mail(now + 86_400, 10)
            .await
            .expect("claim")
            .mails
            .is_empty()
    );
    let kept = store.recent_mail(10).await.expect("recent");
    assert_eq!(
        (kept[0].subject.as_str(), kept[0].body.as_str()),
        ("", ""),
        "a dead letter's content is erased"
    );
}

/// Three mail workers (three nodes) on one queue and one SMTP server: every message arrives
/// once.
pub async fn three_workers_send_each_mail_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let Some(queue) = SharedQueue::new(backend, Some(smtp.url())).await else {
        return;
    };
    let clock = ManualClock::new(NOW);
    let from: lettre::message::Mailbox = queue.config.mail_from.parse().expect("from");
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    let mut wakes = Vec::new();
    for _ in 0..3 {
        let wake = Arc::new(tokio::sync::Notify::new());
        wakes.push(wake.clone());
        workers.push(tokio::spawn(rekey_cloud::mail::run_worker(
            queue.node().await,
            Mailer::from_config(&queue.config).expect("mailer"),
            from.clone(),
            Arc::new(clock.clone()),
            wake,
            stopping.clone(),
        )));
    }
    queue.queue(30, NOW).await;
    for wake in &wakes {
        wake.notify_one();
    }
    for i in 0..30 {
        smtp.nth_for(&format!("w{i}@example.com"), 1).await;
    }
    // Every delivery recorded, then every worker stopped: nothing is still being sent.
    let pool = &queue.store.db.pool;
    crate::support::eventually(10, "every delivery recorded", || async {
        let unsent: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_queue WHERE sent_at IS NULL")
                .fetch_one(pool)
                .await
                .expect("count");
        unsent == 0
    })
    .await;
    stop.send(true).expect("workers listen");
    for worker in workers {
        worker.await.expect("worker");
    }
    for i in 0..30 {
        assert_eq!(smtp.count_for(&format!("w{i}@example.com")), 1, "w{i}");
    }
}

/// SQLite serves one node: a second cloud on the same file does not start (and says which
/// file); once the first stopped, it does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_on_one_sqlite_file_is_refused() {
    let app = crate::support::spawn_app(Backend::Sqlite)
        .await
        .expect("SQLite is always available");
    let config = app.config.clone();
    let e = rekey_cloud::startup::Application::build(config.clone())
        .await
        .expect_err("a second node on the same SQLite file");
    let file = config.data_dir.join("cloud.db");
    assert!(
        format!("{e:#}").contains(&file.display().to_string()),
        "{e:#}"
    );
    let _stopped = app.stop().await;
    rekey_cloud::startup::Application::build(config)
        .await
        .expect("the file is free once the first node stopped");
}

/// The sweep deletes what ran out past its retention — expired sessions, old e-mail codes,
/// finished attempt counters, delivered and dead mail — and keeps everything else; a second
/// sweep deletes nothing.
pub async fn the_sweep_deletes_only_what_ran_out(backend: Backend) {
    let Some(queue) = SharedQueue::new(backend, None).await else {
        return;
    };
    let pool = &queue.store.db.pool;
    let exec = |sql: &'static str, binds: Vec<i64>| async move {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b);
        }
        q.execute(pool).await.expect(sql);
    };
    exec(
        "INSERT INTO accounts (username, email, email_key, password_hash, region, lang, agreement_version, created_at)
         VALUES ('sweep', 'sweep@example.com', 'sweep@example.com', 'x', 'jp', 'en', '1', $1)",
        vec![NOW],
    )
    .await;
    let day = 86_400;
    for (token, expires) in [("expired", NOW - 1), ("live", NOW + 3600)] {
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, csrf, created_at, expires_at)
             SELECT $1, id, 'c', $2, $3 FROM accounts",
        )
        .bind(token)
        .bind(NOW - day)
        .bind(expires)
        .execute(pool)
        .await
        .expect("session");
    }
    for expires in [NOW - day - 1, NOW - 10, NOW + 600] {
        exec(
            "INSERT INTO email_codes (purpose, email_key, code_hash, created_at, expires_at)
             VALUES ('signup', 'sweep@example.com', 'h', $1, $2)",
            vec![expires - 600, expires],
        )
        .await;
    }
    for (key, start, locked) in [
        ("old", NOW - 3 * day, 0),
        ("old-locked", NOW - 3 * day, NOW + 100),
        ("recent", NOW - 100, 0),
    ] {
        sqlx::query(
            "INSERT INTO throttle (throttle_key, failures, window_start, locked_until) VALUES ($1, 1, $2, $3)",
        )
        .bind(key)
        .bind(start)
        .bind(locked)
        .execute(pool)
        .await
        .expect("throttle");
    }
    queue.queue(5, NOW - 40 * day).await;
    // w0 delivered 8 days ago, w1 delivered yesterday, w2 dead for 31 days, w3 dead for a day,
    // w4 still waiting.
    for (to, column, at) in [
        ("w0@example.com", "sent_at", NOW - 8 * day),
        ("w1@example.com", "sent_at", NOW - day),
        ("w2@example.com", "dead_at", NOW - 31 * day),
        ("w3@example.com", "dead_at", NOW - day),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE mail_queue SET {column} = $1, sealed = NULL WHERE to_addr = $2"
        )))
        .bind(at)
        .bind(to)
        .execute(pool)
        .await
        .expect("mail");
    }

    let swept = queue
        .store
        .sweep(NOW, &Retention::DEFAULT)
        .await
        .expect("sweep");
    assert_eq!(
        swept,
        Swept {
            sessions: 1,
            email_codes: 1,
            throttle: 1,
            mail: 2
        }
    );
    assert_eq!(
        queue
            .store
            .sweep(NOW, &Retention::DEFAULT)
            .await
            .expect("sweep")
            .total(),
        0
    );
    let left = |sql: &'static str| async move {
        sqlx::query_scalar::<_, String>(sql)
            .fetch_all(pool)
            .await
            .expect(sql)
    };
    assert_eq!(left("SELECT token_hash FROM sessions").await, ["live"]);
    let mut keys = left("SELECT throttle_key FROM throttle").await;
    keys.sort();
    assert_eq!(keys, ["old-locked", "recent"]);
    let mut mail = left("SELECT to_addr FROM mail_queue").await;
    mail.sort();
    assert_eq!(mail, ["w1@example.com", "w3@example.com", "w4@example.com"]);
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_codes")
        .fetch_one(pool)
        .await
        .expect("codes");
    assert_eq!(codes, 2);
}

/// Every response names its request's id, a fresh one each time.
pub async fn every_response_names_its_request_id(app: TestApp) {
    let mut ids = Vec::new();
    for path in ["/healthz", "/readyz", "/login", "/no-such-page"] {
        let r = app.http.get(app.url(path)).send().await.expect("GET");
        let id = r
            .headers()
            .get(rekey_web::logging::REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("{path} has no request id"));
        assert_eq!(id.len(), 16, "{id}");
        ids.push(id);
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "each request its own id");
}

/// The real program with `--log-format json`: every line it logs is one JSON object, a
/// request's lines carry its id (the one in the response's header), and SIGTERM ends it with
/// status 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_request_id() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rekey-cloud"))
        .arg("--dev")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("RUST_LOG", "info,sqlx=warn,tower_http=debug")
        .env_remove("REKEY_CLOUD_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start rekey-cloud");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut next = async || -> Option<Value> {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("a log line in time")
            .expect("read the log")?;
        Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
    };
    // The line that says where it listens.
    let address = loop {
        let line = next().await.expect("the cloud logs until it listens");
        if let Some(a) = line["address"].as_str() {
            break a.to_string();
        }
    };
    let r = reqwest::get(format!("http://{address}/readyz"))
        .await
        .expect("GET /readyz");
    assert_eq!(r.status().as_u16(), 200);
    let id = r.headers()[rekey_web::logging::REQUEST_ID_HEADER]
        .to_str()
        .expect("ASCII")
        .to_string();
    loop {
        let line = next().await.expect("the request is logged");
        if line["span"]["request_id"].as_str() == Some(id.as_str()) {
            assert_eq!(line["span"]["path"].as_str(), Some("/readyz"));
            break;
        }
    }
    let pid = child.id().expect("running");
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(killed.success());
    while next().await.is_some() {}
    let status = child.wait().await.expect("wait");
    assert!(status.success(), "{status}");
}

/// `/metrics` is served on its own listener only, and shows the connected recorders, the
/// handshakes by outcome, refused attempts by limit, the mail queue and request latencies by
/// route.
pub async fn metrics_show_what_an_operator_watches(app: TestApp) {
    let (status, _) = app.get("/metrics").await;
    assert_eq!(status, 404, "not on the portal's listener");
    assert_eq!(app.metric("rekey_gateway_connections").await, Some(0.0));

    let key = rekey_proto::DeviceSigningKey::from_seed([42; 32]);
    let rec = crate::device::connect(&app.base, "NVR0420", &key).await;
    assert_eq!(app.metric("rekey_gateway_connections").await, Some(1.0));
    assert_eq!(
        app.metric(r#"rekey_gateway_handshakes_total{outcome="welcomed"}"#)
            .await,
        Some(1.0)
    );

    app.signup_pc("meter", "meter@example.com", "correct horse battery staple")
        .await;
    for _ in 0..6 {
        app.api(
            "POST",
            "/login",
            None,
            serde_json::json!({"login": "meter", "password": "not the password"}),
        )
        .await;
    }
    assert!(
        app.metric(r#"rekey_throttled_total{limit="login-account"}"#)
            .await
            .is_some_and(|n| n >= 1.0)
    );
    // The sign-up's verification mail was sent: nothing waits.
    assert_eq!(app.metric("rekey_mail_queue_waiting").await, Some(0.0));
    assert_eq!(app.metric("rekey_mail_dead_letters").await, Some(0.0));
    assert!(
        app.metric(
            r#"rekey_http_request_duration_seconds_count{method="POST",route="/api/v1/login",status="401"}"#
        )
        .await
        .is_some_and(|n| n >= 1.0)
    );
    drop(rec);
}
