//! The built binary: help, an unreachable cloud, and its request/response handling against a
//! scripted in-test HTTP peer (not the cloud: the peer answers only what each test tells it),
//! by command; what the commands share (help, an unreachable cloud, prompts without a terminal)
//! is here.

mod account;
mod devices;
mod login;
mod recover;
mod signup;

use serde_json::json;

use crate::support::{FakeCloud, Reply, log_in, rekey};

pub(crate) const TOKEN: &str = "tok-3f9a-very-secret";

pub(crate) fn device(serial: &str, name: &str) -> serde_json::Value {
    json!({
        "serial": serial, "name": name, "online": true,
        "last_seen": "2026-11-02T10:15:00Z", "added_at": "2026-10-01T00:00:00Z"
    })
}

pub(crate) fn assert_no_token(run: &crate::support::Run) {
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "{run:?}"
    );
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let run = rekey(dir.path(), &["--help"], "");
    assert_eq!(run.code, 0, "{run:?}");
    for command in [
        "signup", "login", "logout", "account", "devices", "recover", "retrieve", "transfer",
        "accept",
    ] {
        assert!(run.stdout.contains(command), "{command}: {}", run.stdout);
    }
    let run = rekey(dir.path(), &["devices", "add", "--help"], "");
    assert!(run.stdout.contains("--qr <IMAGE>") && run.stdout.contains("--code <CODE>"));
}

#[test]
fn an_unreachable_cloud_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A port that was just free: nothing listens there.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cloud = format!("http://{addr}");
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &cloud,
            "login",
            "--login",
            "taro",
            "--password-stdin",
        ],
        "pw\n",
    );
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("cannot reach the cloud at {cloud}")),
        "{}",
        run.stderr
    );
    let run = rekey(
        dir.path(),
        &[
            "--json",
            "--cloud",
            &cloud,
            "signup",
            "--region",
            "jp",
            "--email",
            "a@b.jp",
            "--send-code-only",
        ],
        "",
    );
    assert_eq!(run.code, 4);
    assert_eq!(run.json()["error"], "cli-unreachable");
}

#[test]
fn missing_values_fail_fast_without_a_terminal() {
    let cloud = FakeCloud::start();
    cloud.on(
        "GET",
        "/regions",
        Reply::json(200, json!({"regions": [{"code": "jp", "name": "Japan"}]})),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = cloud.url();
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "signup",
            "--region",
            "jp",
            "--send-code-only",
        ],
        "",
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pass --email"), "{}", run.stderr);
    let run = rekey(
        dir.path(),
        &[
            "--cloud", &c, "signup", "--region", "mars", "--email", "a@b.jp",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("unknown region \"mars\"; choose one of: jp (Japan)"),
        "{}",
        run.stderr
    );
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "signup",
            "--email",
            "a@b.jp",
            "--code",
            "1",
            "--password-stdin",
        ],
        "x\n",
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pass --region"), "{}", run.stderr);
    let run = rekey(dir.path(), &["--json", "--cloud", &c, "login"], "");
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["error"], "cli-usage");
    assert!(run.stderr.contains("pass --login"), "{}", run.stderr);
    let run = rekey(dir.path(), &["--cloud", &c, "login", "--login", "taro"], "");
    assert!(
        run.stderr.contains("pass --password-stdin"),
        "{}",
        run.stderr
    );
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "login",
            "--login",
            "taro",
            "--password-stdin",
        ],
        "",
    );
    assert!(
        run.stderr.contains("no password on stdin"),
        "{}",
        run.stderr
    );
    assert!(cloud.seen_at("POST", "/login").is_empty());

    log_in(dir.path(), &c, TOKEN);
    cloud.on(
        "GET",
        "/devices",
        Reply::json(200, json!({"devices": [device("RK12AB34", "Shop")]})),
    );
    let run = rekey(dir.path(), &["devices", "remove", "Shop"], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pass --yes"), "{}", run.stderr);
    assert!(cloud.seen_at("DELETE", "/devices/RK12AB34").is_empty());
}
