//! The command line, its environment variables and the TOML file, merged into a checked
//! [`Config`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use rekey_proto::CloudBase;
use rekey_web::client::TrustedProxies;
use rekey_web::serve::ServeLimits;
use rekey_web::{Secret, TimeZone};

use super::keys::{decode_key, existing_key_file, key_file};
use super::{
    Config, DEFAULT_REGION_TIME_ZONES, DEFAULT_REGIONS, DEFAULT_SHUTDOWN_TIMEOUT,
    DEFAULT_TRANSFER_TTL, GatewayLimits,
};

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

/// The time zone of each configured region: the defaults, overridden by `given`
/// (`REGION=IANA_NAME` each); a region without either gets UTC. A zone that is not an IANA name,
/// or a region that is not configured, is refused.
pub(super) fn region_time_zones(
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
