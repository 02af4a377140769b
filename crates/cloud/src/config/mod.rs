//! Configuration: one definition of every setting, read from flags, environment variables
//! (`REKEY_CLOUD_*`) and an optional TOML file, in that order of precedence.
//!
//! `args` is the command line and the file (`Args::into_config` merges them into a checked
//! [`Config`]); `keys` reads and makes the key files.

mod args;
mod keys;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use rekey_proto::{CloudBase, CloudSigningKey, MasterKey};
use rekey_web::client::TrustedProxies;
use rekey_web::serve::ServeLimits;
use rekey_web::{Secret, TimeZone};

use args::region_time_zones;
pub use args::{Args, Command};
pub use keys::keygen;

/// Regions offered at sign-up when none are configured.
pub const DEFAULT_REGIONS: [&str; 4] = ["jp", "us", "eu", "ap"];

/// The time zone a new account of a region starts with when the configuration names none
/// (`--region-time-zone`); a region in neither starts with UTC. The account can change it.
pub const DEFAULT_REGION_TIME_ZONES: [(&str, &str); 4] = [
    ("jp", "Asia/Tokyo"),
    ("us", "America/New_York"),
    ("eu", "Europe/Berlin"),
    ("ap", "Asia/Singapore"),
];

/// How long a shutdown waits for work in flight by default: a request's body timeout, so that a
/// request being received when the signal came can still finish.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// The settings of one cloud instance, parsed and checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Public base URL: QR codes and e-mails carry it.
    pub base_url: CloudBase,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: Secret<String>,
    /// Where the SQLite file, the outbox and generated keys live.
    pub data_dir: PathBuf,
    /// SMTP server URL (`smtp://user:pass@host:587?tls=required`, `smtps://…`); none: outbox.
    pub smtp_url: Option<Secret<String>>,
    /// The From: header of every e-mail.
    pub mail_from: String,
    /// Encrypts recovery keys at rest; the key that seals queued mail is derived from it.
    pub master_key: Secret<[u8; 32]>,
    /// Signs gateway handshakes; recorders pin its public half.
    pub signing_seed: Secret<[u8; 32]>,
    /// Region codes offered at sign-up.
    pub regions: Vec<String>,
    /// Each region's default time zone: a new account's, and the one mail to an address
    /// without an account yet is written in ([`Config::region_time_zone`]).
    pub region_time_zones: Vec<(String, TimeZone)>,
    /// Seconds between recorder heartbeats.
    pub heartbeat_secs: u32,
    /// Days a deleted account's data is kept before the sweep deletes it.
    pub deleted_account_retention_days: u32,
    /// Reverse proxies whose `Forwarded`/`X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// Timeouts and connection caps of the HTTP server.
    pub serve: ServeLimits,
    /// A local system for development: keys may be generated in the data directory, mail may go
    /// to the outbox, and `/dev/outbox` lists it (to loopback clients). Never on the internet.
    pub dev: bool,
    /// Limits on the gateway's unauthenticated work.
    pub gateway: GatewayLimits,
    /// How long a shutdown (SIGTERM, SIGINT) may wait for requests in flight and the mail being
    /// sent before the process ends anyway.
    pub shutdown_timeout: Duration,
    /// Where `/metrics` is served (Prometheus), apart from everything else; none by default.
    pub metrics_listen: Option<SocketAddr>,
    /// How long a transfer of devices to another account waits for its recipient to accept it
    /// (docs/protocol.md §9, "Transfer").
    pub transfer_ttl: Duration,
    /// TEST ONLY: a file that moves the cloud's clock ([`rekey_web::FileClock`]); none in
    /// production.
    pub test_clock_file: Option<PathBuf>,
}

