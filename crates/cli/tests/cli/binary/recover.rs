//! `rekey recover` and `rekey retrieve`.

use serde_json::json;

use super::{TOKEN, device};
use crate::support::{
    FakeCloud, Reply, en, en_args, en_missing, log_in, qr_image, recovery_url, rekey,
};

#[test]
fn recover_sends_only_the_qr_text() {
    let cloud = FakeCloud::start();
    cloud
        .on(
            "POST",
            "/recover/preview",
            Reply::json(
                200,
                json!({
            "serial": "RK12AB34", "device_name": "Shop", "email_masked": "o•••@example.jp",
            "expires_at": "2030-01-01T00:00:00Z"}),
            ),
        )
        .on(
            "POST",
            "/recover/send",
            Reply::json(
                200,
                json!({
            "email_masked": "o•••@example.jp", "valid_until": "2030-01-01T00:30:00Z"}),
            ),
        );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let url = recovery_url(&cloud.url(), 1_900_000_000);
    let photo = dir.path().join("screen.jpg");
    qr_image(&url, 5)
        .save_with_format(&photo, image::ImageFormat::Jpeg)
        .unwrap();

    let run = rekey(
        dir.path(),
        &["recover", "--qr", photo.to_str().unwrap()],
        "",
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains(&en_missing("cli-what-confirmation", "--yes")),
        "{}",
        run.stderr
    );
    assert!(cloud.seen_at("POST", "/recover/send").is_empty());

    let run = rekey(
        dir.path(),
        &["recover", "--qr", photo.to_str().unwrap(), "--yes"],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    let sent = en_args(
        "cli-recover-sent",
        &[
            ("email", "o•••@example.jp".into()),
            ("until", "2030-01-01 00:30 UTC".into()),
        ],
    );
    assert!(run.stdout.contains(&sent), "{}", run.stdout);
    assert!(
        run.stdout.contains(&en("cli-recover-next-step")),
        "{}",
        run.stdout
    );
    let sent = cloud.seen_at("POST", "/recover/send");
    assert_eq!(sent[0].body, json!({"qr": url}));
    assert_eq!(
        sent[0].authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(
        cloud.seen_at("POST", "/recover/preview")[0].body,
        json!({"qr": url})
    );
}

#[test]
fn retrieve_shows_the_temporary_password_after_the_emailed_code() {
    let cloud = FakeCloud::start();
    cloud
        .on("GET", "/devices", Reply::json(200, json!({"devices": [device("RK12AB34", "Shop")]})))
        .on("POST", "/devices/RK12AB34/retrieve/code", Reply::json(202, json!({"email_masked": "t•••@example.jp", "expires_in_secs": 600})))
        .on("POST", "/devices/RK12AB34/retrieve", Reply::json(200, json!({"password": "abcd-efgh-jkmn-pqrs", "from": "2026-11-02", "to": "2026-11-03"})));
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);

    let run = rekey(
        dir.path(),
        &[
            "retrieve",
            "Shop",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
            "--send-code-only",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("t•••@example.jp"), "{}", run.stdout);
    assert_eq!(
        cloud.seen_at("POST", "/devices/RK12AB34/retrieve/code")[0].body,
        json!({"from": "2026-11-02", "to": "2026-11-03"})
    );

    let run = rekey(
        dir.path(),
        &[
            "retrieve",
            "RK12AB34",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
            "--code",
            "654321",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("    ABCD-EFGH-JKMN-PQRS\n"),
        "{}",
        run.stdout
    );
    let valid = en_args(
        "cli-retrieved-valid",
        &[("from", "2026-11-02".into()), ("to", "2026-11-03".into())],
    );
    assert!(run.stdout.contains(&valid), "{}", run.stdout);
    assert!(
        run.stdout.contains(&en("cli-retrieved-next-step")),
        "{}",
        run.stdout
    );
    assert_eq!(
        cloud.seen_at("POST", "/devices/RK12AB34/retrieve")[0].body,
        json!({"from": "2026-11-02", "to": "2026-11-03", "code": "654321"})
    );

    let run = rekey(
        dir.path(),
        &[
            "retrieve",
            "Shop",
            "--from",
            "2026-11-03",
            "--to",
            "2026-11-02",
            "--code",
            "1",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&en("cli-window-reversed")),
        "{}",
        run.stderr
    );
}
