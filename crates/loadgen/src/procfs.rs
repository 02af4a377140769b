//! What the benchmark reads about a server process from `/proc`, and the open-file limit.

use std::path::PathBuf;

use anyhow::{Context, bail};

fn proc_file(pid: u32, name: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{name}"))
}

fn read(pid: u32, name: &str) -> anyhow::Result<String> {
    let path = proc_file(pid, name);
    std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
}

/// Resident memory (`VmRSS` of `/proc/PID/status`) in bytes.
pub fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    parse_status_kb(&read(pid, "status")?, "VmRSS:").map(|kb| kb * 1024)
}

/// A `NAME: N kB` line of `/proc/PID/status`.
pub fn parse_status_kb(status: &str, name: &str) -> anyhow::Result<u64> {
    let line = status
        .lines()
        .find(|l| l.starts_with(name))
        .with_context(|| format!("no {name} line in /proc/PID/status"))?;
    line[name.len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("cannot read {line:?}"))
}

/// CPU time used (user + system, `/proc/PID/stat` fields 14 and 15) in clock ticks.
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    parse_stat_ticks(&read(pid, "stat")?)
}

/// utime + stime of a `/proc/PID/stat` line. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted after its closing parenthesis.
pub fn parse_stat_ticks(stat: &str) -> anyhow::Result<u64> {
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .context("malformed /proc/PID/stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): field n is at index n - 3.
    let field = |n: usize| -> anyhow::Result<u64> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("cannot read field {n} of /proc/PID/stat"))
    };
    Ok(field(14)? + field(15)?)
}

/// The whole machine's CPU time since boot, in ticks: (busy, all). Busy is every state but
/// idle and iowait (the first line of `/proc/stat`).
pub fn machine_ticks() -> anyhow::Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").context("cannot read /proc/stat")?;
    parse_machine_ticks(&stat)
}

/// See [`machine_ticks`].
pub fn parse_machine_ticks(stat: &str) -> anyhow::Result<(u64, u64)> {
    let line = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .context("/proc/stat has no cpu line")?;
    let fields = line
        .split_whitespace()
        .skip(1)
        .map(|f| {
            f.parse::<u64>()
                .context("a /proc/stat field is not a number")
        })
        .collect::<anyhow::Result<Vec<u64>>>()?;
    // user nice system idle iowait irq softirq steal (guest time is inside user and nice).
    let all: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    Ok((all.saturating_sub(idle), all))
}

/// Clock ticks per second (`_SC_CLK_TCK`).
pub fn ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// The storage-layer I/O a process caused (`/proc/PID/io`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Io {
    /// `write_bytes`: bytes sent to the storage layer.
    pub write_bytes: u64,
    /// `syscw`: write system calls.
    pub syscw: u64,
}

/// `/proc/PID/io` of a process.
pub fn io(pid: u32) -> anyhow::Result<Io> {
    parse_io(&read(pid, "io")?)
}

/// The fields of `/proc/PID/io` the benchmark uses.
pub fn parse_io(text: &str) -> anyhow::Result<Io> {
    let get = |name: &str| -> anyhow::Result<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .with_context(|| format!("no {name} in /proc/PID/io"))
    };
    Ok(Io {
        write_bytes: get("write_bytes:")?,
        syscw: get("syscw:")?,
    })
}

/// Open file descriptors of a process.
pub fn open_fds(pid: u32) -> anyhow::Result<usize> {
    let path = proc_file(pid, "fd");
    Ok(std::fs::read_dir(&path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .count())
}

/// Raises this process's soft open-file limit to the hard one (children inherit it); returns
/// the new soft limit.
pub fn raise_open_file_limit() -> anyhow::Result<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let Some(hard) = limit.maximum else {
        // Unlimited hard limit: take a generous soft one.
        let soft = 1 << 20;
        setrlimit(
            Resource::Nofile,
            rustix::process::Rlimit {
                current: Some(soft),
                maximum: None,
            },
        )
        .context("cannot raise the open-file limit")?;
        return Ok(soft);
    };
    if limit.current != Some(hard) {
        setrlimit(
            Resource::Nofile,
            rustix::process::Rlimit {
                current: Some(hard),
                maximum: Some(hard),
            },
        )
        .context("cannot raise the open-file limit")?;
    }
    let now = getrlimit(Resource::Nofile).current.unwrap_or(hard);
    if now < hard {
        bail!("the open-file limit stays at {now}");
    }
    Ok(now)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_machine_line_splits_into_busy_and_all() {
        let stat = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n";
        assert_eq!(parse_machine_ticks(stat).unwrap(), (160, 980));
        assert!(parse_machine_ticks("intr 1 2\n").is_err());
    }

    use super::*;

    #[test]
    fn reads_status_stat_and_io() {
        let status = "Name:\tx\nVmPeak:\t  9 kB\nVmRSS:\t   1234 kB\n";
        assert_eq!(parse_status_kb(status, "VmRSS:").unwrap(), 1234);
        assert!(parse_status_kb(status, "VmSwap:").is_err());
        let stat = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 3 0 1 2 3";
        assert_eq!(parse_stat_ticks(stat).unwrap(), 22);
        let io = "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 6\n";
        assert_eq!(
            parse_io(io).unwrap(),
            Io {
                write_bytes: 6,
                syscw: 4
            }
        );
    }

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(rss_bytes(pid).unwrap() > 0);
        cpu_ticks(pid).unwrap();
        assert!(open_fds(pid).unwrap() >= 3);
        assert!(ticks_per_second() > 0);
        let (busy, all) = machine_ticks().unwrap();
        assert!(busy <= all && all > 0);
    }
}
