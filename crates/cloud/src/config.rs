//! Configuration: one definition of every setting, read from flags, environment variables
//! (`REKEY_CLOUD_*`) and an optional TOML file, in that order of precedence.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rekey_proto::{CloudBase, CloudSigningKey, MasterKey};
use rekey_web::client::TrustedProxies;
use rekey_web::serve::ServeLimits;
use rekey_web::{Secret, TimeZone};

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

/// The command line (every flag also reads an environment variable).
#[derive(Debug, clap::Parser)]
#[command(
    name = "rekey-cloud",
    version,
    about = "The Rekey cloud service: portal, API and device gateway."
)]
pub struct Args {
    /// TOML file with any of the settings below (names as the flags, with underscores).
    #[arg(long, env = "REKEY_CLOUD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "REKEY_CLOUD_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Public base URL, as phones and recorders reach it [default: http://LISTEN].
    #[arg(long, env = "REKEY_CLOUD_BASE_URL")]
    pub base_url: Option<String>,
    /// Data directory (SQLite file, outbox, generated keys) [default: ./rekey-cloud-data].
    #[arg(long, env = "REKEY_CLOUD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database: sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the data directory].
    #[arg(long, env = "REKEY_CLOUD_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// SMTP server, e.g. smtp://user:pass@mail.example.com:587?tls=required or smtps://…:465.
    /// Without it, mail is written to the outbox directory and listed at /dev/outbox.
    #[arg(long, env = "REKEY_CLOUD_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// From: address of e-mails [default: Rekey <no-reply@HOST>].
    #[arg(long, env = "REKEY_CLOUD_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Master key (32 bytes, base64url) that encrypts recovery keys at rest. Keep it out of the
    /// database's backups. Required (or --master-key-file) unless --dev; `rekey-cloud keygen`
    /// makes one.
    #[arg(long, env = "REKEY_CLOUD_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// File holding the master key (base64url).
    #[arg(long, env = "REKEY_CLOUD_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// File holding the cloud signing key seed (base64url). Required unless --dev (then
    /// generated if missing) [default with --dev: DATA_DIR/cloud-signing.key]; `rekey-cloud
    /// keygen` makes one.
    #[arg(long, env = "REKEY_CLOUD_SIGNING_KEY_FILE")]
    pub signing_key_file: Option<PathBuf>,
    /// Comma-separated region codes offered at sign-up [default: jp,us,eu,ap].
    #[arg(long, env = "REKEY_CLOUD_REGIONS", value_delimiter = ',')]
    pub regions: Option<Vec<String>>,
    /// A region's default time zone, as REGION=IANA_NAME, comma-separated (e.g.
    /// jp=Asia/Tokyo,us=America/Chicago): new accounts of the region start with it (each can
    /// change it in user information) [default: jp=Asia/Tokyo, us=America/New_York,
    /// eu=Europe/Berlin, ap=Asia/Singapore; UTC for any other region].
    #[arg(
        long = "region-time-zone",
        env = "REKEY_CLOUD_REGION_TIME_ZONES",
        value_delimiter = ','
    )]
    pub region_time_zones: Option<Vec<String>>,
    /// Seconds between recorder heartbeats [default: 20].
    #[arg(long, env = "REKEY_CLOUD_HEARTBEAT_SECS")]
    pub heartbeat_secs: Option<u32>,
    /// Days a deleted account's data is kept before it is deleted [default: 30].
    #[arg(long, env = "REKEY_CLOUD_DELETED_ACCOUNT_RETENTION_DAYS")]
    pub deleted_account_retention_days: Option<u32>,
    /// Reverse proxies (addresses or CIDR networks, comma-separated) whose Forwarded /
    /// X-Forwarded-For header names the client. From any other peer such headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "REKEY_CLOUD_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<String>>,
    /// Seconds a client has to send a request's head (and an idle connection its next) [default: 10].
    #[arg(long, env = "REKEY_CLOUD_HEADER_TIMEOUT_SECS")]
    pub header_timeout_secs: Option<u64>,
    /// Seconds a client has to send a request's body [default: 30].
    #[arg(long, env = "REKEY_CLOUD_BODY_TIMEOUT_SECS")]
    pub body_timeout_secs: Option<u64>,
    /// Connections open at once [default: three quarters of the open-file limit].
    #[arg(long, env = "REKEY_CLOUD_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Connections open at once from one address, trusted proxies exempt [default: 256].
    #[arg(long, env = "REKEY_CLOUD_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,
    /// Serve Prometheus metrics at /metrics on this address (e.g. 127.0.0.1:9100), apart from
    /// the portal; not served without it.
    #[arg(long, env = "REKEY_CLOUD_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Log lines as `text` or `json` (one object per line) [default: text].
    #[arg(long, env = "REKEY_CLOUD_LOG_FORMAT", default_value = "text")]
    pub log_format: rekey_web::logging::LogFormat,
    /// Seconds a shutdown (SIGTERM, SIGINT) waits for requests in flight and the mail being sent
    /// before the process ends anyway [default: 30].
    #[arg(long, env = "REKEY_CLOUD_SHUTDOWN_TIMEOUT_SECS")]
    pub shutdown_timeout_secs: Option<u64>,
    /// Days a transfer of devices waits for its recipient to accept it [default: 7].
    #[arg(long, env = "REKEY_CLOUD_TRANSFER_DAYS")]
    pub transfer_days: Option<u64>,
    /// A local system for development (plain http only): generated keys in the data directory,
    /// mail to the outbox when no SMTP URL is given, and the /dev/outbox page.
    #[arg(long, env = "REKEY_CLOUD_DEV")]
    pub dev: bool,
    /// Seconds a recorder has for the whole gateway handshake, from the upgrade to its proof
    /// [default: 10].
    #[arg(long, env = "REKEY_CLOUD_GATEWAY_HANDSHAKE_TIMEOUT_SECS")]
    pub gateway_handshake_timeout_secs: Option<u64>,
    /// Gateway handshakes in progress from one address (IPv4, or IPv6 /64); a newer one drops the
    /// oldest past it [default: 1024].
    #[arg(long, env = "REKEY_CLOUD_GATEWAY_HANDSHAKES_PER_ADDRESS")]
    pub gateway_handshakes_per_address: Option<usize>,
    /// Gateway handshakes in progress overall; a newer one drops the oldest past it
    /// [default: 16384].
    #[arg(long, env = "REKEY_CLOUD_GATEWAY_HANDSHAKES_TOTAL")]
    pub gateway_handshakes_total: Option<usize>,
    /// Failed gateway handshakes from one address in ten minutes before its further handshakes
    /// are slowed (never refused) [default: 100].
    #[arg(long, env = "REKEY_CLOUD_GATEWAY_FAILURES_PER_ADDRESS")]
    pub gateway_failures_per_address: Option<u32>,
    /// New recorder serials one address may enrol per hour [default: 20].
    #[arg(long, env = "REKEY_CLOUD_GATEWAY_ENROLMENTS_PER_ADDRESS")]
    pub gateway_enrolments_per_address: Option<i64>,
    /// TEST ONLY: a file holding a clock offset in seconds (`-86400`) or an absolute Unix time
    /// (`@1767225600`), read on every clock call so end-to-end tests can move the cloud's time.
    #[arg(long, env = "REKEY_CLOUD_TEST_CLOCK_FILE", hide = true)]
    pub test_clock_file: Option<PathBuf>,
    /// Print the cloud's public key (for the recorders' --cloud-key) and exit.
    #[arg(long)]
    pub print_public_key: bool,
    /// A subcommand instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `rekey-cloud` can do besides serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Makes a new master key and cloud signing key (files readable only by their owner) and
    /// prints the public key the recorders pin.
    Keygen {
        /// Directory to write `master.key` and `cloud-signing.key` into; existing files are
        /// never overwritten.
        #[arg(long)]
        dir: PathBuf,
    },
}

