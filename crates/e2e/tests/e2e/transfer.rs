//! Issue 11, item 2: a transfer between accounts, with the real programs. The owner offers the
//! recorder on the portal (typing the password again); until the recipient accepts nothing
//! changes; once accepted, the recorder gets the new key over the gateway, the former owner's
//! temporary password is wrong on it, and the new owner recovers the admin password. An offer
//! the sender cancelled, or one that expired (the cloud's clock moved past its week), can no
//! longer be accepted, each with its own message, and leaves everything as it was: the sender's
//! temporary password still resets the admin password, the recipient gets nothing.

use crate::browser::{Browser, Page};
use crate::cli::Cli;
use crate::harness::{Recorder, System};
use crate::recovery::{NEW_PASSWORD, date, enter, owner_cli, retrieve_on_portal};
use crate::release::audited;
use crate::steps::{CLOUD_PASSWORD, pc_signup, prepared, recorder_login};

/// How long an offer waits for its recipient: the cloud's default (`--transfer-days`), in
/// seconds.
const OFFER_SECS: i64 = 7 * 24 * 3600;

/// The owner offers `serials` to `to` on the Hand-overs page, typing the password again;
/// returns the page it lands on.
pub(crate) async fn offer(owner: &Browser, serials: &[&str], to: &str) -> Page {
    let mut fields: Vec<(&str, &str)> = serials.iter().map(|s| ("serial", *s)).collect();
    fields.extend([("to", to), ("password", CLOUD_PASSWORD)]);
    owner
        .submit_follow("/transfers", "/transfers", &fields)
        .await
}

/// The ids of the offers `page` (a Hand-overs page) lists.
pub(crate) fn listed_offers(page: &Page) -> Vec<String> {
    page.data_values("data-transfer")
}

/// The id of the one offer the recipient's Hand-overs page lists.
pub(crate) async fn the_offer(recipient: &Browser) -> String {
    let page = recipient.open("/transfers").await;
    match listed_offers(&page).as_slice() {
        [id] => id.clone(),
        _ => panic!("the recipient sees one offer: {}", page.body),
    }
}

/// The recipient accepts `serials` of offer `id` on the Hand-overs page.
pub(crate) async fn accept(recipient: &Browser, id: &str, serials: &[&str]) -> Page {
    let fields: Vec<(&str, &str)> = serials.iter().map(|s| ("serial", *s)).collect();
    recipient
        .submit_follow("/transfers", &format!("/transfers/{id}/accept"), &fields)
        .await
}

/// Whether the portal account's device list names `serial`.
pub(crate) async fn lists(portal: &Browser, serial: &str) -> bool {
    let page = portal.open("/devices").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body.contains(&format!("/devices/{serial}/retrieve"))
}

/// The portal account gets no temporary password for `serial`: Retrieve does not know it.
pub(crate) async fn cannot_retrieve(portal: &Browser, serial: &str) {
    let p = portal.open(&format!("/devices/{serial}/retrieve")).await;
    assert!(
        p.status == 404 && p.has_error("cloud-device-not-found") && !p.has("temporary-password"),
        "Retrieve refuses {serial}: {}",
        p.body
    );
}

