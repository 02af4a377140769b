//! The recorder's configuration: command-line flags and `REKEY_RECORDER_*` environment variables
//! ([`Args`]) become a [`Config`] value that is passed down, never kept in a global.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rekey_proto::reconnect::Backoff;
use rekey_proto::{CloudBase, CloudPublicKey, Serial};
use rekey_web::TimeZone;
use rekey_web::client::{TrustedProxies, TrustedProxyError};
use rekey_web::serve::ServeLimits;
use rekey_web::{Clock, FileClock};

use crate::store::{AuditPolicy, ForgotLimits};

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The cloud address is not an http(s) URL.
    #[error("--cloud-url: {0}")]
    CloudUrl(#[from] rekey_proto::QrError),
    /// The pinned cloud key is not base64url of an Ed25519 public key.
    #[error("--cloud-key: {0}")]
    CloudKey(#[from] rekey_proto::IdentityError),
    /// The serial number is not 6–32 letters and digits.
    #[error("--serial: {0}")]
    Serial(#[from] rekey_proto::SerialError),
    /// The time zone is not an IANA name.
    #[error("--time-zone: {0}")]
    TimeZone(#[from] rekey_web::UnknownTimeZone),
    /// The fixed-offset flag of earlier versions was given.
    #[error(
        "--utc-offset (REKEY_RECORDER_UTC_OFFSET) was replaced by --time-zone \
         (REKEY_RECORDER_TIME_ZONE), an IANA name such as Asia/Tokyo that follows daylight saving time"
    )]
    UtcOffsetReplaced,
    /// A back-off or heartbeat setting is out of range.
    #[error("{0}")]
    Range(&'static str),
    /// A trusted proxy is not an address or network.
    #[error("--trusted-proxy: {0}")]
    TrustedProxy(#[from] TrustedProxyError),
}

/// The recorder's command line. Every flag can also be set by the environment variable named.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "rekey-recorder",
    version,
    about = "The recorder's management plane: web UI and cloud agent."
)]
pub struct Args {
    /// Address the web UI listens on (its own port, not the cloud's 8080: both run side by side
    /// when trying Rekey on one machine).
    #[arg(long, env = "REKEY_RECORDER_LISTEN", default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,

    /// Directory holding the recorder's state (created if missing).
    #[arg(long, env = "REKEY_RECORDER_DATA_DIR", default_value = "recorder-data")]
    pub data_dir: PathBuf,

    /// Log lines as `text` or `json` (one object per line).
    #[arg(long, env = "REKEY_RECORDER_LOG_FORMAT", default_value = "text")]
    pub log_format: rekey_web::logging::LogFormat,

    /// The cloud's public base URL (https://… in production); the gateway is {base}/gateway/v1.
    #[arg(long, env = "REKEY_RECORDER_CLOUD_URL")]
    pub cloud_url: String,

    /// The cloud's Ed25519 public key, base64url: the only key the agent trusts.
    #[arg(long, env = "REKEY_RECORDER_CLOUD_KEY", allow_hyphen_values = true)]
    pub cloud_key: String,

    /// The serial number printed on the recorder; without one, the recorder makes RK + 12
    /// random symbols on first start and keeps it.
    #[arg(long, env = "REKEY_RECORDER_SERIAL")]
    pub serial: Option<String>,

    /// The recorder's time zone, an IANA name (Asia/Tokyo, Europe/Berlin, UTC): its local date
    /// (temporary passwords from the portal are valid on the recorder's dates) and the times its
    /// screens show follow it, daylight saving time included.
    #[arg(long, env = "REKEY_RECORDER_TIME_ZONE", default_value = "Asia/Tokyo")]
    pub time_zone: String,

    /// Replaced by --time-zone: given, the recorder refuses to start and says so (a fixed
    /// offset cannot follow daylight saving time).
    #[arg(long, env = "REKEY_RECORDER_UTC_OFFSET", hide = true)]
    pub utc_offset: Option<String>,

    /// First reconnection delay in milliseconds (doubles up to --backoff-max-ms, ±50 % jitter).
    #[arg(
        long,
        env = "REKEY_RECORDER_BACKOFF_INITIAL_MS",
        default_value_t = 1_000
    )]
    pub backoff_initial_ms: u64,

    /// Longest reconnection delay in milliseconds.
    #[arg(long, env = "REKEY_RECORDER_BACKOFF_MAX_MS", default_value_t = 60_000)]
    pub backoff_max_ms: u64,

    /// Heartbeat period in seconds used when the cloud does not name one.
    #[arg(long, env = "REKEY_RECORDER_HEARTBEAT_SECS", default_value_t = 20)]
    pub heartbeat_secs: u32,

    /// Reverse proxies (addresses or CIDR networks, comma-separated) whose Forwarded /
    /// X-Forwarded-For header names the client. From any other peer such headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "REKEY_RECORDER_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,

    /// Seconds a client has to send a request's head (and an idle connection its next).
    #[arg(long, env = "REKEY_RECORDER_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a client has to send a request's body.
    #[arg(long, env = "REKEY_RECORDER_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub body_timeout_secs: u64,

    /// Connections open at once [default: three quarters of the open-file limit].
    #[arg(long, env = "REKEY_RECORDER_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,

    /// Connections open at once from one address (trusted proxies exempt).
    #[arg(
        long,
        env = "REKEY_RECORDER_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 64
    )]
    pub max_connections_per_address: usize,

    /// TEST ONLY: a file holding a clock offset in seconds (`-86400`) or an absolute Unix time
    /// (`@1767225600`), read on every clock call so tests can move the recorder's date.
    #[arg(long, env = "REKEY_RECORDER_TEST_CLOCK_FILE", hide = true)]
    pub test_clock_file: Option<PathBuf>,
}