/// The TOML file: the same settings as [`Args`].
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    base_url: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    master_key: Option<String>,
    master_key_file: Option<PathBuf>,
    signing_key_file: Option<PathBuf>,
    regions: Option<Vec<String>>,
    region_time_zones: Option<Vec<String>>,
    heartbeat_secs: Option<u32>,
    deleted_account_retention_days: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
    shutdown_timeout_secs: Option<u64>,
    transfer_days: Option<u64>,
    metrics_listen: Option<SocketAddr>,
    dev: Option<bool>,
    gateway_handshake_timeout_secs: Option<u64>,
    gateway_handshakes_per_address: Option<usize>,
    gateway_handshakes_total: Option<usize>,
    gateway_failures_per_address: Option<u32>,
    gateway_enrolments_per_address: Option<i64>,
}

fn decode_key(text: &str, what: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim())
        .with_context(|| format!("{what} is not base64url"))?;
    <[u8; 32]>::try_from(bytes).map_err(|_| anyhow::anyhow!("{what} must be 32 bytes"))
}

/// Reads a base64url key from `path`, or makes one there (mode 0600) if the file is missing.
fn key_file(path: &Path, what: &str) -> anyhow::Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => decode_key(&text, what),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = rekey_web::random_array::<32>();
            write_private(path, &URL_SAFE_NO_PAD.encode(key))
                .with_context(|| format!("cannot create {what} file {}", path.display()))?;
            tracing::warn!(path = %path.display(), "generated a new {what}");
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {what} file {}", path.display())),
    }
}

