//! `rekey signup`, in two steps without a terminal.

use serde_json::json;

use super::{TOKEN, assert_no_token};
use crate::support::{FakeCloud, Reply, rekey};

#[test]
fn signup_runs_without_a_terminal_in_two_steps() {
    let cloud = FakeCloud::start();
    cloud
        .on("GET", "/regions", Reply::json(200, json!({"regions": [{"code": "jp", "name": "Japan"}, {"code": "us", "name": "United States"}]})))
        .on("POST", "/signup/code", Reply::json(202, json!({"expires_in_secs": 600})))
        .on("POST", "/signup/verify", Reply::json(200, json!({})))
        .on("GET", "/agreement", Reply::json(200, json!({"version": "2026-11", "url": format!("{}/agreement", cloud.url())})))
        .on("POST", "/signup", Reply::json(201, json!({"token": TOKEN, "username": "user-7f3k"})));
    let dir = tempfile::tempdir().unwrap();
    let c = cloud.url();

    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "signup",
            "--region",
            "JP",
            "--email",
            "Taro@Example.JP",
            "--send-code-only",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    let lasts = rekey_cli::lang::duration(rekey_web::Lang::En, 600);
    assert!(run.stdout.contains(&lasts), "{}", run.stdout);
    assert_eq!(
        cloud.seen_at("POST", "/signup/code")[0].body,
        json!({"email": "Taro@example.jp", "region": "jp"})
    );

    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "signup",
            "--email",
            "Taro@example.jp",
            "--code",
            " 123 456 ",
            "--password-stdin",
            "--accept-agreement",
            "--json",
        ],
        "correct horse battery\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["username"], "user-7f3k");
    assert_no_token(&run);
    assert_eq!(
        cloud.seen_at("POST", "/signup/verify")[0].body,
        json!({"email": "Taro@example.jp", "code": "123456"})
    );
    assert_eq!(
        cloud.seen_at("POST", "/signup")[0].body,
        json!({"email": "Taro@example.jp", "code": "123456", "password": "correct horse battery",
               "region": "jp", "agreement_version": "2026-11"})
    );
    assert!(dir.path().join("session.json").exists());
    assert!(!dir.path().join("pending-signup.json").exists());
}