/// How the agent reconnects and keeps the connection alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentSettings {
    /// First reconnection delay (protocol: 1 s).
    pub backoff_initial: Duration,
    /// Longest reconnection delay (protocol: 60 s).
    pub backoff_max: Duration,
    /// Jitter in percent either way (protocol: 50).
    pub jitter_percent: u32,
    /// Heartbeat period when the cloud's `welcome` says 0.
    pub heartbeat_secs: u32,
    /// How long connecting plus the handshake may take.
    pub handshake_timeout: Duration,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            backoff_initial: Backoff::RECORDER.initial,
            backoff_max: Backoff::RECORDER.max,
            jitter_percent: Backoff::RECORDER.jitter_percent,
            heartbeat_secs: 20,
            handshake_timeout: Duration::from_secs(15),
        }
    }
}

/// The limits of the recovery screen and of logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a recovery challenge lives (protocol default: 30 minutes).
    pub challenge_lifetime_secs: i64,
    /// Failed codes (all but malformed ones) before the recovery screen locks.
    pub recovery_max_failures: u32,
    /// The first lock's length; each further lock doubles it.
    pub recovery_first_lock_secs: i64,
    /// Failed logins per user name before that name is locked.
    pub login_max_failures_per_user: u32,
    /// Failed logins per client address before that address is locked.
    pub login_max_failures_per_client: u32,
    /// The window in which failed logins are counted.
    pub login_window_secs: i64,
    /// How long a login lock lasts.
    pub login_lock_secs: i64,
    /// How long a session lasts.
    pub session_secs: i64,
    /// The request limits of "Forgot password?".
    pub forgot: ForgotLimits,
    /// How long and how much of the audit log is kept.
    pub audit: AuditPolicy,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            challenge_lifetime_secs: 30 * 60,
            recovery_max_failures: 5,
            recovery_first_lock_secs: 15 * 60,
            login_max_failures_per_user: 5,
            login_max_failures_per_client: 20,
            login_window_secs: 15 * 60,
            login_lock_secs: 5 * 60,
            session_secs: 12 * 60 * 60,
            forgot: ForgotLimits {
                per_client: 5,
                overall: 20,
                window_secs: 60 * 60,
            },
            audit: AuditPolicy::default(),
        }
    }
}

/// Everything the recorder needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the web UI listens on (port 0: any free port).
    pub listen: SocketAddr,
    /// Directory holding the state database.
    pub data_dir: PathBuf,
    /// The cloud's public base URL.
    pub cloud_base: CloudBase,
    /// The pinned cloud public key.
    pub cloud_key: CloudPublicKey,
    /// The configured serial number, if the recorder has one printed on it.
    pub serial: Option<Serial>,
    /// Reconnection and heartbeat settings.
    pub agent: AgentSettings,
    /// Recovery and login limits.
    pub limits: Limits,
    /// The recorder's time zone: its local date and the times its screens show.
    pub time_zone: TimeZone,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Reverse proxies whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Timeouts and connection caps of the web UI's server.
    pub serve: ServeLimits,
}

