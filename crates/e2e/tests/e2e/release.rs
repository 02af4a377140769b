//! Issue 11, item 1: release from the recorder. The recorder's admin, logged in, types the
//! admin password again on Network › Cloud; the release is recorded on the recorder and sent to
//! the cloud on its gateway connection, at once or at the next connection (also after a restart
//! of the recorder). The former account is told by e-mail and in its activity, loses the
//! device and its codes; the recorder shows a new register code, with which a new account adds
//! it and recovers the password.

use crate::browser::{Browser, Page};
use crate::harness::System;
use crate::recovery::{NEW_PASSWORD, date, enter, retrieve_on_portal};
use crate::steps::{
    ADMIN_PASSWORD, admin_password_works, pc_signup, portal_add, prepared, registration, wait_page,
    wait_registered,
};

/// Network › Cloud → "Release from the cloud account" with `password`; the page it lands on.
async fn release(admin: &Browser, password: &str) -> Page {
    let cloud = admin.open("/network/cloud").await;
    assert_eq!(
        cloud.attr_of("release", "data-release").as_deref(),
        Some("offered"),
        "a registered recorder offers the release: {}",
        cloud.body
    );
    admin
        .submit_follow(
            "/network/cloud",
            "/network/cloud/release",
            &[("password", password)],
        )
        .await
}

fn prepared_attr(p: &Page) -> Option<String> {
    p.attr_of("recovery-key", "data-prepared")
}

/// Waits until the recorder's cloud page shows a register code again, is not prepared and has
/// no release pending; returns that page.
pub(crate) async fn wait_released(admin: &Browser) -> Page {
    wait_page(
        admin,
        "/network/cloud",
        "the recorder shows a new register code after its release",
        |p| {
            p.has("register-code")
                && prepared_attr(p).as_deref() == Some("false")
                && !p.has("release")
        },
    )
    .await
}

/// Waits until the recorder is prepared for password recovery again.
async fn wait_prepared(admin: &Browser) -> Page {
    wait_page(
        admin,
        "/network/cloud",
        "the recorder is prepared for password recovery",
        |p| prepared_attr(p).as_deref() == Some("true"),
    )
    .await
}

