//! `rekey login`, the stored session and the token, and how refusals and server errors are
//! shown.

use serde_json::json;

use super::{TOKEN, assert_no_token, device};
use rekey_web::Lang;

use crate::support::{FakeCloud, Reply, en, en_args, log_in, recovery_url, rekey};

#[test]
fn login_stores_the_session_privately_and_never_prints_the_token() {
    let cloud = FakeCloud::start();
    cloud.on(
        "POST",
        "/login",
        Reply::json(200, json!({"token": TOKEN, "username": "taro"})),
    );
    let dir = tempfile::tempdir().unwrap();
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &cloud.url(),
            "--lang",
            "ja",
            "login",
            "--login",
            "taro@example.jp",
            "--password-stdin",
        ],
        "  pass word \n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    // `--lang ja`: its own words in Japanese.
    let logged_in = Lang::Ja.t_args(
        "cli-logged-in",
        &[("cloud", cloud.url().into()), ("username", "taro".into())],
    );
    assert!(run.stdout.contains(&logged_in), "{}", run.stdout);
    assert_no_token(&run);
    let seen = cloud.seen_at("POST", "/login");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].body,
        json!({"login": "taro@example.jp", "password": "  pass word "})
    );
    assert_eq!(seen[0].accept_language.as_deref(), Some("ja"));
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(seen[0].authorization, None);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("session.json")).unwrap()).unwrap();
    assert_eq!(stored["token"], TOKEN);
    assert_eq!(stored["cloud"], cloud.url());
    assert!(
        !std::fs::read_to_string(dir.path().join("session.json"))
            .unwrap()
            .contains("pass word")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("session.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Later commands use the stored cloud and send the token.
    cloud.on(
        "GET",
        "/devices",
        Reply::json(200, json!({"devices": [device("RK12AB34", "Shop")]})),
    );
    let run = rekey(dir.path(), &["devices", "list"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("Shop  RK12AB34  {}", en("cli-device-online"))),
        "{}",
        run.stdout
    );
    let seen = cloud.seen_at("GET", "/devices");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(seen[0].accept_language.as_deref(), Some("en"));
    assert_no_token(&run);

    let run = rekey(dir.path(), &["devices", "--json"], "");
    assert_eq!(run.json()["devices"][0]["name"], "Shop");
}

#[test]
fn a_refused_session_says_to_log_in() {
    let cloud = FakeCloud::start();
    cloud.on(
        "GET",
        "/account",
        Reply::json(
            401,
            json!({"error": "session-expired", "message": "セッションの有効期限が切れました。"}),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let run = rekey(dir.path(), &["account"], "");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("セッションの有効期限が切れました。"),
        "{}",
        run.stderr
    );
    let expired = en_args(
        "cli-unauthorized",
        &[("message", "セッションの有効期限が切れました。".into())],
    );
    assert!(run.stderr.contains(&expired), "{}", run.stderr);
    let run = rekey(dir.path(), &["account", "--json"], "");
    assert_eq!(run.code, 3);
    assert_eq!(run.json()["error"], "session-expired");

    // Without any session, nothing is sent.
    let empty = tempfile::tempdir().unwrap();
    let run = rekey(empty.path(), &["--cloud", &cloud.url(), "devices"], "");
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains(&en("cli-not-logged-in")),
        "{}",
        run.stderr
    );
    assert!(cloud.seen_at("GET", "/devices").is_empty());
}

#[test]
fn a_401_on_login_is_just_the_servers_message() {
    let cloud = FakeCloud::start();
    cloud.on(
        "POST",
        "/login",
        Reply::json(
            401,
            json!({"error": "login-failed", "message": "Wrong username or password."}),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &cloud.url(),
            "login",
            "--login",
            "x",
            "--password-stdin",
        ],
        "p\n",
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("Wrong username or password."));
    assert!(!run.stderr.contains("rekey login"), "{}", run.stderr);
}

#[test]
fn server_errors_show_their_message_and_wait() {
    let cloud = FakeCloud::start();
    cloud.on(
        "GET",
        "/devices",
        Reply::json(
            429,
            json!({"error": "rate-limited", "message": "Too many requests.", "retry_after": 90}),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let run = rekey(dir.path(), &["devices"], "");
    assert_eq!(run.code, 1);
    let limited = en_args(
        "cli-rejected-retry",
        &[
            ("message", "Too many requests.".into()),
            ("duration", rekey_cli::lang::duration(Lang::En, 90).into()),
        ],
    );
    assert!(run.stderr.contains(&limited), "{}", run.stderr);
    let run = rekey(dir.path(), &["--json", "devices"], "");
    assert_eq!(
        run.json(),
        json!({"error": "rate-limited", "message": limited})
    );

    cloud.on(
        "GET",
        "/devices",
        Reply::text(502, "<html>Bad Gateway</html>"),
    );
    let run = rekey(dir.path(), &["devices"], "");
    assert_eq!(run.code, 1);
    let http = en_args(
        "cli-http",
        &[
            ("cloud", cloud.url().into()),
            ("status", "502 Bad Gateway".into()),
        ],
    );
    assert!(run.stderr.contains(&http), "{}", run.stderr);

    cloud.on(
        "GET",
        "/devices",
        Reply::json(200, json!({"unexpected": true})),
    );
    let run = rekey(dir.path(), &["devices"], "");
    // The detail is the parser's; the sentence around it is the catalog's.
    let protocol = en_args(
        "cli-protocol",
        &[("cloud", cloud.url().into()), ("detail", "".into())],
    );
    let before_detail = protocol.split("()").next().unwrap();
    assert!(run.stderr.contains(before_detail), "{}", run.stderr);
}

#[test]
fn the_token_goes_only_to_the_cloud_that_issued_it() {
    let issuer = FakeCloud::start();
    let other = FakeCloud::start();
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &issuer.url(), TOKEN);
    let run = rekey(dir.path(), &["--cloud", &other.url(), "devices"], "");
    assert_eq!(run.code, 2, "{run:?}");
    let elsewhere = en_args(
        "cli-session-other-cloud",
        &[
            ("cloud", issuer.url().into()),
            ("other", other.url().into()),
        ],
    );
    assert!(run.stderr.contains(&elsewhere), "{}", run.stderr);
    assert!(other.seen().is_empty() && issuer.seen().is_empty());

    // Recovery works without a session; the other cloud does not get the token.
    other.on(
        "POST",
        "/recover/preview",
        Reply::json(
            200,
            json!({
        "serial": "RK12AB34", "device_name": "Shop", "email_masked": "o•••@example.jp",
        "expires_at": "2030-01-01T00:00:00Z"}),
        ),
    );
    other.on(
        "POST",
        "/recover/send",
        Reply::json(
            200,
            json!({
        "email_masked": "o•••@example.jp", "valid_until": "2030-01-01T00:30:00Z"}),
        ),
    );
    let url = recovery_url(&other.url(), 1_900_000_000);
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &other.url(),
            "recover",
            "--qr-url",
            &url,
            "--yes",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(other.seen().iter().all(|s| s.authorization.is_none()));
}