impl Config {
    /// The configuration a command line describes.
    pub fn from_args(args: Args) -> Result<Self, ConfigError> {
        if args.backoff_initial_ms == 0 || args.backoff_max_ms < args.backoff_initial_ms {
            return Err(ConfigError::Range(
                "--backoff-initial-ms must be > 0 and at most --backoff-max-ms",
            ));
        }
        if args.heartbeat_secs == 0 {
            return Err(ConfigError::Range("--heartbeat-secs must be > 0"));
        }
        if args.utc_offset.is_some() {
            return Err(ConfigError::UtcOffsetReplaced);
        }
        let clock = FileClock::or_system(args.test_clock_file);
        Ok(Self {
            listen: args.listen,
            data_dir: args.data_dir,
            cloud_base: CloudBase::parse(&args.cloud_url)?,
            cloud_key: CloudPublicKey::parse(&args.cloud_key)?,
            serial: args.serial.as_deref().map(Serial::parse).transpose()?,
            agent: AgentSettings {
                backoff_initial: Duration::from_millis(args.backoff_initial_ms),
                backoff_max: Duration::from_millis(args.backoff_max_ms),
                heartbeat_secs: args.heartbeat_secs,
                ..AgentSettings::default()
            },
            limits: Limits::default(),
            time_zone: TimeZone::parse(&args.time_zone)?,
            clock,
            trusted_proxies: TrustedProxies::parse(&args.trusted_proxies)?,
            serve: ServeLimits {
                header_read: Duration::from_secs(args.header_timeout_secs.max(1)),
                body_read: Duration::from_secs(args.body_timeout_secs.max(1)),
                max_connections: args
                    .max_connections
                    .unwrap_or(ServeLimits::default().max_connections),
                max_connections_per_address: args.max_connections_per_address.max(1),
            },
        })
    }

    /// A configuration for tests: listens on 127.0.0.1 port 0, short back-off (50 ms to
    /// 400 ms), Asia/Tokyo, and the given data directory, cloud and clock.
    pub fn for_test(
        data_dir: PathBuf,
        cloud_base: CloudBase,
        cloud_key: CloudPublicKey,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            cloud_base,
            cloud_key,
            serial: None,
            agent: AgentSettings {
                backoff_initial: Duration::from_millis(50),
                backoff_max: Duration::from_millis(400),
                handshake_timeout: Duration::from_secs(5),
                ..AgentSettings::default()
            },
            limits: Limits::default(),
            time_zone: TimeZone::parse("Asia/Tokyo").expect("a zone of the bundled database"),
            clock,
            trusted_proxies: TrustedProxies::none(),
            // Tests play many clients from 127.0.0.1 at once.
            serve: ServeLimits {
                max_connections_per_address: 4096,
                ..ServeLimits::default()
            },
        }
    }

    /// The gateway's WebSocket URL: `{base}/gateway/v1` with `ws(s)://` for `http(s)://`.
    pub fn gateway_url(&self) -> String {
        let base = self.cloud_base.as_str();
        let ws = match base.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!("ws://{}", base.strip_prefix("http://").unwrap_or(base)),
        };
        format!("{ws}{}", rekey_proto::gateway::GATEWAY_PATH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn key() -> String {
        rekey_proto::CloudSigningKey::from_seed([7; 32])
            .public()
            .to_string()
    }

    #[test]
    fn args_become_a_config() {
        let args = Args::try_parse_from([
            "rekey-recorder",
            "--cloud-url",
            "https://cloud.example.com/",
            "--cloud-key",
            &key(),
            "--serial",
            "nvr123456",
        ]);
        let config = args
            .map_err(|e| e.to_string())
            .and_then(|a| Config::from_args(a).map_err(|e| e.to_string()));
        let config = match config {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(config.gateway_url(), "wss://cloud.example.com/gateway/v1");
        assert_eq!(
            config.serial.map(|s| s.to_string()).as_deref(),
            Some("NVR123456")
        );
        assert_eq!(config.time_zone.name(), "Asia/Tokyo");
        assert_eq!(config.agent.backoff_max, Duration::from_secs(60));
        // Its own port, not the cloud's default 8080.
        assert_eq!(config.listen, SocketAddr::from(([127, 0, 0, 1], 8081)));
    }

    #[test]
    fn the_time_zone_is_an_iana_name_and_the_old_offset_flag_says_so() {
        let parse = |extra: &[&str]| {
            let key = key();
            let mut args = vec![
                "rekey-recorder",
                "--cloud-url",
                "http://127.0.0.1:9",
                "--cloud-key",
                key.as_str(),
            ];
            args.extend_from_slice(extra);
            Config::from_args(Args::try_parse_from(args).expect("flags"))
        };
        let berlin = parse(&["--time-zone", "europe/berlin"]).map(|c| c.time_zone);
        assert_eq!(
            berlin.map(|z| z.name().to_string()).ok().as_deref(),
            Some("Europe/Berlin")
        );
        assert!(matches!(
            parse(&["--time-zone", "+09:00"]),
            Err(ConfigError::TimeZone(_))
        ));
        assert!(matches!(
            parse(&["--utc-offset", "+09:00"]),
            Err(ConfigError::UtcOffsetReplaced)
        ));
    }

    #[test]
    fn a_bad_key_is_refused() {
        let args = Args::try_parse_from([
            "rekey-recorder",
            "--cloud-url",
            "http://127.0.0.1:9",
            "--cloud-key",
            "not-a-key",
        ]);
        assert!(matches!(
            args.map(Config::from_args),
            Ok(Err(ConfigError::CloudKey(_)))
        ));
    }
}
