//! What bounds transfers: the daily offer limit, one offer per device even under parallel
//! offers, and the sweep of answered and expired offers after their retention.

use rekey_cloud::store::throttle::{REAUTH_PER_ACCOUNT, TRANSFER_OFFERS_PER_ACCOUNT};
use serde_json::{Value, json};
use sqlx::Row;

use super::*;
use crate::hardening::{burst_of, count_errors};
use crate::recovery::owner_with_recorder;
use crate::support::{TestApp, api_error};

/// Each offer mails its recipient, so an account can send only so many a day, cancelled or not:
/// offers cannot be used to flood an address.
pub async fn offers_are_limited_per_account(app: TestApp) {
    let _rec = owner_with_recorder(&app, "kaede", "NVR0505", 55).await;
    let kaede = token(&app, "kaede").await;
    for _ in 0..20 {
        let id = offered_id(&offer(&app, &kaede, "someone@example.org", &["NVR0505"], PW).await);
        cancel(&app, &kaede, &id).await;
    }
    let r = offer(&app, &kaede, "someone@example.org", &["NVR0505"], PW).await;
    assert_eq!(api_error(&r), (429, "error-rate-limited"), "{}", r.1);
    assert!(
        open_ids(&app, &kaede).await.is_empty(),
        "nothing was offered"
    );
}

/// How many offers one account can send at once: each checks the current password, and the
/// account's re-authentication refuses more tries in flight than its limit.
fn offers_at_once() -> usize {
    usize::try_from(REAUTH_PER_ACCOUNT.max).unwrap()
}

/// Offers of one device made at the same instant, each to another address: exactly one is
/// made, and the others find the device pending (each offer's check runs under the device's
/// row lock, on PostgreSQL as on SQLite). A few rounds, since a burst does not always meet.
pub async fn parallel_offers_of_one_device_make_one(app: TestApp) {
    let _rec = owner_with_recorder(&app, "riku", "NVR0541", 91).await;
    let riku = token(&app, "riku").await;
    for round in 0..3 {
        let bodies = (0..offers_at_once())
            .map(|i| {
                let to = format!("buyer{round}-{i}@example.com");
                json!({"to": to, "serials": ["NVR0541"], "password": PW})
            })
            .collect();
        let answers = burst_of(&[&app], "/transfers", Some(&riku), bodies).await;
        let made: Vec<&Value> = (answers.iter())
            .filter(|(status, _)| *status == 201)
            .map(|(_, body)| body)
            .collect();
        assert_eq!(made.len(), 1, "{answers:?}");
        assert_eq!(
            count_errors(&answers, "cloud-transfer-device-pending"),
            offers_at_once() - 1,
            "{answers:?}"
        );
        let id = made[0]["id"].as_str().unwrap();
        assert_eq!(
            open_ids(&app, &riku).await,
            [(id.into(), "outgoing".into())]
        );
        cancel(&app, &riku, id).await;
    }
}

/// A burst of offers of distinct devices, more than the day has left: exactly as many as are
/// left are made, the others are refused by the limit and store nothing; offers refused for
/// another reason (a device already offered) did not count.
pub async fn the_offer_limit_is_exact_under_a_burst(app: TestApp) {
    let n = offers_at_once();
    let limit = usize::try_from(TRANSFER_OFFERS_PER_ACCOUNT.max).unwrap();
    let left = n - 2;
    let _first = owner_with_recorder(&app, "sora", "NVR0550", 100).await;
    let mut recorders = Vec::new();
    for i in 1..=n {
        let serial = format!("NVR055{i}");
        let seed = 100 + u8::try_from(i).unwrap();
        recorders.push(add_recorder(&app, &app, &serial, seed).await);
    }
    let sora = token(&app, "sora").await;
    // The day's offers but `left` are used (each offer is cancelled, so the device can be
    // offered again); a refused one between them costs nothing.
    for i in 0..limit - left {
        let id = offered_id(&offer(&app, &sora, "someone@example.org", &["NVR0550"], PW).await);
        if i == 0 {
            let r = offer(&app, &sora, "other@example.org", &["NVR0550"], PW).await;
            assert_eq!(
                api_error(&r),
                (409, "cloud-transfer-device-pending"),
                "{}",
                r.1
            );
        }
        cancel(&app, &sora, &id).await;
    }
    let bodies = (1..=n)
        .map(|i| json!({"to": "shop@example.org", "serials": [format!("NVR055{i}")], "password": PW}))
        .collect();
    let answers = burst_of(&[&app], "/transfers", Some(&sora), bodies).await;
    let made = answers.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(made, left, "{answers:?}");
    assert_eq!(
        count_errors(&answers, "error-rate-limited"),
        n - left,
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == 201 || *status == 429),
        "{answers:?}"
    );
    assert_eq!(open_ids(&app, &sora).await.len(), left);
}

