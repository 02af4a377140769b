//! `rekey account export` and `rekey account delete` (two steps without a terminal) against a
//! scripted in-test HTTP peer: what is sent, what is printed, and that the session is forgotten
//! once the account is deleted.

use serde_json::json;

use crate::support::{FakeCloud, Reply, log_in, rekey};

const TOKEN: &str = "tok-delete-very-secret";

#[test]
fn export_writes_the_clouds_document() {
    let cloud = FakeCloud::start();
    let doc = json!({
        "format": "rekey-account-export/1",
        "account": {"username": "taro"},
        "devices": [{"serial": "NVR0001", "name": "Shop"}],
        "activity": [], "device_events": []
    });
    cloud.on("GET", "/account/export", Reply::json(200, doc.clone()));
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);

    let run = rekey(dir.path(), &["account", "export"], "");
    assert_eq!(run.code, 0, "{run:?}");
    let printed: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(printed, doc);

    let file = dir.path().join("mine.json");
    let run = rekey(
        dir.path(),
        &[
            "account",
            "export",
            "--output",
            file.to_str().unwrap(),
            "--json",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["exported"], true);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(saved, doc);
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
}

#[test]
fn delete_runs_in_two_steps_and_forgets_the_session() {
    let cloud = FakeCloud::start();
    cloud
        .on(
            "POST",
            "/account/delete/code",
            Reply::json(202, json!({"expires_in_secs": 600})),
        )
        .on(
            "POST",
            "/account/delete",
            Reply::json(
                200,
                json!({"deleted": true, "released": ["NVR0001"], "retention_days": 30}),
            ),
        );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);

    let run = rekey(
        dir.path(),
        &[
            "account",
            "delete",
            "--password-stdin",
            "--send-code-only",
            "--json",
        ],
        "my secret words\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["code_sent"], true);
    assert_eq!(
        cloud.seen_at("POST", "/account/delete/code")[0].body,
        json!({"current": "my secret words"})
    );
    assert!(cloud.seen_at("POST", "/account/delete").is_empty());
    assert!(!run.stdout.contains("my secret words"));

    // Without --yes and without a terminal: refused before anything is sent.
    let run = rekey(dir.path(), &["account", "delete", "--code", "123456"], "");
    assert_eq!(run.code, 2, "{run:?}");
    assert!(cloud.seen_at("POST", "/account/delete").is_empty());

    let run = rekey(
        dir.path(),
        &["account", "delete", "--code", "123 456", "--yes", "--json"],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/account/delete")[0].body,
        json!({"code": "123456"})
    );
    assert_eq!(run.json()["released"], json!(["NVR0001"]));
    assert!(!dir.path().join("session.json").exists());
}

#[test]
fn a_wrong_code_is_the_clouds_error_and_keeps_the_session() {
    let cloud = FakeCloud::start();
    cloud.on(
        "POST",
        "/account/delete",
        Reply::json(
            400,
            json!({"error": "cloud-code-wrong", "message": "Wrong code."}),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let run = rekey(
        dir.path(),
        &["account", "delete", "--code", "000000", "--yes", "--json"],
        "",
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.json()["error"], "cloud-code-wrong");
    assert!(dir.path().join("session.json").exists());
}
