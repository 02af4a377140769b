//! `rekey transfer` and `rekey accept` against the scripted peer: what is sent (serials picked
//! by name or serial, the password from stdin only), and what is shown.

use serde_json::json;

use crate::support::{FakeCloud, Reply, en_args, log_in, rekey};

const TOKEN: &str = "tok-7c1d-transfer";
const ID: &str = "0123456789abcdef0123456789abcdef";

fn device(serial: &str, name: &str) -> serde_json::Value {
    json!({
        "serial": serial, "name": name, "online": true,
        "last_seen": "2026-11-02T10:15:00Z", "added_at": "2026-10-01T00:00:00Z"
    })
}

fn transfer(direction: &str) -> serde_json::Value {
    json!({
        "id": ID, "direction": direction, "from": "installer", "to": "shop@example.com",
        "state": "open", "created_at": "2026-11-02T10:15:00Z",
        "expires_at": "2026-11-09T10:15:00Z",
        "devices": [
            {"serial": "RK12AB34", "name": "Entrance", "outcome": null},
            {"serial": "RK55CD66", "name": "Office", "outcome": null},
            {"serial": "RK77EF88", "name": "Storage", "outcome": null}
        ]
    })
}

#[test]
fn an_installer_hands_recorders_over_by_name_or_serial() {
    let cloud = FakeCloud::start();
    cloud
        .on(
            "GET",
            "/devices",
            Reply::json(
                200,
                json!({"devices": [
                    device("RK12AB34", "Entrance"),
                    device("RK55CD66", "Office"),
                    device("RK77EF88", "Storage"),
                ]}),
            ),
        )
        .on("POST", "/transfers", Reply::json(201, transfer("outgoing")))
        .on(
            "GET",
            "/transfers",
            Reply::json(200, json!({"transfers": [transfer("outgoing")]})),
        )
        .on(
            "POST",
            &format!("/transfers/{ID}/cancel"),
            Reply::empty(204),
        );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);

    let run = rekey(
        dir.path(),
        &[
            "transfer",
            "send",
            "entrance",
            "RK55CD66",
            "Storage",
            "--to",
            "shop@example.com",
            "--password-stdin",
            "--json",
        ],
        "my password\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["id"], ID);
    assert_eq!(
        cloud.seen_at("POST", "/transfers")[0].body,
        json!({
            "to": "shop@example.com",
            "serials": ["RK12AB34", "RK55CD66", "RK77EF88"],
            "password": "my password"
        })
    );
    assert!(!run.stdout.contains("my password") && !run.stderr.contains("my password"));

    // Without a terminal and without --password-stdin, it fails before sending anything.
    let run = rekey(
        dir.path(),
        &["transfer", "send", "Office", "--to", "shop@example.com"],
        "",
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--password-stdin"), "{}", run.stderr);
    // A device the account does not have is named, and nothing is sent.
    let run = rekey(
        dir.path(),
        &[
            "transfer",
            "send",
            "Garage",
            "--to",
            "shop@example.com",
            "--password-stdin",
        ],
        "pw\n",
    );
    assert_eq!(run.code, 1, "{run:?}");
    let not_found = en_args("cli-device-not-found", &[("query", "\"Garage\"".into())]);
    assert!(run.stderr.contains(&not_found), "{}", run.stderr);
    assert_eq!(cloud.seen_at("POST", "/transfers").len(), 1);

    let run = rekey(dir.path(), &["transfer"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(ID)
            && run.stdout.contains(&en_args(
                "cli-transfer-to",
                &[("account", "shop@example.com".into())]
            )),
        "{}",
        run.stdout
    );
    let run = rekey(dir.path(), &["transfer", "cancel", ID, "--json"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["cancelled"], ID);
}

#[test]
fn the_customer_accepts_some_and_errors_keep_their_key() {
    let cloud = FakeCloud::start();
    cloud
        .on("GET", &format!("/transfers/{ID}"), Reply::json(200, transfer("incoming")))
        .on(
            "POST",
            &format!("/transfers/{ID}/accept"),
            Reply::json(
                200,
                json!({"moved": ["RK12AB34", "RK77EF88"], "declined": ["RK55CD66"], "gone": []}),
            ),
        )
        .on(
            "POST",
            &format!("/transfers/{ID}/decline"),
            Reply::json(
                409,
                json!({"error": "cloud-transfer-closed", "message": "This hand-over has already been answered."}),
            ),
        );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);

    let run = rekey(
        dir.path(),
        &[
            "accept", ID, "--device", "Garage", "--device", "RK77EF88", "--json",
        ],
        "",
    );
    // A device the hand-over does not list is named, and nothing is sent.
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        cloud
            .seen_at("POST", &format!("/transfers/{ID}/accept"))
            .len(),
        0
    );

    let run = rekey(
        dir.path(),
        &[
            "accept", ID, "--device", "Entrance", "--device", "rk77ef88", "--json",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["moved"], json!(["RK12AB34", "RK77EF88"]));
    assert_eq!(
        cloud.seen_at("POST", &format!("/transfers/{ID}/accept"))[0].body,
        json!({"serials": ["RK12AB34", "RK77EF88"]})
    );

    let run = rekey(dir.path(), &["accept", ID, "--decline", "--json"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.json()["error"], "cloud-transfer-closed");
}