/// Reads a base64url key that must exist (outside dev mode nothing is generated).
fn existing_key_file(path: &Path, what: &str) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {what} file {} (`rekey-cloud keygen --dir DIR` makes one)",
            path.display()
        )
    })?;
    decode_key(&text, what)
}

/// `rekey-cloud keygen`: writes a new master key and signing key into `dir` (never over an
/// existing file) and returns the public key recorders pin.
pub fn keygen(dir: &Path) -> anyhow::Result<String> {
    let master = dir.join("master.key");
    let signing = dir.join("cloud-signing.key");
    for path in [&master, &signing] {
        if path.exists() {
            bail!(
                "{} exists already; keys are never overwritten",
                path.display()
            );
        }
    }
    let seed = rekey_web::random_array::<32>();
    write_private(
        &master,
        &URL_SAFE_NO_PAD.encode(rekey_web::random_array::<32>()),
    )
    .with_context(|| format!("cannot write {}", master.display()))?;
    write_private(&signing, &URL_SAFE_NO_PAD.encode(seed))
        .with_context(|| format!("cannot write {}", signing.display()))?;
    Ok(CloudSigningKey::from_seed(seed).public().to_string())
}

/// The time zone of each configured region: the defaults, overridden by `given`
/// (`REGION=IANA_NAME` each); a region without either gets UTC. A zone that is not an IANA name,
/// or a region that is not configured, is refused.
fn region_time_zones(
    given: &[String],
    regions: &[String],
) -> anyhow::Result<Vec<(String, TimeZone)>> {
    let mut table: Vec<(String, TimeZone)> = Vec::new();
    for region in regions {
        let default = DEFAULT_REGION_TIME_ZONES
            .iter()
            .find(|(r, _)| r == region)
            .map_or_else(|| Ok(TimeZone::utc()), |(_, z)| TimeZone::parse(z))?;
        table.push((region.clone(), default));
    }
    for entry in given {
        let Some((region, zone)) = entry.split_once('=') else {
            bail!("--region-time-zone {entry:?}: give REGION=IANA_NAME, e.g. jp=Asia/Tokyo");
        };
        let region = region.trim().to_ascii_lowercase();
        let zone = TimeZone::parse(zone).context("--region-time-zone")?;
        match table.iter_mut().find(|(r, _)| *r == region) {
            Some(slot) => slot.1 = zone,
            None => bail!("--region-time-zone names {region:?}, which is not a configured region"),
        }
    }
    Ok(table)
}

/// Writes a file readable only by its owner, atomically (temporary file, then rename).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        rekey_web::files::create_private_dir(dir)?;
    }
    let tmp = path.with_extension("tmp");
    // A leftover temporary file would keep its mode: start from a new one.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

