//! Issue 11, item 4: deleting an account with a bound recorder. The owner types the password
//! and then the e-mailed code on user information; the recorder, online, learns it is unbound,
//! shows a new register code and holds a rotated key, so the former owner's temporary password
//! no longer works; a new account adds the recorder and recovers its password. A recorder that
//! is switched off while the account is deleted learns it when it connects again.

use crate::browser::Browser;
use crate::harness::{Recorder, System};
use crate::recovery::{date, retrieve_on_portal};
use crate::release::{audited, name_it, new_owner_recovers, wait_released};
use crate::steps::{CLOUD_PASSWORD, prepared, wait_page};

/// A named recorder on the account of `email`, and a temporary password its owner got for it
/// first; returns the recorder, its admin's browser, the owner's portal, the code and how many
/// mails the address has had.
async fn owner_with_code(
    sys: &System,
    serial: &str,
    user: &str,
    email: &str,
) -> (Recorder, Browser, Browser, String, usize) {
    let (rec, admin, portal) = prepared(sys, serial, "", user, email).await;
    name_it(&portal, serial).await;
    let mails = sys.smtp.count_for(email);
    let code = retrieve_on_portal(sys, &portal, serial, email, &date(0), &date(1)).await;
    // Its verification code and the notice of the issue.
    sys.smtp.nth_for(email, mails + 2).await;
    (rec, admin, portal, code, mails + 2)
}

/// The password typed again on user information: the page asks for the code, which is mailed.
async fn ask_to_delete(sys: &System, portal: &Browser, email: &str, mails: usize) -> String {
    let p = portal
        .submit(
            "/account",
            "/account/delete",
            &[("current", CLOUD_PASSWORD)],
        )
        .await;
    assert!(p.has("delete-confirm"), "{}", p.body);
    sys.smtp.nth_for(email, mails + 1).await.code()
}

/// The code deletes the account: the owner is logged out, and told at once (the notice names
/// the recorder), whether or not the recorder knows yet.
async fn confirm_deletion(
    sys: &System,
    portal: &Browser,
    (email, mails): (&str, usize),
    serial: &str,
    code: &str,
) {
    let p = portal
        .submit("/account", "/account/delete/confirm", &[("code", code)])
        .await;
    assert!(p.has_notice("cloud-account-deleted"), "{}", p.body);
    let notice = sys.smtp.nth_for(email, mails + 2).await;
    assert!(notice.body.contains(serial), "{}", notice.body);
    let p = portal.open("/devices").await;
    assert!(p.path().starts_with("/login"), "logged out: {}", p.path());
}

/// The recorder shows a new register code, not prepared, and its audit log says why, with the
/// key the deletion made (enrolled 1, bound 2, released 3), once it holds that key (it comes
/// after the binding).
async fn released_by_the_deletion(sys: &System, admin: &Browser, serial: &str) {
    wait_released(admin).await;
    sys.wait_key_confirmed(serial, 3).await;
    assert!(audited(admin, "cloud-account-deleted", Some("3")).await);
}

pub async fn deleting_the_account_releases_its_recorder(sys: System) {
    let serial = "NVRE2E1401";
    let email = "hiro@example.com";
    let (_rec, admin, portal, former_code, mails) =
        owner_with_code(&sys, serial, "hiro", email).await;

    // A wrong password and a wrong code change nothing.
    let p = portal
        .submit(
            "/account",
            "/account/delete",
            &[("current", "not it at all")],
        )
        .await;
    assert!(p.has_error("cloud-password-current-wrong"), "{}", p.body);
    let code = ask_to_delete(&sys, &portal, email, mails).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let p = portal
        .submit("/account", "/account/delete/confirm", &[("code", wrong)])
        .await;
    assert!(p.has_error("cloud-code-wrong"), "{}", p.body);
    let devices = portal.open("/devices").await;
    assert!(devices.body.contains(serial), "{}", devices.body);

    confirm_deletion(&sys, &portal, (email, mails), serial, &code).await;
    // The recorder learns it over its gateway connection.
    released_by_the_deletion(&sys, &admin, serial).await;

    // A new account adds the recorder and recovers the password, and the former owner's
    // temporary password is wrong. (Signing up again with the address is checked by the cloud's
    // own suite, whose clock passes the sign-up code's cool-down.)
    new_owner_recovers(&sys, &admin, serial, Some(&former_code)).await;
}

pub async fn deleting_the_account_releases_its_offline_recorder(sys: System) {
    let serial = "NVRE2E1402";
    let email = "nagisa@example.com";
    let (mut rec, admin, portal, former_code, mails) =
        owner_with_code(&sys, serial, "nagisa", email).await;

    // The recorder is switched off (its data kept); the portal shows it offline.
    let stopped = rec.terminate().await;
    assert!(stopped.success(), "the recorder stopped: {stopped}");
    wait_page(&portal, "/devices", "the recorder is listed offline", |p| {
        p.body.contains(serial) && !p.body.contains(r#"class="status online""#)
    })
    .await;

    let code = ask_to_delete(&sys, &portal, email, mails).await;
    // The former owner is told at once, though the recorder does not know yet.
    confirm_deletion(&sys, &portal, (email, mails), serial, &code).await;

    // Switched on again, the recorder learns at its connection that it was released (its
    // recovery screen takes no code).
    rec.start_again().await;
    released_by_the_deletion(&sys, &admin, serial).await;
    let p = rec.browser().open("/recovery").await;
    assert!(p.has("no-recovery-key"), "{}", p.body);

    // A new account adds it and recovers the password; the former owner's temporary password
    // is wrong on it.
    new_owner_recovers(&sys, &admin, serial, Some(&former_code)).await;
}
