//! Issue 11, item 4: deleting an account with a bound recorder. The owner types the password
//! and then the e-mailed code on user information; the recorder, online, learns it is unbound,
//! shows a new register code and holds a rotated key, so the former owner's temporary password
//! no longer works; a new account adds the recorder and recovers its password.

use crate::harness::System;
use crate::recovery::{date, retrieve_on_portal};
use crate::release::{name_it, new_owner_recovers, wait_released};
use crate::steps::{CLOUD_PASSWORD, prepared};

pub async fn deleting_the_account_releases_its_recorder(sys: System) {
    let serial = "NVRE2E1401";
    let email = "hiro@example.com";
    let (_rec, admin, portal) = prepared(&sys, serial, "", "hiro", email).await;
    name_it(&portal, serial).await;
    let mails = sys.smtp.count_for(email);
    let former_code = retrieve_on_portal(&sys, &portal, serial, email, &date(0), &date(1)).await;
    // Its verification code and the notice of the issue.
    sys.smtp.nth_for(email, mails + 2).await;
    let mails = mails + 2;

    // A wrong password and a wrong code change nothing.
    let p = portal
        .submit(
            "/account",
            "/account/delete",
            &[("current", "not it at all")],
        )
        .await;
    assert!(p.has_error("cloud-password-current-wrong"), "{}", p.body);
    let p = portal
        .submit(
            "/account",
            "/account/delete",
            &[("current", CLOUD_PASSWORD)],
        )
        .await;
    assert!(p.has("delete-confirm"), "{}", p.body);
    let code = sys.smtp.nth_for(email, mails + 1).await.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let p = portal
        .submit("/account", "/account/delete/confirm", &[("code", wrong)])
        .await;
    assert!(p.has_error("cloud-code-wrong"), "{}", p.body);
    let devices = portal.open("/devices").await;
    assert!(devices.body.contains(serial), "{}", devices.body);

    let p = portal
        .submit("/account", "/account/delete/confirm", &[("code", &code)])
        .await;
    assert!(p.has_notice("cloud-account-deleted"), "{}", p.body);
    // The recorder learns it over its gateway connection: a new register code, not prepared.
    wait_released(&admin).await;
    let notice = sys.smtp.nth_for(email, mails + 2).await;
    assert!(notice.body.contains(serial), "{}", notice.body);
    let p = portal.open("/devices").await;
    assert!(p.path().starts_with("/login"), "logged out: {}", p.path());

    // A new account adds the recorder and recovers the password, and the former owner's
    // temporary password is wrong. (Signing up again with the address is checked by the cloud's
    // own suite, whose clock passes the sign-up code's cool-down.)
    new_owner_recovers(&sys, &admin, serial, Some(&former_code)).await;
}
