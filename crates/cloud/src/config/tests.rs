//! The configuration's checks: what starts, what refuses to, and what it says.

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