/// How long a transfer waits for its recipient by default: a week.
pub const DEFAULT_TRANSFER_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Limits on the device gateway's handshakes (docs/protocol.md §3, "Handshake limits").
/// "Address" means an IPv4 address or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayLimits {
    /// The whole handshake, from the WebSocket upgrade to a verified proof.
    pub handshake_timeout: Duration,
    /// Handshakes in progress from one address; a newer one drops the oldest past it.
    pub handshakes_per_address: usize,
    /// Handshakes in progress overall; a newer one drops the oldest past it.
    pub handshakes_total: usize,
    /// Failed handshakes from one address in ten minutes before the cloud waits a second before
    /// answering each further `hello` from it (never refusing it).
    pub failures_per_address: u32,
    /// New serials one address may enrol per hour.
    pub enrolments_per_address: i64,
}

impl Default for GatewayLimits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            handshakes_per_address: 1024,
            handshakes_total: 16_384,
            failures_per_address: 100,
            enrolments_per_address: 20,
        }
    }
}

impl GatewayLimits {
    fn checked(self) -> anyhow::Result<Self> {
        if self.handshake_timeout < Duration::from_secs(1) {
            bail!("the gateway handshake timeout must be at least 1 second");
        }
        if self.handshakes_per_address == 0
            || self.handshakes_total == 0
            || self.failures_per_address == 0
            || self.enrolments_per_address <= 0
        {
            bail!("gateway limits must be at least 1");
        }
        if self.handshakes_per_address > self.handshakes_total {
            bail!("gateway handshakes per address cannot exceed the total");
        }
        Ok(self)
    }
}

impl Config {
    /// The master key as the protocol type.
    pub fn master_key(&self) -> MasterKey {
        MasterKey::from_bytes(*self.master_key.expose())
    }

    /// The signing key as the protocol type.
    pub fn signing_key(&self) -> CloudSigningKey {
        CloudSigningKey::from_seed(*self.signing_seed.expose())
    }

    /// Whether cookies get the `Secure` attribute (the base URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.base_url.as_str().starts_with("https://")
    }

    /// What the housekeeping sweep keeps: the defaults, with the deleted accounts' retention
    /// from this configuration.
    pub fn retention(&self) -> crate::store::sweep::Retention {
        crate::store::sweep::Retention {
            deleted_accounts: i64::from(self.deleted_account_retention_days) * 24 * 3600,
            ..crate::store::sweep::Retention::DEFAULT
        }
    }

    /// The default time zone of `region`: the configured one, else UTC.
    pub fn region_time_zone(&self, region: &str) -> TimeZone {
        self.region_time_zones
            .iter()
            .find(|(r, _)| r == region)
            .map_or_else(TimeZone::utc, |(_, z)| z.clone())
    }

    /// The outbox directory used when no SMTP server is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// A configuration for tests and the local system: everything on loopback, SQLite in
    /// `data_dir` unless `database_url` is given, outbox mail unless `smtp_url` is given, fixed
    /// keys from `seed`.
    pub fn for_local(
        data_dir: &Path,
        database_url: Option<String>,
        smtp_url: Option<String>,
        seed: u8,
    ) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_url: CloudBase::parse("http://127.0.0.1").expect("constant URL"),
            database_url: Secret::new(
                database_url
                    .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("cloud.db").display())),
            ),
            data_dir: data_dir.to_path_buf(),
            smtp_url: smtp_url.map(Secret::new),
            mail_from: "Rekey <no-reply@rekey.localhost>".into(),
            master_key: Secret::new([seed; 32]),
            signing_seed: Secret::new([seed.wrapping_add(1); 32]),
            regions: DEFAULT_REGIONS.iter().map(|s| s.to_string()).collect(),
            region_time_zones: region_time_zones(&[], &DEFAULT_REGIONS.map(String::from))
                .expect("the default table names zones of the bundled database"),
            heartbeat_secs: 20,
            deleted_account_retention_days: 30,
            trusted_proxies: TrustedProxies::none(),
            serve: ServeLimits::default(),
            dev: true,
            gateway: GatewayLimits::default(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            metrics_listen: None,
            transfer_ttl: DEFAULT_TRANSFER_TTL,
            test_clock_file: None,
        }
    }
}
