//! Release from the recorder on the cloud's side (docs/protocol.md §9, "Release"): the test
//! recorder sends `release` on its own connection; the cloud unbinds, rotates the key, records
//! the release on the former account's activity page and e-mails it, once; a release of a
//! binding that has ended (a late or repeated frame) changes nothing.

use rekey_cloud::mail::strip_isolates;
use rekey_proto::Serial;
use rekey_proto::gateway::{Binding, CloudMessage, KeyCause, ReleaseOutcome};
use rekey_web::Lang;
use rekey_web::i18n::Arg;

use crate::recovery::owner_with_recorder;
use crate::support::{TestApp, shows};

const PW: &str = "correct horse battery staple";

async fn owner_of(app: &TestApp, serial: &str) -> Option<i64> {
    app.state
        .store
        .device_by_serial(&Serial::parse(serial).unwrap())
        .await
        .unwrap()
        .expect("the device")
        .account_id
}

async fn released_rows(app: &TestApp, account_id: i64) -> usize {
    app.state
        .store
        .device_events_of(account_id, 100)
        .await
        .unwrap()
        .len()
}

pub async fn a_release_unbinds_rotates_the_key_and_tells_the_former_owner(app: TestApp) {
    let mut rec = owner_with_recorder(&app, "hana", "NVR0201", 201).await;
    let hana = owner_of(&app, "NVR0201").await.expect("bound to hana");
    // The owner reads Japanese: the notice and the activity page are in Japanese.
    let (status, _, _) = app.post("/devices", "/lang/ja?next=/devices", &[]).await;
    assert_eq!(status, 303);
    let mails_before = app.smtp.count_for("hana@example.com");

    assert_eq!(rec.release(2).await, ReleaseOutcome::Released);
    // The current binding follows (unbound, with a new register code), then the rotated key.
    rec.process_until(|m| matches!(m, CloudMessage::Binding { .. }))
        .await;
    let code = rec.register_code();
    rec.process_until(|m| {
        matches!(
            m,
            CloudMessage::RecoveryKey {
                epoch: 3,
                cause: KeyCause::Released,
                ..
            }
        )
    })
    .await;
    rec.heartbeat(0).await; // its key_stored is processed before this answer
    assert_eq!(owner_of(&app, "NVR0201").await, None);

    // The former owner: notified once, in the activity, and the device left the list.
    let notice = app.smtp.nth_for("hana@example.com", mails_before + 1).await;
    let subject = Lang::Ja.t_args(
        "mail-released-subject",
        &[("device", Arg::Str("Shop".into()))],
    );
    // (Compared without white space: the test SMTP server's header decoder drops the spaces
    // at the edges of encoded words.)
    let bare = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(bare(&notice.subject), bare(&strip_isolates(&subject)));
    assert!(notice.body.contains("NVR0201"), "{}", notice.body);
    assert!(
        notice.body.contains("Shop"),
        "the name it had: {}",
        notice.body
    );
    let (_, activity) = app.get("/activity").await;
    assert!(
        activity.contains(r#"data-event="released" data-serial="NVR0201""#),
        "{activity}"
    );
    for key in [
        "cloud-activity-devices-title",
        "cloud-activity-event-released",
    ] {
        assert!(shows(&activity, &Lang::Ja.t(key)), "{key}: {activity}");
    }
    let (_, devices) = app.get("/devices").await;
    assert!(!devices.contains("NVR0201"), "{devices}");
    assert_eq!(released_rows(&app, hana).await, 1);

    // A repeated release (the answer was lost, say) changes nothing.
    assert_eq!(rec.release(2).await, ReleaseOutcome::NotBound);
    rec.process_until(|m| matches!(m, CloudMessage::Binding { .. }))
        .await;
    assert_eq!(rec.register_code(), code, "the same register code");
    assert_eq!(released_rows(&app, hana).await, 1);

    // The former owner cannot take it back without the new code, and the old one is dead.
    app.post(
        "/devices",
        "/devices/add",
        &[("code", "XXXX-XXXX-XXX0"), ("name", "Again")],
    )
    .await;
    assert!(app.state.store.devices_of(hana).await.unwrap().is_empty());
    // A new owner adds it with the code the recorder shows: a new binding and key.
    let other = app.other_browser();
    other.signup_pc("kaito", "kaito@example.com", PW).await;
    let (_, _, page) = other
        .post(
            "/devices",
            "/devices/add",
            &[("code", &code), ("name", "Mine")],
        )
        .await;
    assert!(shows(&page, "Mine was added."), "{page}");
    rec.process_until(|m| matches!(m, CloudMessage::RecoveryKey { epoch: 4, .. }))
        .await;
    assert!(owner_of(&app, "NVR0201").await.is_some_and(|o| o != hana));
    // Nothing more reached the former owner.
    assert_eq!(app.smtp.count_for("hana@example.com"), mails_before + 1);
}

pub async fn a_late_release_does_not_unbind_a_new_owner(app: TestApp) {
    let mut rec = owner_with_recorder(&app, "ren", "NVR0202", 202).await;
    let ren = owner_of(&app, "NVR0202").await.expect("bound to ren");
    // The former owner removes it; a new owner adds it with the code it shows next.
    app.post("/devices/NVR0202/remove", "/devices/NVR0202/remove", &[])
        .await;
    rec.process_until(|m| {
        matches!(
            m,
            CloudMessage::Binding {
                binding: Binding::Unbound { .. }
            }
        )
    })
    .await;
    let other = app.other_browser();
    other.signup_pc("sora", "sora@example.com", PW).await;
    let (_, _, page) = other
        .post(
            "/devices",
            "/devices/add",
            &[("code", &rec.register_code()), ("name", "Resold")],
        )
        .await;
    assert!(shows(&page, "Resold was added."), "{page}");
    rec.process_until(|m| matches!(m, CloudMessage::RecoveryKey { epoch: 3, .. }))
        .await;
    rec.heartbeat(0).await;
    let sora = owner_of(&app, "NVR0202").await.expect("bound to sora");
    let ren_mails = app.smtp.count_for("ren@example.com");
    let sora_mails = app.smtp.count_for("sora@example.com");

    // A release of the former binding arrives late: nothing changes.
    assert_eq!(rec.release(2).await, ReleaseOutcome::NotBound);
    let binding = rec
        .process_until(|m| matches!(m, CloudMessage::Binding { .. }))
        .await;
    assert_eq!(
        binding,
        CloudMessage::Binding {
            binding: Binding::Bound
        },
        "the recorder is told it is still bound"
    );
    // An epoch that never was, too.
    assert_eq!(rec.release(9).await, ReleaseOutcome::NotBound);
    rec.heartbeat(0).await;
    assert_eq!(owner_of(&app, "NVR0202").await, Some(sora));
    let device = app
        .state
        .store
        .device_by_serial(&Serial::parse("NVR0202").unwrap())
        .await
        .unwrap()
        .unwrap();
    let newest = app
        .state
        .store
        .newest_recovery_key(device.id)
        .await
        .unwrap();
    assert_eq!(newest.map(|k| k.epoch), Some(3), "no rotation");
    assert_eq!(released_rows(&app, ren).await, 0);
    assert_eq!(released_rows(&app, sora).await, 0);
    assert_eq!(app.smtp.count_for("ren@example.com"), ren_mails);
    assert_eq!(app.smtp.count_for("sora@example.com"), sora_mails);
    let (_, devices) = other.get("/devices").await;
    assert!(devices.contains("NVR0202"), "{devices}");
}