/// The number `sql` counts (one `COUNT(*) AS n`, binding `id` to `$1` if it has one).
async fn count(app: &TestApp, sql: &'static str, id: &str) -> i64 {
    let mut q = sqlx::query(sql);
    if sql.contains("$1") {
        q = q.bind(id);
    }
    q.fetch_one(&app.state.store.db.pool)
        .await
        .expect(sql)
        .try_get("n")
        .expect("n")
}

/// What the sweep must leave as it is: each device's owner, and the device events.
async fn devices_and_events(app: &TestApp) -> (Vec<(String, Option<i64>)>, i64) {
    let pool = &app.state.store.db.pool;
    let devices = sqlx::query("SELECT serial, account_id FROM devices ORDER BY serial")
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("serial"), r.get("account_id")))
        .collect();
    let events = count(app, "SELECT COUNT(*) AS n FROM device_events", "").await;
    (devices, events)
}

/// Answered and expired offers are swept with the devices they listed once their retention
/// ran out; an open one stays, and so does what an accepted one did (bindings, device events).
pub async fn closed_and_expired_transfers_are_swept_after_the_retention(app: TestApp) {
    let _first = owner_with_recorder(&app, "taro", "NVR0561", 111).await;
    let _second = add_recorder(&app, &app, "NVR0562", 112).await;
    let _third = add_recorder(&app, &app, "NVR0563", 113).await;
    let taro = token(&app, "taro").await;
    let (_, jiro) = account(&app, "jiro").await;
    let retention = app.config.retention();
    assert_eq!(retention.transfers, 30 * 24 * 3600);

    let accepted = offered_id(&offer(&app, &taro, "jiro@example.com", &["NVR0561"], PW).await);
    let (status, body) = answer(&app, Some(&jiro), &accepted, "accept").await;
    assert_eq!(status, 200, "{body}");
    let expired = offered_id(&offer(&app, &taro, "jiro@example.com", &["NVR0562"], PW).await);
    let listed = "SELECT COUNT(*) AS n FROM transfer_devices WHERE transfer_id = $1";
    assert_eq!(count(&app, listed, &accepted).await, 1);
    assert_eq!(count(&app, listed, &expired).await, 1);

    // Not before the retention ends.
    app.clock.advance(retention.transfers - 60);
    assert_eq!(app.sweep(&retention).await.transfers, 0);
    let ttl = i64::try_from(app.config.transfer_ttl.as_secs()).unwrap();
    app.clock.advance(60 + ttl + 1);
    // An offer made now is open (sessions ran out meanwhile: log in again).
    let taro = token(&app, "taro").await;
    let jiro = token(&app, "jiro").await;
    let open = offered_id(&offer(&app, &taro, "jiro@example.com", &["NVR0563"], PW).await);
    let before = devices_and_events(&app).await;
    assert_eq!(before.1, 2, "the accepted offer's two device events");

    assert_eq!(app.sweep(&retention).await.transfers, 2);
    assert_eq!(
        app.sweep(&retention).await.transfers,
        0,
        "deleting twice deletes nothing"
    );
    for id in [&accepted, &expired] {
        assert_eq!(count(&app, listed, id).await, 0);
        let r = app
            .api("GET", &format!("/transfers/{id}"), Some(&taro), json!({}))
            .await;
        assert_eq!(api_error(&r), (404, "cloud-transfer-not-found"));
    }
    assert_eq!(count(&app, listed, &open).await, 1);
    assert_eq!(
        open_ids(&app, &jiro).await,
        [(open.clone(), "incoming".into())]
    );
    assert_eq!(devices_and_events(&app).await, before);
    assert_eq!(owner_of(&app, "NVR0561").await.as_deref(), Some("jiro"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM transfers", "").await,
        1
    );
}
