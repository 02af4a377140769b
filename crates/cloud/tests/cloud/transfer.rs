//! Transfers between accounts and installer hand-overs (docs/protocol.md §9, "Transfer"),
//! through the JSON API: nothing changes until the recipient accepts; an accepted device moves
//! with a new recovery key (the recorder gets it over the gateway), so recovery works for the
//! new owner and no longer for the former one; cancelled and expired offers move nothing; every
//! bad request is refused with its own key and changes nothing.

use rekey_cloud::mail::strip_isolates;
use rekey_proto::gateway::CloudMessage;
use rekey_web::i18n::Arg;
use rekey_web::{Clock, Lang};
use serde_json::{Value, json};

use crate::device::{self, TestDevice};
use crate::recovery::{challenge, owner_with_recorder, qr_url};
use crate::support::{TestApp, api_error, between, error_keys, has_error, has_notice};

mod limits;
pub use limits::*;

const PW: &str = "correct horse battery staple";

async fn token(app: &TestApp, login: &str) -> String {
    app.api_token(login, PW).await
}

/// A new account `user` (address `user@example.com`) in a browser of its own, with its token.
async fn account(app: &TestApp, user: &str) -> (TestApp, String) {
    let browser = app.other_browser();
    browser
        .signup_pc(user, &format!("{user}@example.com"), PW)
        .await;
    let t = token(app, user).await;
    (browser, t)
}

/// Another recorder added to the account logged in to `browser`, holding its key.
async fn add_recorder(app: &TestApp, browser: &TestApp, serial: &str, seed: u8) -> TestDevice {
    let mut rec = device::connect(
        &app.base,
        serial,
        &rekey_proto::DeviceSigningKey::from_seed([seed; 32]),
    )
    .await;
    let (_, _, body) = browser
        .post(
            "/devices",
            "/devices/add",
            &[("code", &rec.register_code()), ("name", serial)],
        )
        .await;
    assert!(has_notice(&body, "cloud-device-added"), "{body}");
    rec.process_until(|m| matches!(m, CloudMessage::RecoveryKey { epoch: 2, .. }))
        .await;
    rec.heartbeat(app.clock.now()).await;
    rec
}

async fn owner_of(app: &TestApp, serial: &str) -> Option<String> {
    let id = app.device(serial).await.account_id?;
    let account = app.state.store.account_by_id(id).await.unwrap()?;
    Some(account.username.as_str().to_string())
}

/// The recorder gets the key of its new binding (epoch 3) and stores it. It connects again
/// first: the test recorder sends no heartbeats while the test signs up accounts, so the cloud
/// may have dropped its connection as silent (a real recorder gets the key at its next
/// connection too).
async fn takes_new_key(app: &TestApp, rec: &mut TestDevice, seed: u8) {
    *rec = device::connect(
        &app.base,
        rec.serial.as_str(),
        &rekey_proto::DeviceSigningKey::from_seed([seed; 32]),
    )
    .await;
    rec.process_until(|m| matches!(m, CloudMessage::RecoveryKey { epoch: 3, .. }))
        .await;
    rec.heartbeat(app.clock.now()).await; // its key_stored is processed before this answer
}

