//! `rekey account` and `rekey logout`.

use serde_json::json;

use super::TOKEN;
use crate::support::{FakeCloud, Reply, en, en_args, log_in, rekey};

#[test]
fn account_changes_and_logout() {
    let cloud = FakeCloud::start();
    let account = |name: &str, email: &str| {
        json!({
        "username": name, "email": email, "region": "jp", "lang": "ja",
        "time_zone": "Asia/Tokyo", "created_at": "2026-10-01T09:00:00+09:00"})
    };
    cloud
        .on(
            "GET",
            "/account",
            Reply::json(200, account("taro", "t@example.jp")),
        )
        .on(
            "POST",
            "/account/username",
            Reply::json(200, account("shop-owner", "t@example.jp")),
        )
        .on(
            "POST",
            "/account/email/code",
            Reply::json(202, json!({"expires_in_secs": 600})),
        )
        .on(
            "POST",
            "/account/email",
            Reply::json(200, account("shop-owner", "new@example.jp")),
        )
        .on("POST", "/account/password", Reply::empty(204))
        .on("POST", "/logout", Reply::empty(204));
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);

    let run = rekey(dir.path(), &["account"], "");
    assert_eq!(run.code, 0, "{run:?}");
    // Labels aligned to the longest ("Time zone:").
    let field =
        |key: &str, value: &str| format!("{}:{:<w$}  {value}", en(key), "", w = 9 - en(key).len());
    assert!(
        run.stdout.contains(&field("cli-field-username", "taro")),
        "{}",
        run.stdout
    );
    // In the account's time zone, named, as the portal shows it.
    assert!(
        run.stdout
            .contains(&field("cli-field-time-zone", "Asia/Tokyo")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&field(
            "cli-field-created",
            "2026-10-01 09:00 JST (Asia/Tokyo)"
        )),
        "{}",
        run.stdout
    );

    let run = rekey(dir.path(), &["account", "set-username", "shop-owner"], "");
    assert_eq!(run.code, 0, "{run:?}");
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("session.json")).unwrap()).unwrap();
    assert_eq!(stored["username"], "shop-owner");

    let run = rekey(
        dir.path(),
        &[
            "account",
            "set-email",
            "new@example.jp",
            "--send-code-only",
            "--password-stdin",
        ],
        "old secret one\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/account/email/code")[0].body,
        json!({"email": "new@example.jp", "current": "old secret one"})
    );
    let run = rekey(
        dir.path(),
        &["account", "set-email", "new@example.jp", "--code", "111222"],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/account/email")[0].body,
        json!({"email": "new@example.jp", "code": "111222"})
    );

    let run = rekey(
        dir.path(),
        &["account", "set-password", "--password-stdin"],
        "old secret one\nnew secret phrase\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/account/password")[0].body,
        json!({"current": "old secret one", "new": "new secret phrase"})
    );
    let run = rekey(
        dir.path(),
        &["account", "set-password", "--password-stdin"],
        "old secret one\nshort\n",
    );
    assert_eq!(run.code, 2);
    let too_short = en_args("password-too-short", &[("min", 8.into())]);
    assert!(run.stderr.contains(&too_short), "{}", run.stderr);

    let run = rekey(dir.path(), &["logout"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/logout")[0].authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert!(!dir.path().join("session.json").exists());
    let run = rekey(dir.path(), &["logout"], "");
    assert!(run.stdout.contains(&en("cli-already-logged-out")));
}
