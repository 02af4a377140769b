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

use rekey_web::Lang;

use crate::support::{FakeCloud, Reply, en, en_args, en_missing, log_in, rekey, rekey_in};

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
    // The reason is the system's; the sentence around it is the catalog's.
    let unreachable = en_args(
        "cli-unreachable",
        &[("cloud", cloud.as_str().into()), ("reason", "".into())],
    );
    assert!(
        run.stderr.contains(unreachable.trim_end()),
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
    assert!(
        run.stderr
            .contains(&en_missing("cli-what-email", "--email")),
        "{}",
        run.stderr
    );
    let run = rekey(
        dir.path(),
        &[
            "--cloud", &c, "signup", "--region", "mars", "--email", "a@b.jp",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    let unknown = en_args(
        "cli-unknown-region",
        &[
            ("region", "\"mars\"".into()),
            ("regions", "jp (Japan)".into()),
        ],
    );
    assert!(run.stderr.contains(&unknown), "{}", run.stderr);
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
    assert!(
        run.stderr.contains(&en("cli-region-needed")),
        "{}",
        run.stderr
    );
    let run = rekey(dir.path(), &["--json", "--cloud", &c, "login"], "");
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["error"], "cli-usage");
    assert!(
        run.stderr
            .contains(&en_missing("cli-what-login", "--login")),
        "{}",
        run.stderr
    );
    let run = rekey(dir.path(), &["--cloud", &c, "login", "--login", "taro"], "");
    assert!(
        run.stderr
            .contains(&en_missing("cli-what-password", "--password-stdin")),
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
    let no_line = en_args(
        "cli-no-stdin-value",
        &[("what", en("cli-what-password").into())],
    );
    assert!(run.stderr.contains(&no_line), "{}", run.stderr);
    assert!(cloud.seen_at("POST", "/login").is_empty());

    log_in(dir.path(), &c, TOKEN);
    cloud.on(
        "GET",
        "/devices",
        Reply::json(200, json!({"devices": [device("RK12AB34", "Shop")]})),
    );
    let run = rekey(dir.path(), &["devices", "remove", "Shop"], "");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains(&en_missing("cli-what-confirmation", "--yes")),
        "{}",
        run.stderr
    );
    assert!(cloud.seen_at("DELETE", "/devices/RK12AB34").is_empty());
}

#[test]
fn its_own_words_are_japanese_with_lang_ja_or_a_japanese_locale() {
    let ja = Lang::Ja;
    let cloud = FakeCloud::start();
    cloud.on(
        "GET",
        "/devices",
        Reply::json(200, json!({"devices": [device("RK12AB34", "店舗入口")]})),
    );
    let c = cloud.url();
    let dir = tempfile::tempdir().unwrap();

    // --lang ja: a result, and an error with the value it needs.
    let run = rekey(dir.path(), &["--lang", "ja", "logout"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout.trim_end(), ja.t("cli-already-logged-out"));
    let run = rekey(
        dir.path(),
        &["--lang", "ja", "--cloud", &c, "login", "--login", "taro"],
        "",
    );
    assert_eq!(run.code, 2, "{run:?}");
    let missing = ja.t_args(
        "cli-missing-value",
        &[
            ("what", ja.t("cli-what-password").into()),
            ("flag", "--password-stdin".into()),
        ],
    );
    let line = ja.t_args("cli-error-line", &[("message", missing.into())]);
    assert_eq!(run.stderr.trim_end(), line);

    // A Japanese locale without --lang: the table, and the cloud asked in Japanese; --json keeps
    // its machine keys.
    log_in(dir.path(), &c, TOKEN);
    let run = rekey_in(dir.path(), "ja_JP.UTF-8", &["devices"], "");
    assert_eq!(run.code, 0, "{run:?}");
    let header = run.stdout.lines().next().unwrap_or_default();
    assert!(header.starts_with(&ja.t("cli-col-name")), "{}", run.stdout);
    assert!(header.contains(&ja.t("cli-col-serial")), "{}", run.stdout);
    assert!(
        run.stdout.contains(&ja.t("cli-device-online")),
        "{}",
        run.stdout
    );
    assert_eq!(
        cloud.seen_at("GET", "/devices")[0]
            .accept_language
            .as_deref(),
        Some("ja")
    );
    let run = rekey_in(dir.path(), "ja_JP.UTF-8", &["devices", "--json"], "");
    assert_eq!(run.json()["devices"][0]["online"], true);
    let run = rekey_in(
        dir.path(),
        "ja_JP.UTF-8",
        &["devices", "remove", "Garage", "--yes"],
        "",
    );
    assert_eq!(run.code, 1, "{run:?}");
    let not_found = ja.t_args("cli-device-not-found", &[("query", "\"Garage\"".into())]);
    assert!(run.stderr.contains(&not_found), "{}", run.stderr);

    // The same commands in an English locale stay English.
    let run = rekey(dir.path(), &["devices"], "");
    assert!(
        run.stdout.starts_with(&en("cli-col-name")),
        "{}",
        run.stdout
    );
}