/// The portal account's activity lists a hand-over (`transferred-out` or `transferred-in`) of
/// `serial`.
pub(crate) async fn activity_has(portal: &Browser, event: &str, serial: &str) -> bool {
    let page = portal.open("/activity").await;
    page.body
        .contains(&format!(r#"data-event="{event}" data-serial="{serial}""#))
}

/// `code`, a temporary password, resets the admin password on the recorder whose admin's
/// browser is `admin`; the new password then logs in.
pub(crate) async fn code_resets_the_password(admin: &Browser, code: &str) {
    let anon = Browser::new(&admin.url(""));
    let done = enter(&anon, code).await;
    assert_eq!(done.path(), "/login", "the code works: {}", done.body);
    assert_eq!(
        recorder_login(&anon, NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
}

/// After an offer that was never accepted: the sender still has the recorder, the recipient
/// neither lists it nor can Retrieve it, no activity records a hand-over, the recorder is still
/// registered and its audit log records no hand-over, and the sender's temporary password from before the offer (made with the key
/// that did not rotate) resets the admin password.
async fn nothing_moved(
    sender: &Browser,
    recipient: &Browser,
    admin: &Browser,
    serial: &str,
    former_code: &str,
) {
    assert!(lists(sender, serial).await, "the sender still has {serial}");
    assert!(!lists(recipient, serial).await, "the recipient has nothing");
    assert!(!activity_has(sender, "transferred-out", serial).await);
    assert!(!activity_has(recipient, "transferred-in", serial).await);
    cannot_retrieve(recipient, serial).await;
    let page = admin.open("/network/cloud").await;
    assert!(page.has("registered"), "{}", page.body);
    assert!(!audited(admin, "cloud-transferred", None).await);
    code_resets_the_password(admin, former_code).await;
}

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

    let p = offer(&seller, &[serial], "buyer@example.com").await;
    assert!(p.has_notice("cloud-transfer-offered"), "{}", p.body);
    let id = the_offer(&buyer).await;
    // Until it is accepted the seller still owns it.
    assert!(lists(&seller, serial).await);

    let p = accept(&buyer, &id, &[serial]).await;
    assert!(p.has_notice("cloud-transfer-accepted"), "{}", p.body);
    sys.wait_key_confirmed(serial, 3).await;
    assert!(activity_has(&seller, "transferred-out", serial).await);
    assert!(activity_has(&buyer, "transferred-in", serial).await);
    // The recorder's audit log records the hand-over (not to whom).
    assert!(audited(&admin, "cloud-transferred", Some("3")).await);

    // The seller's code is wrong on the recorder now, and the seller gets no new one.
    let anon = Browser::new(&admin.url(""));
    let p = enter(&anon, &former_code).await;
    assert!(
        p.error_keys().iter().any(|k| k == "rec-code-wrong"),
        "the former owner's code is wrong now: {}",
        p.body
    );
    cannot_retrieve(&seller, serial).await;
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

/// A seller's recorder, a temporary password the seller got for it first, and a buyer (on the
/// portal and with the CLI) to whom the seller has offered it: the offer is mailed and listed.
struct Offered {
    _rec: Recorder,
    admin: Browser,
    seller: Browser,
    buyer: Browser,
    buyer_cli: Cli,
    former_code: String,
    id: String,
    /// The buyer's mails so far (the offer is the last).
    mails: usize,
}

async fn offered(sys: &System, serial: &str, seller_name: &str) -> Offered {
    let seller_email = format!("{seller_name}@example.com");
    let (rec, admin, seller) = prepared(sys, serial, "", seller_name, &seller_email).await;
    let former_code =
        retrieve_on_portal(sys, &seller, serial, &seller_email, &date(0), &date(1)).await;
    let buyer = sys.portal();
    pc_signup(sys, &buyer, "buyer", "buyer@example.com").await;
    let buyer_cli = owner_cli(sys, "buyer-cli", "buyer").await;
    let mails = sys.smtp.count_for("buyer@example.com");
    let p = offer(&seller, &[serial], "buyer@example.com").await;
    assert!(p.has_notice("cloud-transfer-offered"), "{}", p.body);
    let mail = sys.smtp.nth_for("buyer@example.com", mails + 1).await;
    assert!(mail.body.contains(serial), "{}", mail.body);
    let id = the_offer(&buyer).await;
    Offered {
        _rec: rec,
        admin,
        seller,
        buyer,
        buyer_cli,
        former_code,
        id,
        mails: mails + 1,
    }
}

/// Accepting the offer is refused with `key`: on the page, by the mail's link and with the CLI.
async fn accepting_is_refused(o: &Offered, serial: &str, key: &str) {
    let p = accept(&o.buyer, &o.id, &[serial]).await;
    assert!(p.has_error(key), "{}", p.body);
    assert!(listed_offers(&p).is_empty(), "{}", p.body);
    let p = o.buyer.open(&format!("/transfers/{}", o.id)).await;
    assert!(p.has_error(key), "{}", p.body);
    let run = o
        .buyer_cli
        .run(&["accept", &o.id], None)
        .await
        .expect_code(1, "accepting a closed hand-over");
    assert_eq!(run.error_key(), key, "{}", run.stdout);
}

pub async fn a_cancelled_transfer_changes_nothing(sys: System) {
    let serial = "NVRE2E1202";
    let o = offered(&sys, serial, "kaito").await;
    // The buyer has the offer open when the seller changes their mind.
    let p = (o.seller)
        .submit_follow("/transfers", &format!("/transfers/{}/cancel", o.id), &[])
        .await;
    assert!(
        p.has_notice("cloud-transfer-cancelled-notice"),
        "{}",
        p.body
    );
    assert!(listed_offers(&p).is_empty(), "{}", p.body);
    let told = sys.smtp.nth_for("buyer@example.com", o.mails + 1).await;
    assert!(told.body.contains(serial), "{}", told.body);
    accepting_is_refused(&o, serial, "cloud-transfer-cancelled").await;
    nothing_moved(&o.seller, &o.buyer, &o.admin, serial, &o.former_code).await;
}

pub async fn an_expired_transfer_changes_nothing(sys: System) {
    let serial = "NVRE2E1203";
    let o = offered(&sys, serial, "koharu").await;
    // An hour before the week is over the offer still stands…
    sys.set_cloud_clock_offset(OFFER_SECS - 3600);
    assert_eq!(the_offer(&o.buyer).await, o.id);
    // …an hour after it, it has expired: nobody lists it, and accepting it is refused as
    // expired. (Portal and CLI sessions last 14 days: still logged in.)
    sys.set_cloud_clock_offset(OFFER_SECS + 3600);
    let p = o.buyer.open("/transfers").await;
    assert!(listed_offers(&p).is_empty(), "{}", p.body);
    let p = o.seller.open("/transfers").await;
    assert!(listed_offers(&p).is_empty(), "{}", p.body);
    accepting_is_refused(&o, serial, "cloud-transfer-expired").await;
    assert!(lists(&o.seller, serial).await, "the seller still has it");
    assert!(!lists(&o.buyer, serial).await, "the buyer has nothing");

    // Back to the real time (Retrieve and the recorder work on today's date).
    sys.set_cloud_clock_offset(0);
    nothing_moved(&o.seller, &o.buyer, &o.admin, serial, &o.former_code).await;
}
