//! `rekey devices`: adding by register code or QR photo, and managing by name.

use serde_json::json;

use super::{TOKEN, device};
use crate::support::{
    FakeCloud, Reply, en, en_args, log_in, qr_image, recovery_url, registration_url, rekey,
};

#[test]
fn a_mistyped_register_code_never_reaches_the_cloud() {
    let cloud = FakeCloud::start();
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let (_, code) = registration_url();
    let mut chars: Vec<char> = code.compact().chars().collect();
    chars[0] = if chars[0] == '7' { '8' } else { '7' };
    let wrong: String = chars.iter().collect();
    let run = rekey(
        dir.path(),
        &["devices", "add", "--code", &wrong, "--name", "Shop"],
        "",
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&en("cli-register-code-mistyped")),
        "{}",
        run.stderr
    );
    assert!(cloud.seen().is_empty());
}

#[test]
fn devices_are_added_by_code_or_qr_photo_and_managed_by_name() {
    let cloud = FakeCloud::start();
    cloud
        .on(
            "POST",
            "/devices",
            Reply::json(201, device("RK12AB34", "Shop")),
        )
        .on(
            "GET",
            "/devices",
            Reply::json(
                200,
                json!({"devices": [device("RK12AB34", "Shop"), device("RK55CD66", "Home")]}),
            ),
        )
        .on(
            "POST",
            "/devices/RK55CD66/name",
            Reply::json(200, device("RK55CD66", "Cottage")),
        )
        .on("DELETE", "/devices/RK12AB34", Reply::empty(204));
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let (url, code) = registration_url();

    let grouped = code.to_string().to_lowercase();
    let run = rekey(
        dir.path(),
        &["devices", "add", "--code", &grouped, "--name", " Shop "],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    let added = en_args(
        "cli-device-added",
        &[("name", "Shop".into()), ("serial", "RK12AB34".into())],
    );
    assert!(run.stdout.contains(&added), "{}", run.stdout);
    assert_eq!(
        cloud.seen_at("POST", "/devices")[0].body,
        json!({"register_code": code.compact(), "name": "Shop"})
    );

    let photo = dir.path().join("qr.png");
    qr_image(&url, 4).save(&photo).unwrap();
    let run = rekey(
        dir.path(),
        &[
            "devices",
            "add",
            "--qr",
            photo.to_str().unwrap(),
            "--name",
            "Shop",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    let other = en_args(
        "cli-qr-other-cloud",
        &[
            ("qr_cloud", "https://cloud.example.com".into()),
            ("cloud", cloud.url().into()),
        ],
    );
    assert!(run.stderr.contains(&other), "{}", run.stderr);
    assert_eq!(
        cloud.seen_at("POST", "/devices")[1].body["register_code"],
        code.compact()
    );

    // The recovery QR is not for adding.
    let rec = dir.path().join("rec.png");
    qr_image(&recovery_url("https://cloud.example.com", 1), 4)
        .save(&rec)
        .unwrap();
    let run = rekey(
        dir.path(),
        &[
            "devices",
            "add",
            "--qr",
            rec.to_str().unwrap(),
            "--name",
            "X",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&en("cli-qr-is-recovery")),
        "{}",
        run.stderr
    );

    let run = rekey(dir.path(), &["devices", "rename", "home", "Cottage"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/devices/RK55CD66/name")[0].body,
        json!({"name": "Cottage"})
    );

    let run = rekey(
        dir.path(),
        &["devices", "remove", "rk12ab34", "--yes", "--json"],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["removed"], "RK12AB34");
    assert_eq!(cloud.seen_at("DELETE", "/devices/RK12AB34").len(), 1);

    let run = rekey(dir.path(), &["devices", "remove", "Garage", "--yes"], "");
    assert_eq!(run.code, 1);
    let not_found = en_args("cli-device-not-found", &[("query", "\"Garage\"".into())]);
    assert!(run.stderr.contains(&not_found), "{}", run.stderr);
}
