//! The servers under test as child processes: `rekey-cloud` and Mosquitto, each killed when its
//! guard is dropped, on every exit path.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::time::Instant;

/// A child process, killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
    name: String,
}

impl ChildGuard {
    /// Starts `command`, its output appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> anyhow::Result<Self> {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("cannot open {}", log.display()))?;
        let err = out.try_clone()?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name} ({:?})", command.get_program()))?;
        Ok(Self {
            child,
            name: name.to_string(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails when the process has exited.
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited ({status})", self.name);
        }
        Ok(())
    }

    /// Asks the process to stop (SIGTERM) and waits up to `grace` for it to end, then kills it;
    /// whether it ended by itself.
    pub async fn terminate(&mut self, grace: Duration) -> anyhow::Result<bool> {
        if self.child.try_wait()?.is_some() {
            return Ok(true);
        }
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .context("cannot run kill")?;
        if !sent.success() {
            bail!("kill -TERM {} failed: {sent}", self.pid());
        }
        let until = Instant::now() + grace;
        while Instant::now() < until {
            if self.child.try_wait()?.is_some() {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill()?;
        Ok(false)
    }

    /// Kills the process (SIGKILL) and waits until it is gone.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if self.child.try_wait()?.is_none() {
            let _ = self.child.kill();
            self.child
                .wait()
                .with_context(|| format!("cannot wait for {}", self.name))?;
        }
        Ok(())
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(l.local_addr()?.port())
}

/// The last `lines` lines of a log file, for error messages.
pub fn log_tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Waits until `addr` accepts a TCP connection, failing if the process exits first.
pub async fn wait_listening(
    child: &mut ChildGuard,
    addr: SocketAddr,
    log: &Path,
    timeout: Duration,
) -> anyhow::Result<()> {
    let until = Instant::now() + timeout;
    loop {
        if let Err(e) = child.check_running() {
            bail!("{e:#}; its log ends with:\n{}", log_tail(log, 20));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > until {
            bail!(
                "{} does not listen on {addr} after {timeout:?}; its log ends with:\n{}",
                child.name,
                log_tail(log, 20)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How to start the cloud (the same each time: a restart reuses port and data).
#[derive(Debug, Clone)]
pub struct CloudCommand {
    /// The `rekey-cloud` binary.
    pub bin: PathBuf,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    /// `--heartbeat-secs`.
    pub heartbeat_secs: u32,
    /// `--gateway-enrolments-per-address`.
    pub enrolments_per_address: u64,
    /// `--max-connections`.
    pub max_connections: u64,
    /// `--database-url` (SQLite in the data directory when `None`).
    pub database_url: Option<String>,
    /// Where its output goes.
    pub log: PathBuf,
}

impl CloudCommand {
    fn base(&self) -> Command {
        let mut c = Command::new(&self.bin);
        // Only our flags configure it: no REKEY_CLOUD_* from the caller's environment, and its
        // own default log filter.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("REKEY_CLOUD_") {
                c.env_remove(&k);
            }
        }
        c.env_remove("RUST_LOG");
        c.arg("--dev").arg("--data-dir").arg(&self.data_dir);
        if let Some(url) = &self.database_url {
            c.arg("--database-url").arg(url);
        }
        c
    }

    /// Makes the keys (in the data directory) and returns the public key recorders pin.
    pub fn public_key(&self) -> anyhow::Result<String> {
        let out = self
            .base()
            .arg("--print-public-key")
            .output()
            .with_context(|| format!("cannot run {}", self.bin.display()))?;
        if !out.status.success() {
            bail!(
                "{} --print-public-key failed: {}",
                self.bin.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let key = String::from_utf8(out.stdout).context("the public key is not text")?;
        let key = key.lines().last().unwrap_or_default().trim().to_string();
        if key.is_empty() {
            bail!("{} --print-public-key printed nothing", self.bin.display());
        }
        Ok(key)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Starts it.
    pub fn spawn(&self) -> anyhow::Result<ChildGuard> {
        let mut c = self.base();
        c.arg("--listen")
            .arg(self.addr().to_string())
            .arg("--heartbeat-secs")
            .arg(self.heartbeat_secs.to_string())
            .arg("--gateway-enrolments-per-address")
            .arg(self.enrolments_per_address.to_string())
            .arg("--max-connections")
            .arg(self.max_connections.to_string());
        ChildGuard::spawn("rekey-cloud", c, &self.log)
    }
}

/// How to start Mosquitto.
#[derive(Debug, Clone)]
pub struct MosquittoCommand {
    /// The `mosquitto` binary.
    pub bin: PathBuf,
    /// The generated configuration file.
    pub config: PathBuf,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    /// Where its own output goes (its log is beside it).
    pub log: PathBuf,
}

impl MosquittoCommand {
    /// Writes the configuration: a listener on 127.0.0.1:`port`, anonymous clients, no
    /// persistence, no connection limit, log to `dir/mosquitto.log`.
    pub fn new(bin: PathBuf, dir: &Path, port: u16) -> anyhow::Result<Self> {
        let config = dir.join("mosquitto.conf");
        let log = dir.join("mosquitto.out");
        let mut text = format!(
            "listener {port} 127.0.0.1\n\
             allow_anonymous true\n\
             persistence false\n\
             max_connections -1\n\
             log_dest file {}\n\
             log_type error\nlog_type warning\nlog_type notice\nlog_type information\n",
            dir.join("mosquitto.log").display()
        );
        // Started as root, Mosquitto drops to the `mosquitto` user, who could not write the
        // log in our private directory: stay root.
        if rustix::process::getuid().is_root() {
            text.push_str("user root\n");
        }
        std::fs::write(&config, text)
            .with_context(|| format!("cannot write {}", config.display()))?;
        Ok(Self {
            bin,
            config,
            port,
            log,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Starts it.
    pub fn spawn(&self) -> anyhow::Result<ChildGuard> {
        let mut c = Command::new(&self.bin);
        c.arg("-c").arg(&self.config);
        ChildGuard::spawn("mosquitto", c, &self.log)
    }
}