impl Args {
    /// Merges flags, environment, file and defaults into a checked [`Config`].
    pub fn into_config(self) -> anyhow::Result<Config> {
        let file: FileConfig = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read configuration file {}", path.display())
                })?;
                toml::from_str(&text)
                    .with_context(|| format!("invalid configuration file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let listen = self
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let base_url = self
            .base_url
            .or(file.base_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let base_url = CloudBase::parse(&base_url).context("invalid base URL")?;
        let data_dir = self
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("rekey-cloud-data"));
        rekey_web::files::own_private_dir(&data_dir)
            .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
        let database_url = self
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("cloud.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            bail!("the database URL must start with sqlite:// or postgres://");
        }
        let dev = self.dev || file.dev.unwrap_or(false);
        if dev && base_url.as_str().starts_with("https://") {
            bail!(
                "--dev is for a local system on plain http; a cloud with an https:// base URL \
                 runs in production mode (drop --dev)"
            );
        }
        let smtp_url = self.smtp_url.or(file.smtp_url);
        if !dev && smtp_url.is_none() {
            bail!(
                "no SMTP server configured: set --smtp-url (REKEY_CLOUD_SMTP_URL), e.g. \
                 smtps://user:pass@mail.example.com:465; only a local system (--dev) writes mail \
                 to an outbox"
            );
        }
        let master_key = match (
            self.master_key.or(file.master_key),
            self.master_key_file.or(file.master_key_file),
        ) {
            (Some(text), _) => decode_key(&text, "master key")?,
            (None, Some(path)) if dev => key_file(&path, "master key")?,
            (None, Some(path)) => existing_key_file(&path, "master key")?,
            (None, None) if dev => key_file(&data_dir.join("master.key"), "master key")?,
            (None, None) => bail!(
                "no master key configured: set --master-key-file (or --master-key); \
                 `rekey-cloud keygen --dir DIR` makes one. Keep it out of the database's backups"
            ),
        };
        let signing_seed = match (self.signing_key_file.or(file.signing_key_file), dev) {
            (Some(path), true) => key_file(&path, "cloud signing key")?,
            (Some(path), false) => existing_key_file(&path, "cloud signing key")?,
            (None, true) => key_file(&data_dir.join("cloud-signing.key"), "cloud signing key")?,
            (None, false) => bail!(
                "no cloud signing key configured: set --signing-key-file; \
                 `rekey-cloud keygen --dir DIR` makes one (recorders pin its public key)"
            ),
        };
        let trusted_proxies = TrustedProxies::parse(
            &self
                .trusted_proxies
                .or(file.trusted_proxies)
                .unwrap_or_default(),
        )
        .context("--trusted-proxy")?;
        let defaults = ServeLimits::default();
        let secs = |v: Option<u64>, d: std::time::Duration| {
            v.map_or(d, |s| std::time::Duration::from_secs(s.max(1)))
        };
        let serve = ServeLimits {
            header_read: secs(
                self.header_timeout_secs.or(file.header_timeout_secs),
                defaults.header_read,
            ),
            body_read: secs(
                self.body_timeout_secs.or(file.body_timeout_secs),
                defaults.body_read,
            ),
            max_connections: self
                .max_connections
                .or(file.max_connections)
                .unwrap_or(defaults.max_connections),
            max_connections_per_address: self
                .max_connections_per_address
                .or(file.max_connections_per_address)
                .unwrap_or(defaults.max_connections_per_address),
        };
        let regions = self
            .regions
            .or(file.regions)
            .unwrap_or_else(|| DEFAULT_REGIONS.iter().map(|s| s.to_string()).collect());
        if regions.is_empty() {
            bail!("at least one region must be configured");
        }
        let region_time_zones = region_time_zones(
            &self
                .region_time_zones
                .or(file.region_time_zones)
                .unwrap_or_default(),
            &regions,
        )?;
        let host = base_url
            .as_str()
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split([':', '/']).next())
            .filter(|h| h.parse::<std::net::IpAddr>().is_err() && !h.starts_with('['))
            .unwrap_or("rekey.localhost")
            .to_string();
        let defaults = GatewayLimits::default();
        let gateway = GatewayLimits {
            handshake_timeout: self
                .gateway_handshake_timeout_secs
                .or(file.gateway_handshake_timeout_secs)
                .map_or(defaults.handshake_timeout, Duration::from_secs),
            handshakes_per_address: self
                .gateway_handshakes_per_address
                .or(file.gateway_handshakes_per_address)
                .unwrap_or(defaults.handshakes_per_address),
            handshakes_total: self
                .gateway_handshakes_total
                .or(file.gateway_handshakes_total)
                .unwrap_or(defaults.handshakes_total),
            failures_per_address: self
                .gateway_failures_per_address
                .or(file.gateway_failures_per_address)
                .unwrap_or(defaults.failures_per_address),
            enrolments_per_address: self
                .gateway_enrolments_per_address
                .or(file.gateway_enrolments_per_address)
                .unwrap_or(defaults.enrolments_per_address),
        }
        .checked()?;
        Ok(Config {
            listen,
            base_url,
            database_url: Secret::new(database_url),
            data_dir,
            smtp_url: smtp_url.map(Secret::new),
            mail_from: self
                .mail_from
                .or(file.mail_from)
                .unwrap_or_else(|| format!("Rekey <no-reply@{host}>")),
            master_key: Secret::new(master_key),
            signing_seed: Secret::new(signing_seed),
            regions,
            region_time_zones,
            heartbeat_secs: self
                .heartbeat_secs
                .or(file.heartbeat_secs)
                .unwrap_or(20)
                .max(1),
            deleted_account_retention_days: self
                .deleted_account_retention_days
                .or(file.deleted_account_retention_days)
                .unwrap_or(30),
            trusted_proxies,
            serve,
            dev,
            gateway,
            shutdown_timeout: secs(
                self.shutdown_timeout_secs.or(file.shutdown_timeout_secs),
                DEFAULT_SHUTDOWN_TIMEOUT,
            ),
            metrics_listen: self.metrics_listen.or(file.metrics_listen),
            transfer_ttl: match self.transfer_days.or(file.transfer_days) {
                None => DEFAULT_TRANSFER_TTL,
                Some(0) => bail!("a transfer must wait at least 1 day"),
                Some(days) => Duration::from_secs(days.min(365) * 24 * 3600),
            },
            test_clock_file: self.test_clock_file,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn config(dir: &Path, extra: &[&str]) -> anyhow::Result<Config> {
        let mut args = vec![
            "rekey-cloud".to_string(),
            format!("--data-dir={}", dir.display()),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Args::try_parse_from(args)?.into_config()
    }

    #[test]
    fn production_refuses_to_start_without_smtp_and_explicit_keys() {
        let dir = tempfile::tempdir().unwrap();
        let e = config(dir.path(), &[]).unwrap_err().to_string();
        assert!(e.contains("--smtp-url"), "{e}");
        let smtp = "--smtp-url=smtp://127.0.0.1:2525";
        let e = config(dir.path(), &[smtp]).unwrap_err().to_string();
        assert!(e.contains("keygen"), "{e}");
        assert!(!dir.path().join("master.key").exists(), "nothing generated");
        let https = "--base-url=https://cloud.example.com";
        let e = config(dir.path(), &["--dev", https])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--dev"), "{e}");
    }

    #[test]
    fn keygen_makes_what_production_needs_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let public = keygen(dir.path()).unwrap();
        assert!(keygen(dir.path()).is_err(), "keys are never overwritten");
        let master = format!(
            "--master-key-file={}",
            dir.path().join("master.key").display()
        );
        let signing = format!(
            "--signing-key-file={}",
            dir.path().join("cloud-signing.key").display()
        );
        let c = config(
            dir.path(),
            &["--smtp-url=smtp://127.0.0.1:2525", &master, &signing],
        )
        .unwrap();
        assert!(!c.dev);
        assert_eq!(c.signing_key().public().to_string(), public);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key")).unwrap();
            assert_eq!(mode.permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn dev_mode_generates_keys_and_may_use_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), &["--dev", "--trusted-proxy=10.0.0.0/8,::1"]).unwrap();
        assert!(c.dev && c.smtp_url.is_none());
        assert!(dir.path().join("master.key").exists());
        assert!(c.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn each_region_has_a_default_time_zone_the_operator_can_change() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), &["--dev"]).unwrap();
        assert_eq!(c.region_time_zone("jp").name(), "Asia/Tokyo");
        assert_eq!(c.region_time_zone("eu").name(), "Europe/Berlin");
        let c = config(
            dir.path(),
            &[
                "--dev",
                "--regions=jp,us,kr",
                "--region-time-zone=us=america/chicago",
            ],
        )
        .unwrap();
        assert_eq!(c.region_time_zone("us").name(), "America/Chicago");
        assert_eq!(c.region_time_zone("jp").name(), "Asia/Tokyo");
        assert_eq!(c.region_time_zone("kr").name(), "UTC", "no default for kr");
        for bad in [
            "--region-time-zone=jp=+09:00",
            "--region-time-zone=fr=Europe/Paris",
            "--region-time-zone=jp",
        ] {
            assert!(config(dir.path(), &["--dev", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_test_clock_file_is_a_hidden_flag() {
        use clap::CommandFactory;
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), &["--dev"]).unwrap();
        assert_eq!(c.test_clock_file, None, "the system clock by default");
        let file = dir.path().join("clock");
        let flag = format!("--test-clock-file={}", file.display());
        let c = config(dir.path(), &["--dev", &flag]).unwrap();
        assert_eq!(c.test_clock_file, Some(file));
        let help = Args::command().render_long_help().to_string();
        assert!(!help.contains("test-clock"), "not in --help: {help}");
    }

    #[test]
    fn the_shutdown_timeout_has_a_default_and_a_flag() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), &["--dev"]).unwrap();
        assert_eq!(c.shutdown_timeout, DEFAULT_SHUTDOWN_TIMEOUT);
        let c = config(dir.path(), &["--dev", "--shutdown-timeout-secs=5"]).unwrap();
        assert_eq!(c.shutdown_timeout, Duration::from_secs(5));
        let c = config(dir.path(), &["--dev", "--shutdown-timeout-secs=0"]).unwrap();
        assert_eq!(
            c.shutdown_timeout,
            Duration::from_secs(1),
            "at least a second"
        );
    }
}