/// Asks for a temporary password with the recorder's current recovery QR code as the account
/// of `token`: the status and the error key, if any.
async fn recover(app: &TestApp, token: &str, rec: &TestDevice, nonce: u8) -> (u16, String) {
    let url = qr_url(app, rec, &challenge(app, "admin@shop.example", nonce));
    let (status, body) = app
        .api("POST", "/recover/send", Some(token), json!({"qr": url}))
        .await;
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

async fn offer(app: &TestApp, token: &str, to: &str, serials: &[&str], pw: &str) -> (u16, Value) {
    app.api(
        "POST",
        "/transfers",
        Some(token),
        json!({"to": to, "serials": serials, "password": pw}),
    )
    .await
}

/// The id of the transfer an offer made (it must have been made).
fn offered_id(r: &(u16, Value)) -> String {
    assert_eq!(r.0, 201, "{}", r.1);
    r.1["id"].as_str().unwrap().to_string()
}

/// `POST /transfers/{id}/{action}` (accept, decline, cancel) with no body, as the account of
/// `token` (none: logged out).
async fn answer(app: &TestApp, token: Option<&str>, id: &str, action: &str) -> (u16, Value) {
    let path = format!("/transfers/{id}/{action}");
    app.api("POST", &path, token, json!({})).await
}

/// The sender cancels its transfer `id`.
async fn cancel(app: &TestApp, token: &str, id: &str) {
    let r = answer(app, Some(token), id, "cancel").await;
    assert_eq!(r.0, 204, "{}", r.1);
}

async fn open_ids(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let (status, body) = app.api("GET", "/transfers", Some(token), json!({})).await;
    assert_eq!(status, 200, "{body}");
    body["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["direction"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn subject(key: &str, args: &[(&'static str, Arg)]) -> String {
    strip_isolates(&Lang::En.t_args(key, args))
}

fn bare(s: &str) -> String {
    s.split_whitespace().collect()
}

pub async fn a_transfer_moves_the_device_once_accepted(app: TestApp) {
    let mut rec = owner_with_recorder(&app, "hana", "NVR0501", 51).await;
    let hana = token(&app, "hana").await;
    let (kaito_browser, kaito) = account(&app, "kaito").await;
    let kaito_mails = app.smtp.count_for("kaito@example.com");

    let r = offer(&app, &hana, "Kaito@Example.com", &["NVR0501"], PW).await;
    let id = offered_id(&r);
    assert_eq!(id.len(), 32, "128 random bits");
    assert_eq!(r.1["state"], "open");
    assert_eq!(r.1["devices"][0]["serial"], "NVR0501");

    // The recipient is told; until it accepts, nothing changes.
    let mail = app.smtp.nth_for("kaito@example.com", kaito_mails + 1).await;
    assert_eq!(
        bare(&mail.subject),
        bare(&subject(
            "mail-transfer-offer-subject",
            &[("from", "hana".into())]
        ))
    );
    assert!(
        mail.body.contains(&format!("/transfers/{id}")),
        "{}",
        mail.body
    );
    assert_eq!(owner_of(&app, "NVR0501").await.as_deref(), Some("hana"));
    assert_eq!(recover(&app, &hana, &rec, 1).await, (200, String::new()));
    assert_eq!(
        open_ids(&app, &hana).await,
        [(id.clone(), "outgoing".into())]
    );
    assert_eq!(
        open_ids(&app, &kaito).await,
        [(id.clone(), "incoming".into())]
    );

    let (status, body) = answer(&app, Some(&kaito), &id, "accept").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["moved"], json!(["NVR0501"]));
    takes_new_key(&app, &mut rec, 51).await;
    assert_eq!(owner_of(&app, "NVR0501").await.as_deref(), Some("kaito"));

    // Recovery works for the new owner, not for the former one.
    assert_eq!(recover(&app, &kaito, &rec, 2).await, (200, String::new()));
    assert_eq!(
        recover(&app, &hana, &rec, 3).await,
        (403, "cloud-recover-not-yours".to_string())
    );

    // Both accounts are told and record it; the transfer is no longer open.
    // (hana: sign-up code, the notice of the code issued above, this notice; kaito: the offer,
    // this notice, the notice of the code issued above, in either order.)
    app.smtp.nth_for("hana@example.com", 3).await;
    app.smtp.nth_for("kaito@example.com", kaito_mails + 3).await;
    let subjects = |to: &str| {
        (app.smtp.mails().into_iter())
            .filter(|m| m.to == to)
            .map(|m| bare(&m.subject))
            .collect::<Vec<_>>()
    };
    assert!(
        subjects("hana@example.com").contains(&bare(&subject("mail-transferred-subject", &[])))
    );
    assert!(subjects("kaito@example.com").contains(&bare(&subject("mail-received-subject", &[]))));
    let (_, activity) = app.get("/activity").await;
    assert!(
        activity.contains(r#"data-event="transferred-out" data-serial="NVR0501""#),
        "{activity}"
    );
    let (_, activity) = kaito_browser.get("/activity").await;
    assert!(
        activity.contains(r#"data-event="transferred-in" data-serial="NVR0501""#),
        "{activity}"
    );
    assert!(open_ids(&app, &kaito).await.is_empty());

    // Accepting twice changes nothing.
    let r = answer(&app, Some(&kaito), &id, "accept").await;
    assert_eq!(api_error(&r), (409, "cloud-transfer-closed"));
    assert_eq!(owner_of(&app, "NVR0501").await.as_deref(), Some("kaito"));
}

pub async fn a_cancelled_transfer_moves_nothing(app: TestApp) {
    let rec = owner_with_recorder(&app, "ume", "NVR0502", 52).await;
    let ume = token(&app, "ume").await;
    let (_, sato) = account(&app, "sato").await;
    let id = offered_id(&offer(&app, &ume, "sato@example.com", &["NVR0502"], PW).await);

    // Only the sender cancels.
    let r = answer(&app, Some(&sato), &id, "cancel").await;
    assert_eq!(api_error(&r), (403, "cloud-transfer-not-sender"));
    let (status, body) = answer(&app, Some(&ume), &id, "cancel").await;
    assert_eq!(status, 204, "{body}");
    // The address the offer went to is told (sign-up code, offer, this notice).
    let notice = app.smtp.nth_for("sato@example.com", 3).await;
    assert_eq!(
        bare(&notice.subject),
        bare(&subject(
            "mail-transfer-cancelled-subject",
            &[("from", "ume".into())]
        ))
    );
    assert!(notice.body.contains("NVR0502"), "{}", notice.body);
    let r = answer(&app, Some(&sato), &id, "accept").await;
    assert_eq!(api_error(&r), (409, "cloud-transfer-cancelled"));

    assert_eq!(owner_of(&app, "NVR0502").await.as_deref(), Some("ume"));
    assert_eq!(recover(&app, &ume, &rec, 1).await, (200, String::new()));
    assert_eq!(
        recover(&app, &sato, &rec, 2).await,
        (403, "cloud-recover-not-yours".to_string())
    );
    assert!(open_ids(&app, &ume).await.is_empty());
    assert!(open_ids(&app, &sato).await.is_empty());
}

pub async fn an_expired_transfer_moves_nothing(app: TestApp) {
    let rec = owner_with_recorder(&app, "momo", "NVR0503", 53).await;
    let momo = token(&app, "momo").await;
    let (_, ren) = account(&app, "ren").await;
    let id = offered_id(&offer(&app, &momo, "ren@example.com", &["NVR0503"], PW).await);

    app.clock
        .advance(i64::try_from(app.config.transfer_ttl.as_secs()).unwrap() + 1);
    assert!(open_ids(&app, &ren).await.is_empty());
    let r = answer(&app, Some(&ren), &id, "accept").await;
    assert_eq!(api_error(&r), (409, "cloud-transfer-expired"));
    let (status, body) = app
        .api("GET", &format!("/transfers/{id}"), Some(&momo), json!({}))
        .await;
    assert_eq!((status, body["state"].as_str()), (200, Some("expired")));

    assert_eq!(owner_of(&app, "NVR0503").await.as_deref(), Some("momo"));
    assert_eq!(recover(&app, &momo, &rec, 1).await, (200, String::new()));
    assert_eq!(
        recover(&app, &ren, &rec, 2).await,
        (403, "cloud-recover-not-yours".to_string())
    );
    // The device can be offered again.
    let r = offer(&app, &momo, "ren@example.com", &["NVR0503"], PW).await;
    assert_eq!(r.0, 201, "{}", r.1);
}

pub async fn an_installer_hands_three_recorders_over_and_two_are_accepted(app: TestApp) {
    let mut first = owner_with_recorder(&app, "installer", "NVR0511", 61).await;
    let second = add_recorder(&app, &app, "NVR0512", 62).await;
    let mut third = add_recorder(&app, &app, "NVR0513", 63).await;
    let installer = token(&app, "installer").await;

    // The customer has no account yet: the offer invites it to sign up and waits.
    let r = offer(
        &app,
        &installer,
        "shop@example.com",
        &["NVR0511", "NVR0512", "NVR0513"],
        PW,
    )
    .await;
    let id = offered_id(&r);
    let serials: Vec<&str> = r.1["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial"].as_str().unwrap())
        .collect();
    assert_eq!(serials, ["NVR0511", "NVR0512", "NVR0513"]);
    let invite = app.smtp.nth_for("shop@example.com", 1).await;
    assert!(
        invite.body.contains(&format!("/transfers/{id}")),
        "{}",
        invite.body
    );

    let (shop_browser, shop) = account(&app, "shop").await;
    assert_eq!(
        open_ids(&app, &shop).await,
        [(id.clone(), "incoming".into())]
    );
    // A serial the transfer does not list is refused, and nothing moves.
    let r = app
        .api(
            "POST",
            &format!("/transfers/{id}/accept"),
            Some(&shop),
            json!({"serials": ["NVR0511", "NVR0599"]}),
        )
        .await;
    assert_eq!(api_error(&r), (400, "cloud-transfer-device-not-listed"));
    let (status, body) = app
        .api(
            "POST",
            &format!("/transfers/{id}/accept"),
            Some(&shop),
            json!({"serials": ["NVR0511", "NVR0513"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["moved"], json!(["NVR0511", "NVR0513"]));
    assert_eq!(body["declined"], json!(["NVR0512"]));
    takes_new_key(&app, &mut first, 61).await;
    takes_new_key(&app, &mut third, 63).await;

    assert_eq!(owner_of(&app, "NVR0511").await.as_deref(), Some("shop"));
    assert_eq!(
        owner_of(&app, "NVR0512").await.as_deref(),
        Some("installer")
    );
    assert_eq!(owner_of(&app, "NVR0513").await.as_deref(), Some("shop"));
    let not_yours = (403, "cloud-recover-not-yours".to_string());
    for (n, rec) in [&first, &third].into_iter().enumerate() {
        let n = u8::try_from(n).unwrap();
        assert_eq!(
            recover(&app, &shop, rec, 10 + n).await,
            (200, String::new())
        );
        assert_eq!(recover(&app, &installer, rec, 20 + n).await, not_yours);
    }
    assert_eq!(
        recover(&app, &installer, &second, 30).await,
        (200, String::new())
    );
    assert_eq!(recover(&app, &shop, &second, 31).await, not_yours);
    // The declined recorder kept its key.
    let declined = app.device("NVR0512").await;
    let key = app.state.store.newest_recovery_key(declined.id).await;
    assert_eq!(key.unwrap().unwrap().epoch, 2);
    let (_, devices) = shop_browser.get("/devices").await;
    assert!(devices.contains("NVR0511") && devices.contains("NVR0513"));
    assert!(!devices.contains("NVR0512"), "{devices}");
}

pub async fn bad_transfers_are_refused_and_change_nothing(app: TestApp) {
    let _rec = owner_with_recorder(&app, "aoi", "NVR0521", 71).await;
    let aoi = token(&app, "aoi").await;
    let (other_browser, other) = account(&app, "kenji").await;
    let theirs = add_recorder(&app, &other_browser, "NVR0522", 72).await;
    let (_, third) = account(&app, "yuki").await;

    // Offering: a device of another account, its own address, no device, a wrong password.
    for (r, expected) in [
        (
            offer(&app, &aoi, "yuki@example.com", &["NVR0522"], PW).await,
            (404, "cloud-transfer-device-not-yours"),
        ),
        (
            offer(&app, &aoi, "yuki@example.com", &["NVR0599"], PW).await,
            (404, "cloud-transfer-device-not-yours"),
        ),
        (
            offer(&app, &aoi, "AOI@example.com", &["NVR0521"], PW).await,
            (400, "cloud-transfer-to-self"),
        ),
        (
            offer(&app, &aoi, "yuki@example.com", &[], PW).await,
            (400, "cloud-transfer-no-devices"),
        ),
        (
            offer(
                &app,
                &aoi,
                "yuki@example.com",
                &["NVR0521"],
                "wrong password",
            )
            .await,
            (400, "cloud-password-current-wrong"),
        ),
        (
            offer(&app, &aoi, "not an address", &["NVR0521"], PW).await,
            (400, "cloud-email-invalid"),
        ),
    ] {
        assert_eq!(api_error(&r), expected, "{}", r.1);
    }
    assert!(open_ids(&app, &aoi).await.is_empty());
    assert!(open_ids(&app, &third).await.is_empty());

    // Logged out, nothing can be offered.
    let r = app
        .api(
            "POST",
            "/transfers",
            None,
            json!({"to": "yuki@example.com", "serials": ["NVR0521"], "password": PW}),
        )
        .await;
    assert_eq!(api_error(&r), (401, "cloud-api-login-required"));

    let id = offered_id(&offer(&app, &aoi, "yuki@example.com", &["NVR0521"], PW).await);
    // The same device cannot be offered twice at once.
    let r = offer(&app, &aoi, "kenji@example.com", &["NVR0521"], PW).await;
    assert_eq!(api_error(&r), (409, "cloud-transfer-device-pending"));

    // Accepting as someone else: another account, the sender, logged out; an unknown id.
    let r = answer(&app, Some(&other), &id, "accept").await;
    assert_eq!(api_error(&r), (403, "cloud-transfer-not-for-you"));
    let r = answer(&app, Some(&aoi), &id, "accept").await;
    assert_eq!(api_error(&r), (403, "cloud-transfer-not-for-you"));
    let r = answer(&app, None, &id, "accept").await;
    assert_eq!(api_error(&r), (401, "cloud-api-login-required"));
    let r = answer(&app, Some(&third), &"0".repeat(32), "accept").await;
    assert_eq!(api_error(&r), (404, "cloud-transfer-not-found"));
    let r = app
        .api("GET", &format!("/transfers/{id}"), Some(&other), json!({}))
        .await;
    assert_eq!(api_error(&r), (403, "cloud-transfer-not-for-you"));
    let r = app
        .api(
            "POST",
            &format!("/transfers/{id}/accept"),
            Some(&third),
            json!({"serials": []}),
        )
        .await;
    assert_eq!(api_error(&r), (400, "cloud-transfer-none-selected"));

    // Nothing changed.
    assert_eq!(owner_of(&app, "NVR0521").await.as_deref(), Some("aoi"));
    assert_eq!(owner_of(&app, "NVR0522").await.as_deref(), Some("kenji"));
    assert_eq!(
        open_ids(&app, &third).await,
        [(id.clone(), "incoming".into())]
    );
    assert_eq!(
        recover(&app, &other, &theirs, 1).await,
        (200, String::new())
    );

    // A wrong password counts against the account's re-authentication tries.
    let mut locked = false;
    for _ in 0..20 {
        let r = offer(&app, &aoi, "kenji@example.com", &["NVR0521"], "wrong").await;
        if api_error(&r).1 == "cloud-password-current-locked" {
            locked = true;
            break;
        }
        assert_eq!(api_error(&r), (400, "cloud-password-current-wrong"));
    }
    assert!(locked, "the tries are limited");
    // Declining leaves the device with the sender.
    let (status, _) = answer(&app, Some(&third), &id, "decline").await;
    assert_eq!(status, 204);
    assert_eq!(owner_of(&app, "NVR0521").await.as_deref(), Some("aoi"));
    // The sender is told (sign-up code, this notice).
    let notice = app.smtp.nth_for("aoi@example.com", 2).await;
    assert_eq!(
        bare(&notice.subject),
        bare(&subject("mail-transfer-declined-subject", &[]))
    );
}

pub async fn the_portal_offers_a_hand_over_and_accepts_part_of_it(app: TestApp) {
    let _first = owner_with_recorder(&app, "nana", "NVR0531", 81).await;
    let _second = add_recorder(&app, &app, "NVR0532", 82).await;
    let (jun, _) = account(&app, "jun").await;
    let fields = |pw: &'static str| {
        [
            ("serial", "NVR0531"),
            ("serial", "NVR0532"),
            ("to", "jun@example.com"),
            ("password", pw),
        ]
    };

    // A wrong password: nothing is offered; the selection and the address are kept.
    let (_, _, page) = app
        .post("/transfers", "/transfers", &fields("wrong password"))
        .await;
    assert!(has_error(&page, "cloud-password-current-wrong"), "{page}");
    assert!(page.contains(r#"data-serial="NVR0532" checked"#), "{page}");
    assert!(!page.contains(r#"data-direction="outgoing""#), "{page}");

    let (_, _, page) = app.post("/transfers", "/transfers", &fields(PW)).await;
    assert!(has_notice(&page, "cloud-transfer-offered"), "{page}");
    assert!(page.contains(r#"data-direction="outgoing""#), "{page}");
    let id = between(&page, r#"data-transfer=""#, "\"").expect("the transfer's id");

    // The e-mail's link: a visitor logs in first; the recipient sees the offer.
    let (status, _) = app.other_browser().get(&format!("/transfers/{id}")).await;
    assert_eq!(status, 303);
    let (status, page) = jun.get(&format!("/transfers/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!(
            r#"data-transfer="{id}" data-direction="incoming""#
        )),
        "{page}"
    );
    assert!(error_keys(&page).is_empty(), "{page}");
    // Both sections render in Japanese too, every text from the catalog.
    for b in [&app, &jun] {
        let (status, _) = b.get("/lang/ja?next=/").await;
        assert_eq!(status, 303);
        let (_, page) = b.get("/transfers").await;
        let page = crate::support::page_of(&page);
        assert_eq!(page.html_lang().as_deref(), Some("ja"));
        assert_eq!(page.h1(), Some(Lang::Ja.t("cloud-transfers-title")));
        assert_eq!(
            page.leaked_keys(&rekey_web::i18n::catalog_keys(Lang::Ja)),
            Vec::<String>::new()
        );
        let (status, _) = b.get("/lang/en?next=/").await;
        assert_eq!(status, 303);
    }

    let (_, _, page) = jun
        .post(
            "/transfers",
            &format!("/transfers/{id}/accept"),
            &[("serial", "NVR0532")],
        )
        .await;
    assert!(has_notice(&page, "cloud-transfer-accepted"), "{page}");
    assert_eq!(owner_of(&app, "NVR0531").await.as_deref(), Some("nana"));
    assert_eq!(owner_of(&app, "NVR0532").await.as_deref(), Some("jun"));
    let (_, devices) = jun.get("/devices").await;
    assert!(devices.contains(r#"data-serial="NVR0532""#), "{devices}");

    // Answered: the link says so, to both.
    for b in [&app, &jun] {
        let (_, page) = b.get(&format!("/transfers/{id}")).await;
        assert!(has_error(&page, "cloud-transfer-closed"), "{page}");
    }
}
