//! Issue 11, item 3: an installer's hand-over, with three real recorders. The installer's
//! account holds the three and offers them in one step (`rekey transfer send`); the customer
//! sees the list and accepts two. Those two move with new keys: the installer's temporary
//! passwords are wrong on them and Retrieve no longer knows them, while the customer recovers
//! their admin passwords. The third stays the installer's, who still recovers it; the customer
//! gets nothing for it.

use crate::browser::Browser;
use crate::harness::{System, eventually};
use crate::recovery::{date, enter, owner_cli, retrieve_on_portal};
use crate::release::audited;
use crate::steps::{CLOUD_PASSWORD, another_recorder, pc_signup, prepared};
use crate::transfer::{accept, activity_has, cannot_retrieve, code_resets_the_password, lists};

const INSTALLER: &str = "installer@example.com";
const CUSTOMER: &str = "customer@example.com";

pub async fn a_hand_over_of_three_accepted_in_part(sys: System) {
    let [s1, s2, s3] = ["NVRE2E1301", "NVRE2E1302", "NVRE2E1303"];
    let (_rec1, admin1, installer) = prepared(&sys, s1, "", "installer", INSTALLER).await;
    let (_rec2, admin2) = another_recorder(&sys, &installer, s2).await;
    let (_rec3, admin3) = another_recorder(&sys, &installer, s3).await;
    // Temporary passwords the installer got for the two that will move. An address gets one
    // e-mailed code a minute: the cloud's clock passes the minute between them.
    let code1 = retrieve_on_portal(&sys, &installer, s1, INSTALLER, &date(0), &date(1)).await;
    sys.pass_code_cooldown();
    let code2 = retrieve_on_portal(&sys, &installer, s2, INSTALLER, &date(0), &date(1)).await;

    let customer = sys.portal();
    pc_signup(&sys, &customer, "customer", CUSTOMER).await;
    let customer_mails = sys.smtp.count_for(CUSTOMER);
    // The installer hands the three over in one step.
    let cli = owner_cli(&sys, "installer-cli", "installer").await;
    let sent = cli
        .run(
            &[
                "transfer",
                "send",
                s1,
                s2,
                s3,
                "--to",
                CUSTOMER,
                "--password-stdin",
            ],
            Some(&format!("{CLOUD_PASSWORD}\n")),
        )
        .await
        .ok("rekey transfer send")
        .json();
    let id = sent["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the hand-over's id: {sent}"))
        .to_owned();
    let offered = sys.smtp.nth_for(CUSTOMER, customer_mails + 1).await;
    for serial in [s1, s2, s3] {
        assert!(offered.body.contains(serial), "{}", offered.body);
    }

    // The customer sees the three in one offer; until it is accepted nothing changes.
    let page = customer.open("/transfers").await;
    assert_eq!(
        page.data_values("data-transfer"),
        std::slice::from_ref(&id),
        "{}",
        page.body
    );
    let serials = page.data_values("data-serial");
    assert_eq!(serials, [s1, s2, s3], "{}", page.body);
    for serial in [s1, s2, s3] {
        assert!(lists(&installer, serial).await);
        assert!(!lists(&customer, serial).await);
    }

    // The customer accepts two of them.
    let p = accept(&customer, &id, &[s1, s2]).await;
    assert!(p.has_notice("cloud-transfer-accepted"), "{}", p.body);
    assert!(p.data_values("data-transfer").is_empty(), "{}", p.body);
    sys.wait_key_confirmed(s1, 3).await;
    sys.wait_key_confirmed(s2, 3).await;
    // The installer is told which ones moved.
    eventually("the installer is told which recorders moved", || {
        let told = sys
            .smtp
            .mails()
            .into_iter()
            .find(|m| m.to == INSTALLER && m.body.contains(s1) && m.body.contains(s2));
        if let Some(m) = &told {
            assert!(!m.body.contains(s3), "{}", m.body);
        }
        async move { told.is_some() }
    })
    .await;

    // The two moved: in the customer's list and activity, out of the installer's; the
    // installer's earlier codes are wrong on them and Retrieve refuses them to the installer;
    // the customer recovers both admin passwords.
    for (serial, admin, former) in [(s1, &admin1, &code1), (s2, &admin2, &code2)] {
        assert!(
            !lists(&installer, serial).await,
            "{serial} left the installer"
        );
        assert!(lists(&customer, serial).await, "{serial} is the customer's");
        assert!(activity_has(&installer, "transferred-out", serial).await);
        assert!(activity_has(&customer, "transferred-in", serial).await);
        let anon = Browser::new(&admin.url(""));
        let p = enter(&anon, former).await;
        assert!(
            p.error_keys().iter().any(|k| k == "rec-code-wrong"),
            "the installer's code for {serial} is wrong now: {}",
            p.body
        );
        cannot_retrieve(&installer, serial).await;
        // The recorder's audit log records the hand-over, with the key it made.
        assert!(audited(admin, "cloud-transferred", Some("3")).await);
        sys.pass_code_cooldown();
        let code = retrieve_on_portal(&sys, &customer, serial, CUSTOMER, &date(0), &date(1)).await;
        code_resets_the_password(admin, &code).await;
    }

    // The third stays the installer's: the customer gets nothing for it, the installer
    // recovers its admin password.
    assert!(lists(&installer, s3).await);
    assert!(!lists(&customer, s3).await);
    assert!(!activity_has(&installer, "transferred-out", s3).await);
    assert!(!activity_has(&customer, "transferred-in", s3).await);
    cannot_retrieve(&customer, s3).await;
    assert!(!audited(&admin3, "cloud-transferred", None).await);
    sys.pass_code_cooldown();
    let code3 = retrieve_on_portal(&sys, &installer, s3, INSTALLER, &date(0), &date(1)).await;
    code_resets_the_password(&admin3, &code3).await;
}