/// The audit log has an entry of `event` (with `detail`, if given).
pub async fn audited(admin: &Browser, event: &str, detail: Option<&str>) -> bool {
    let page = admin.open("/audit").await;
    let event = format!(r#"data-event="{event}""#);
    page.body.split("<tr").any(|row| {
        row.contains(&event)
            && detail.is_none_or(|d| row.contains(&format!(r#"data-detail="{d}""#)))
    })
}

/// The former owner's side: the notice mail (serial and name), the activity entry, and the
/// device gone from their list.
async fn former_owner_told(
    sys: &System,
    portal: &Browser,
    email: &str,
    mails: usize,
    serial: &str,
) {
    let notice = sys.smtp.nth_for(email, mails + 1).await;
    assert!(notice.body.contains(serial), "{}", notice.body);
    assert!(
        notice.body.contains(&format!("{serial}-name")),
        "the name it had: {}",
        notice.body
    );
    let activity = portal.open("/activity").await;
    assert!(
        activity
            .body
            .contains(&format!(r#"data-event="released" data-serial="{serial}""#)),
        "{}",
        activity.body
    );
    let devices = portal.open("/devices").await;
    assert!(!devices.body.contains(serial), "{}", devices.body);
    assert_eq!(sys.smtp.count_for(email), mails + 1, "one notice");
}

/// Renames the device on the portal, so that the notice can be checked for its name.
pub(crate) async fn name_it(portal: &Browser, serial: &str) {
    let p = portal
        .submit_follow(
            "/devices",
            &format!("/devices/{serial}/rename"),
            &[("name", &format!("{serial}-name"))],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
}

/// A new account adds the recorder with the register code its screen shows, and recovers the
/// admin password with a temporary password from Retrieve; a code of the former owner fails.
pub(crate) async fn new_owner_recovers(
    sys: &System,
    admin: &Browser,
    serial: &str,
    former_code: Option<&str>,
) {
    let rec_code = registration(admin).await.0;
    let portal = sys.portal();
    pc_signup(sys, &portal, "newowner", "newowner@example.com").await;
    let p = portal_add(&portal, &rec_code, serial).await;
    assert!(p.shows(&format!("{serial} was added.")), "{}", p.body);
    wait_registered(admin).await;
    wait_prepared(admin).await;
    sys.wait_key_confirmed(serial, 4).await;
    let anon = Browser::new(&admin.url(""));
    if let Some(code) = former_code {
        let p = enter(&anon, code).await;
        assert!(
            p.error_keys().iter().any(|k| k == "rec-code-wrong"),
            "the former owner's code is wrong now: {}",
            p.body
        );
    }
    let code = retrieve_on_portal(
        sys,
        &portal,
        serial,
        "newowner@example.com",
        &date(0),
        &date(1),
    )
    .await;
    let done = enter(&anon, &code).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert!(admin_password_works_at(&anon, NEW_PASSWORD).await);
}

async fn admin_password_works_at(anon: &Browser, password: &str) -> bool {
    crate::steps::recorder_login(anon, password).await.path() == "/network/cloud"
}

pub async fn release_from_an_online_recorder(sys: System) {
    let serial = "NVRE2E1101";
    let (rec, admin, portal) = prepared(&sys, serial, "", "ichika", "ichika@example.com").await;
    name_it(&portal, serial).await;
    // A temporary password the former owner got before the release (a verification code and
    // a notice were mailed for it).
    let mails = sys.smtp.count_for("ichika@example.com");
    let former_code = retrieve_on_portal(
        &sys,
        &portal,
        serial,
        "ichika@example.com",
        &date(0),
        &date(1),
    )
    .await;
    sys.smtp.nth_for("ichika@example.com", mails + 2).await;
    let mails = mails + 2;

    let done = release(&admin, ADMIN_PASSWORD).await;
    assert_eq!(done.path(), "/network/cloud", "{}", done.body);
    let page = wait_released(&admin).await;
    assert!(!page.has("registered"), "{}", page.body);
    former_owner_told(&sys, &portal, "ichika@example.com", mails, serial).await;
    assert!(audited(&admin, "cloud-release-requested", None).await);
    assert!(audited(&admin, "cloud-released", Some("released")).await);

    // The former owner's code no longer works: the recorder holds no key of a binding, and
    // its recovery screen takes no code.
    let p = rec.browser().open("/recovery").await;
    assert!(p.has("no-recovery-key"), "{}", p.body);
    assert!(admin_password_works(&rec, ADMIN_PASSWORD).await);
    // Nor can the former owner retrieve another one.
    let p = portal.open(&format!("/devices/{serial}/retrieve")).await;
    assert!(
        !p.has("temporary-password") && p.status != 200,
        "{}",
        p.body
    );

    new_owner_recovers(&sys, &admin, serial, Some(&former_code)).await;
}

pub async fn release_from_an_offline_recorder(mut sys: System) {
    let serial = "NVRE2E1102";
    let (mut rec, admin, portal) = prepared(&sys, serial, "", "futaba", "futaba@example.com").await;
    name_it(&portal, serial).await;
    let mails = sys.smtp.count_for("futaba@example.com");

    sys.kill_cloud().await;
    wait_page(&admin, "/network/cloud", "the recorder is offline", |p| {
        p.attr_of("cloud-status", "data-status").as_deref() != Some("online")
    })
    .await;
    let done = release(&admin, ADMIN_PASSWORD).await;
    assert_eq!(done.path(), "/network/cloud", "{}", done.body);
    // Recorded at once: pending, not prepared, no register code yet.
    assert_eq!(
        done.attr_of("release", "data-release").as_deref(),
        Some("pending"),
        "{}",
        done.body
    );
    assert_eq!(prepared_attr(&done).as_deref(), Some("false"));
    assert!(!done.has("register-code") && !done.has("registered"));
    // It survives a restart of the recorder.
    rec.restart().await;
    let page = admin.open("/network/cloud").await;
    assert_eq!(
        page.attr_of("release", "data-release").as_deref(),
        Some("pending"),
        "{}",
        page.body
    );
    // The cloud still has the binding until the recorder connects.
    assert_eq!(sys.smtp.count_for("futaba@example.com"), mails);

    sys.start_cloud_again().await;
    wait_released(&admin).await;
    former_owner_told(&sys, &portal, "futaba@example.com", mails, serial).await;
    assert!(audited(&admin, "cloud-released", Some("released")).await);
    new_owner_recovers(&sys, &admin, serial, None).await;
}

pub async fn a_wrong_admin_password_releases_nothing(sys: System) {
    let serial = "NVRE2E1103";
    let (rec, admin, portal) = prepared(&sys, serial, "", "mitsuki", "mitsuki@example.com").await;
    let mails = sys.smtp.count_for("mitsuki@example.com");

    let refused = release(&admin, "not-the-admin-password").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        refused.error_keys(),
        vec!["rec-cloud-release-wrong-password".to_string()]
    );
    let page = admin.open("/network/cloud").await;
    assert!(page.has("registered"), "{}", page.body);
    assert_eq!(prepared_attr(&page).as_deref(), Some("true"));
    assert_eq!(
        page.attr_of("release", "data-release").as_deref(),
        Some("offered")
    );
    assert!(audited(&admin, "cloud-release-refused", Some("wrong-password")).await);
    let devices = portal.open("/devices").await;
    assert!(devices.body.contains(serial), "{}", devices.body);
    assert_eq!(sys.smtp.count_for("mitsuki@example.com"), mails);

    // The tries count against the admin's login limit: after five wrong ones, even the right
    // password is refused, here and at the login.
    for _ in 0..4 {
        let p = release(&admin, "not-the-admin-password").await;
        assert_eq!(p.status, 403, "{}", p.body);
    }
    let locked = release(&admin, ADMIN_PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert_eq!(locked.error_keys(), vec!["rec-login-locked".to_string()]);
    assert!(!admin_password_works(&rec, ADMIN_PASSWORD).await);
    let page = admin.open("/network/cloud").await;
    assert!(page.has("registered"), "still registered: {}", page.body);
    assert!(portal.open("/devices").await.body.contains(serial));
    assert_eq!(sys.smtp.count_for("mitsuki@example.com"), mails);
}
