//! The manual's steps as an admin takes them, shared by the preparation and recovery tests.

use crate::browser::{Browser, Page, decode_qr};
use crate::harness::{DEADLINE, Recorder, System};

/// The recorder's admin password (passes the recorder's policy).
pub const ADMIN_PASSWORD: &str = "kumo-to-sakana-7";
/// The cloud account's password.
pub const CLOUD_PASSWORD: &str = "correct horse battery staple";

/// Activates a fresh recorder (`email` may be empty), logs the admin in, enables the cloud
/// (Menu → Network → Cloud, p.4) and waits until the page says it is online. Returns the
/// admin's browser.
pub async fn activate_and_enable_cloud(rec: &Recorder, email: &str) -> Browser {
    let b = rec.browser();
    let first = b.open("/").await;
    assert_eq!(
        first.path(),
        "/activate",
        "a fresh recorder asks for activation"
    );
    let p = b
        .submit_follow(
            "/activate",
            "/activate",
            &[
                ("password", ADMIN_PASSWORD),
                ("confirm", ADMIN_PASSWORD),
                ("email", email),
            ],
        )
        .await;
    assert_eq!(
        p.path(),
        "/network/cloud",
        "activation logs the admin in: {}",
        p.body
    );
    let p = b
        .submit_follow("/network/cloud", "/network/cloud", &[("enabled", "on")])
        .await;
    assert_eq!(p.path(), "/network/cloud", "{}", p.body);
    wait_cloud_status(&b, "online").await;
    b
}

/// Logs in as admin on the recorder; returns the page it lands on.
pub async fn recorder_login(b: &Browser, password: &str) -> Page {
    b.submit_follow(
        "/login",
        "/login",
        &[("username", "admin"), ("password", password)],
    )
    .await
}

/// Whether `password` logs the admin in (in a fresh browser).
pub async fn admin_password_works(rec: &Recorder, password: &str) -> bool {
    recorder_login(&rec.browser(), password).await.path() == "/network/cloud"
}

/// GETs `path` until `want` holds for the page; returns that page. Panics after the deadline.
pub async fn wait_page(b: &Browser, path: &str, what: &str, want: impl Fn(&Page) -> bool) -> Page {
    b.wait_for(path, what, DEADLINE, want).await
}

/// Waits until the recorder's cloud page shows `data-status="{status}"`.
pub async fn wait_cloud_status(b: &Browser, status: &str) -> Page {
    wait_page(
        b,
        "/network/cloud",
        &format!("the recorder's cloud status is {status}"),
        |p| p.attr_of("cloud-status", "data-status").as_deref() == Some(status),
    )
    .await
}

/// The register code as the recorder's cloud page shows it, and its QR code (PNG and text).
pub async fn registration(b: &Browser) -> (String, Vec<u8>, String) {
    let page = b.get("/network/cloud").await;
    let code = page
        .text_of("register-code")
        .unwrap_or_else(|| panic!("a register code is shown: {}", page.body));
    let (status, ct, png) = b.get_bytes("/network/cloud/qr.png").await;
    assert_eq!((status, ct.as_deref()), (200, Some("image/png")));
    let url = decode_qr(&png);
    (code, png, url)
}

/// Signs up on the portal in the PC order (p.12–13) and stays logged in.
pub async fn pc_signup(sys: &System, portal: &Browser, username: &str, email: &str) {
    let before = sys.smtp.count_for(email);
    let p = portal
        .submit(
            "/signup",
            "/signup",
            &[
                ("username", username),
                ("password", CLOUD_PASSWORD),
                ("confirm", CLOUD_PASSWORD),
                ("region", "jp"),
                ("email", email),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body.contains(r#"action="/signup/verify""#),
        "step 2 (verification code) expected: {}",
        p.body
    );
    let mail = sys.smtp.nth_for(email, before + 1).await;
    let code = mail.code();
    let p = portal
        .submit(
            "/signup",
            "/signup/verify",
            &[("email", email), ("code", &code), ("agree", "yes")],
        )
        .await;
    assert_eq!(
        (p.status, p.location.as_deref()),
        (303, Some("/devices")),
        "{}",
        p.body
    );
}

/// Logs in on the portal by user name or e-mail address.
pub async fn portal_login(portal: &Browser, login: &str, password: &str) -> Page {
    portal
        .submit(
            "/login",
            "/login",
            &[("login", login), ("password", password)],
        )
        .await
}

/// + Add Device with a register code and a name (p.15–16).
pub async fn portal_add(portal: &Browser, code: &str, name: &str) -> Page {
    portal
        .submit(
            "/devices",
            "/devices/add",
            &[("code", code), ("name", name)],
        )
        .await
}

/// Waits until the portal's device list shows `serial` online.
pub async fn wait_listed_online(portal: &Browser, serial: &str) -> Page {
    wait_page(
        portal,
        "/devices",
        &format!("{serial} listed online on the portal"),
        |p| {
            p.status == 200
                && p.body.contains(serial)
                && p.body.contains(r#"class="status online""#)
        },
    )
    .await
}

/// Waits until the recorder's cloud page says it is registered to an account.
pub async fn wait_registered(b: &Browser) -> Page {
    wait_page(
        b,
        "/network/cloud",
        "the recorder's cloud page says it is registered",
        |p| p.has("registered") && !p.has("register-code"),
    )
    .await
}

/// A recorder fully prepared on the PC path: activated with `admin_email`, cloud enabled,
/// registered to a new portal account `username`/`account_email`, online, holding the rotated
/// recovery key. Returns the recorder, the admin's browser and the owner's portal browser.
pub async fn prepared(
    sys: &System,
    serial: &str,
    admin_email: &str,
    username: &str,
    account_email: &str,
) -> (Recorder, Browser, Browser) {
    let rec = sys.recorder(serial).await;
    let admin = activate_and_enable_cloud(&rec, admin_email).await;
    let portal = sys.portal();
    pc_signup(sys, &portal, username, account_email).await;
    add_to_account(sys, &portal, &admin, serial).await;
    (rec, admin, portal)
}

/// Another recorder for the account logged in on `portal`: started, activated (no e-mail),
/// cloud enabled, added, online, holding the rotated recovery key. Returns the recorder and
/// the admin's browser.
pub async fn another_recorder(sys: &System, portal: &Browser, serial: &str) -> (Recorder, Browser) {
    let rec = sys.recorder(serial).await;
    let admin = activate_and_enable_cloud(&rec, "").await;
    add_to_account(sys, portal, &admin, serial).await;
    (rec, admin)
}

/// Adds the recorder to the account with the register code its cloud page shows (its admin's
/// browser `admin`) and "+ Add Device"; waits until the portal lists it online and the recorder
/// is registered and holds the rotated recovery key.
async fn add_to_account(sys: &System, portal: &Browser, admin: &Browser, serial: &str) {
    let (code, _, _) = registration(admin).await;
    let p = portal_add(portal, &code, serial).await;
    assert!(
        p.has_notice("cloud-device-added") && p.shows(serial),
        "{}",
        p.body
    );
    wait_listed_online(portal, serial).await;
    let page = wait_registered(admin).await;
    wait_recovery_key(admin, page).await;
    sys.wait_key_confirmed(serial, 2).await;
}

/// Waits until the recorder says it holds a recovery key.
async fn wait_recovery_key(admin: &Browser, _first: Page) {
    wait_page(
        admin,
        "/network/cloud",
        "the recorder holds a recovery key",
        |p| {
            p.text_of("recovery-key")
                .is_some_and(|t| t.starts_with("Prepared"))
        },
    )
    .await;
}
