//! Issue 11, items 2 and 3: a transfer between accounts, with the real programs. The owner
//! offers the recorder on the portal (typing the password again); until the recipient accepts
//! nothing changes; once accepted, the recorder gets the new key over the gateway, the former
//! owner's temporary password is wrong on it, and the new owner recovers the admin password.

use crate::browser::Browser;
use crate::harness::System;
use crate::recovery::{NEW_PASSWORD, date, enter, retrieve_on_portal};
use crate::steps::{CLOUD_PASSWORD, pc_signup, prepared, recorder_login};

pub async fn a_transferred_recorder_recovers_for_its_new_owner_only(sys: System) {
    let serial = "NVRE2E1201";
    let (_rec, admin, seller) = prepared(&sys, serial, "", "kanade", "kanade@example.com").await;
    // A temporary password the seller got before the transfer.
    let former_code = retrieve_on_portal(
        &sys,
        &seller,
        serial,
        "kanade@example.com",
        &date(0),
        &date(1),
    )
    .await;
    let buyer = sys.portal();
    pc_signup(&sys, &buyer, "buyer", "buyer@example.com").await;

    let p = seller
        .submit_follow(
            "/transfers",
            "/transfers",
            &[
                ("serial", serial),
                ("to", "buyer@example.com"),
                ("password", CLOUD_PASSWORD),
            ],
        )
        .await;
    assert!(p.has_notice("cloud-transfer-offered"), "{}", p.body);
    let offers = buyer.open("/transfers").await;
    let id = offers
        .body
        .split(r#"data-transfer=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the buyer sees the offer: {}", offers.body))
        .to_string();
    // Until it is accepted the seller still owns it.
    let devices = seller.open("/devices").await;
    assert!(devices.body.contains(serial), "{}", devices.body);

    let p = buyer
        .submit_follow(
            "/transfers",
            &format!("/transfers/{id}/accept"),
            &[("serial", serial)],
        )
        .await;
    assert!(p.has_notice("cloud-transfer-accepted"), "{}", p.body);
    sys.wait_key_confirmed(serial, 3).await;

    // The seller's code is wrong on the recorder now, and the seller gets no new one.
    let anon = Browser::new(&admin.url(""));
    let p = enter(&anon, &former_code).await;
    assert!(
        p.error_keys().iter().any(|k| k == "rec-code-wrong"),
        "the former owner's code is wrong now: {}",
        p.body
    );
    let p = seller.open(&format!("/devices/{serial}/retrieve")).await;
    assert!(
        p.status != 200 && !p.has("temporary-password"),
        "{}",
        p.body
    );
    // The buyer recovers the admin password.
    let code = retrieve_on_portal(
        &sys,
        &buyer,
        serial,
        "buyer@example.com",
        &date(0),
        &date(1),
    )
    .await;
    let done = enter(&anon, &code).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert_eq!(
        recorder_login(&anon, NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
}
