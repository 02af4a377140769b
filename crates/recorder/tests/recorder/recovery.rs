//! "Forgot password?" and the "Password recovery" screen: codes checked offline with the
//! recovery key the test cloud delivered.

use rekey_proto::gateway::Binding;
use rekey_proto::{RecoveryKey, RecoveryQr, Serial, TemporaryPassword};
use rekey_recorder::Config;
use rekey_web::random_array;
use time::{Date, Duration as Days};

use crate::support::{
    Browser, PASSWORD, RecorderForms, Seen, TestCloud, TestRecorder, decode_qr,
    online_recorder_with, spawn_recorder, spawn_recorder_in,
};

pub(crate) const NEW_PASSWORD: &str = "shiro-kuma-no-uta-9";

/// An online recorder holding recovery key epoch 1; the admin's browser is logged in.
pub(crate) async fn prepared(
    cloud: &mut TestCloud,
    email: &str,
) -> (TestRecorder, Browser, RecoveryKey) {
    prepared_with(cloud, email, |_| {}).await
}

/// [`prepared`] with a test configuration that `tweak` changed.
pub(crate) async fn prepared_with(
    cloud: &mut TestCloud,
    email: &str,
    tweak: impl FnOnce(&mut Config),
) -> (TestRecorder, Browser, RecoveryKey) {
    // Registered to an account, holding the key the binding rotated (epoch 2).
    let key = RecoveryKey::from_bytes(random_array());
    cloud.set(|b| {
        b.binding = Binding::Bound;
        b.recovery_key = Some((2, key.clone()));
    });
    let (rec, b) = online_recorder_with(cloud, email, tweak).await;
    cloud
        .expect("key_stored", |s| *s == Seen::KeyStored(2))
        .await;
    (rec, b, key)
}

fn today(rec: &TestRecorder) -> Date {
    use rekey_web::Clock;
    rec.app.config.time_zone.date(rec.clock.now())
}

pub(crate) fn window(
    rec: &TestRecorder,
    key: &RecoveryKey,
    seq: u32,
    from: i64,
    to: i64,
) -> String {
    let t = today(rec);
    TemporaryPassword::issue_date_window(
        key,
        &rec.app.identity.serial,
        seq,
        t + Days::days(from),
        t + Days::days(to),
    )
    .expect("issue")
    .to_string()
}

pub(crate) async fn enter(b: &Browser, code: &str) -> crate::support::Page {
    b.submit(
        "/recovery",
        "/recovery",
        &[
            ("code", code),
            ("password", NEW_PASSWORD),
            ("confirm", NEW_PASSWORD),
        ],
    )
    .await
}

/// The old password still works and the new one does not: nothing changed.
pub(crate) async fn nothing_changed(rec: &TestRecorder) {
    let b = rec.browser();
    assert_eq!(b.login("admin", NEW_PASSWORD).await.path(), "/login");
    assert_eq!(b.login("admin", PASSWORD).await.path(), "/network/cloud");
}

/// Asks for a recovery QR on the pre-login screens and reads it back.
pub(crate) async fn request_challenge(b: &Browser) -> RecoveryQr {
    let p = b.submit("/forgot", "/forgot", &[]).await;
    assert_eq!(p.path(), "/recovery", "{}", p.body);
    let (status, ct, png) = b.get_bytes("/recovery/qr.png").await;
    assert_eq!((status, ct.as_deref()), (200, Some("image/png")));
    RecoveryQr::parse(&decode_qr(&png)).expect("a recovery QR")
}

#[tokio::test]
async fn without_a_recovery_key_the_screens_say_recovery_is_not_prepared() {
    let cloud = TestCloud::start().await;
    let rec = spawn_recorder(&cloud).await;
    let b = rec.browser();
    b.activate(PASSWORD, "owner@example.com").await;
    let anon = rec.browser();
    assert!(anon.get("/login").await.has("forgot-password"));
    let forgot = anon.get("/forgot").await;
    assert!(forgot.has("no-recovery-key"), "{}", forgot.body);
    // The screen has no form then; a code posted anyway is not checked.
    let p = anon
        .submit(
            "/login",
            "/recovery",
            &[
                ("code", "0000-0000-0000-0000"),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert!(p.text_of("no-recovery-key").is_some(), "{}", p.body);
    nothing_changed(&rec).await;
}

#[tokio::test]
async fn a_registered_address_is_used_masked_and_the_qr_carries_a_verifiable_challenge() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, key) = prepared(&mut cloud, "owner@example.com").await;
    let anon = rec.browser();
    let forgot = anon.get("/forgot").await;
    assert_eq!(
        forgot.text_of("masked-email").as_deref(),
        Some("o\u{2022}\u{2022}\u{2022}@example.com")
    );
    assert!(
        !forgot.body.contains("name=\"email\""),
        "no way to type another address"
    );
    // An address slipped into the form is ignored.
    let p = anon
        .submit("/forgot", "/forgot", &[("email", "thief@evil.example")])
        .await;
    assert_eq!(p.path(), "/recovery");
    assert!(
        p.text_of("recovery-email")
            .is_some_and(|e| e.starts_with('o'))
    );
    let (_, _, png) = anon.get_bytes("/recovery/qr.png").await;
    assert_eq!(
        p.attr_of("recovery-link", "href"),
        Some(decode_qr(&png)),
        "the QR's address as a link"
    );
    let qr = RecoveryQr::parse(&decode_qr(&png)).expect("recovery QR");
    use rekey_web::Clock;
    qr.verify(&key, rec.clock.now())
        .expect("MAC under the recovery key");
    assert_eq!(qr.serial, rec.app.identity.serial);
    assert_eq!(qr.challenge.email.as_str(), "owner@example.com");
    assert_eq!(qr.challenge.expires_at, rec.clock.now() + 30 * 60);
}

#[tokio::test]
async fn a_challenge_code_resets_the_password_ends_sessions_and_is_audited() {
    let mut cloud = TestCloud::start().await;
    let (rec, admin, key) = prepared(&mut cloud, "").await;
    let anon = rec.browser();
    let forgot = anon.get("/forgot").await;
    assert!(
        forgot.body.contains("name=\"email\""),
        "asks for an address"
    );
    let p = anon
        .submit("/forgot", "/forgot", &[("email", "helper@example.org")])
        .await;
    assert_eq!(p.path(), "/recovery");
    let (_, _, png) = anon.get_bytes("/recovery/qr.png").await;
    let qr = RecoveryQr::parse(&decode_qr(&png)).expect("recovery QR");
    assert_eq!(qr.challenge.email.as_str(), "helper@example.org");
    let code = TemporaryPassword::issue_challenge(&key, &rec.app.identity.serial, 1, &qr.challenge)
        .expect("issue");

    // A password that breaks the policy is refused before the code is even checked.
    let weak = anon
        .submit(
            "/recovery",
            "/recovery",
            &[
                ("code", &code.to_string()),
                ("password", "password"),
                ("confirm", "password"),
            ],
        )
        .await;
    assert_eq!(weak.error_keys(), ["password-common"], "{}", weak.body);

    // Typed in lower case without hyphens, as people do.
    let typed = code.compact().to_lowercase();
    let done = enter(&anon, &typed).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert_eq!(
        done.notice_keys(),
        ["rec-notice-password-reset"],
        "{}",
        done.body
    );

    // Every session ended: the admin's old cookie no longer works.
    assert_eq!(admin.get("/network/cloud").await.path(), "/login");
    let fresh = rec.browser();
    assert_eq!(fresh.login("admin", PASSWORD).await.path(), "/login");
    assert_eq!(
        fresh.login("admin", NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
    let events = crate::support::audit_events(&fresh.get("/audit").await);
    assert!(
        events.iter().any(|e| e == "recovery-succeeded")
            && events.iter().any(|e| e == "recovery-requested"),
        "{events:?}"
    );

    // The code is single use, and the cloud hears the new last_used_seq.
    let again = enter(&anon, &typed).await;
    assert_eq!(
        again.error_keys(),
        ["rec-code-already-used"],
        "{}",
        again.body
    );
    cloud
        .expect("heartbeat with seq 1", |s| {
            *s == Seen::Heartbeat { last_used_seq: 1 }
        })
        .await;
}

#[tokio::test]
async fn wrong_foreign_malformed_and_replayed_codes_each_say_why_and_change_nothing() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, key) = prepared(&mut cloud, "owner@example.com").await;
    let anon = rec.browser();

    // Malformed: not counted, says what is wrong.
    let p = enter(&anon, "ABCD-EFGH").await;
    assert_eq!(p.error_keys(), ["rec-code-malformed-length"], "{}", p.body);
    let p = enter(&anon, "ABCD-EFGH-JKMN-PQRU").await;
    assert_eq!(
        p.error_keys(),
        ["rec-code-malformed-character"],
        "{}",
        p.body
    );

    // Wrong: one symbol changed.
    let good = window(&rec, &key, 1, 0, 0);
    let mut wrong: Vec<char> = good.chars().collect();
    let last = wrong.len() - 1;
    wrong[last] = if wrong[last] == '0' { '1' } else { '0' };
    let wrong: String = wrong.into_iter().collect();
    let p = enter(&anon, &wrong).await;
    assert_eq!(p.error_keys(), ["rec-code-wrong"], "{}", p.body);
    nothing_changed(&rec).await;

    // For another recorder: a serial whose device tag differs. The recorder cannot tell it from
    // a mistyped code, and says both, with its own serial number.
    let other = (0..)
        .map(|i| Serial::parse(&format!("OTHER{i:04}")).expect("serial"))
        .find(|s| s.device_tag() != rec.app.identity.serial.device_tag())
        .expect("a serial with another tag");
    let t = today(&rec);
    let foreign = TemporaryPassword::issue_date_window(&key, &other, 1, t, t).expect("issue");
    let p = enter(&anon, &foreign.to_string()).await;
    assert_eq!(
        p.error_keys(),
        ["rec-code-not-for-this-device"],
        "{}",
        p.body
    );
    assert!(p.body.contains(rec.app.identity.serial.as_str()));
    nothing_changed(&rec).await;

    // Newer then older: the older one is dead.
    let older = window(&rec, &key, 2, 0, 1);
    let newer = window(&rec, &key, 3, 0, 1);
    assert_eq!(enter(&anon, &newer).await.path(), "/login");
    let p = enter(&anon, &older).await;
    assert_eq!(p.error_keys(), ["rec-code-already-used"], "{}", p.body);
    // Nothing changed by the refusal: the password set by the newer code still works.
    let b = rec.browser();
    assert_eq!(
        b.login("admin", NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
}

/// A code typed at random is not blamed on another recorder (15 in 16 such codes carry another
/// recorder's tag): the recorder says it does not match this one, or that it is wrong.
#[tokio::test]
async fn a_code_typed_at_random_is_not_blamed_on_another_recorder() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, _key) = prepared(&mut cloud, "owner@example.com").await;
    let anon = rec.browser();
    for typed in [
        "ABCD-EFGH-JKLM-NPQR",
        "ZZZZ-ZZZZ-ZZZZ-ZZZZ",
        "2345-6789-ABCD-EFGH",
    ] {
        let p = enter(&anon, typed).await;
        let keys = p.error_keys();
        assert!(
            keys == ["rec-code-not-for-this-device"] || keys == ["rec-code-wrong"],
            "{typed}: {keys:?}"
        );
    }
    nothing_changed(&rec).await;
}

#[tokio::test]
async fn date_window_codes_show_their_dates_and_the_recorders_date() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, key) = prepared(&mut cloud, "owner@example.com").await;
    let anon = rec.browser();
    let t = today(&rec);

    let later = window(&rec, &key, 1, 2, 3);
    let p = enter(&anon, &later).await;
    let (from, to) = (t + Days::days(2), t + Days::days(3));
    assert_eq!(
        p.error_keys(),
        ["rec-code-not-yet-valid", "rec-code-check-clock"],
        "{}",
        p.body
    );
    assert!(
        p.shows(&from.to_string()) && p.shows(&to.to_string()) && p.shows(&t.to_string()),
        "the code's dates and the recorder's date: {}",
        p.body
    );
    nothing_changed(&rec).await;

    let earlier = window(&rec, &key, 2, -5, -3);
    let p = enter(&anon, &earlier).await;
    let (from, to) = (t - Days::days(5), t - Days::days(3));
    assert_eq!(
        p.error_keys(),
        ["rec-code-expired", "rec-code-check-clock"],
        "{}",
        p.body
    );
    assert!(
        p.shows(&from.to_string()) && p.shows(&to.to_string()),
        "the code's dates: {}",
        p.body
    );
    nothing_changed(&rec).await;

    // Move the recorder's clock into the first window: the code now works.
    rec.clock.advance(2 * 86_400);
    assert_eq!(enter(&anon, &later).await.path(), "/login");
    let b = rec.browser();
    assert_eq!(
        b.login("admin", NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
}

#[tokio::test]
async fn a_code_for_an_expired_or_used_challenge_says_so() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, key) = prepared(&mut cloud, "owner@example.com").await;
    let anon = rec.browser();
    let serial = rec.app.identity.serial.clone();

    // A replaced challenge lives until its own expiry, then its code says so.
    let first = request_challenge(&anon).await;
    let old =
        TemporaryPassword::issue_challenge(&key, &serial, 1, &first.challenge).expect("issue");
    rec.clock.advance(20 * 60);
    let second = request_challenge(&anon).await;
    assert_ne!(first.challenge.nonce, second.challenge.nonce);
    rec.clock.advance(11 * 60);
    let p = enter(&anon, &old.to_string()).await;
    assert_eq!(p.error_keys(), ["rec-code-challenge-expired"], "{}", p.body);
    nothing_changed(&rec).await;

    // So does the pending one's.
    let current =
        TemporaryPassword::issue_challenge(&key, &serial, 2, &second.challenge).expect("issue");
    rec.clock.advance(20 * 60);
    let p = enter(&anon, &current.to_string()).await;
    assert_eq!(p.error_keys(), ["rec-code-challenge-expired"], "{}", p.body);
    assert!(
        p.text_of("no-challenge").is_some(),
        "the expired QR is no longer shown"
    );
    nothing_changed(&rec).await;

    // An accepted code retires every challenge: a code for another one belongs to an
    // earlier request.
    let third = request_challenge(&anon).await;
    let fourth = request_challenge(&anon).await;
    let for_fourth =
        TemporaryPassword::issue_challenge(&key, &serial, 3, &fourth.challenge).expect("issue");
    let for_third =
        TemporaryPassword::issue_challenge(&key, &serial, 4, &third.challenge).expect("issue");
    assert_eq!(enter(&anon, &for_fourth.to_string()).await.path(), "/login");
    let p = enter(&anon, &for_third.to_string()).await;
    assert_eq!(
        p.error_keys(),
        ["rec-code-challenge-replaced"],
        "{}",
        p.body
    );
    let b = rec.browser();
    assert_eq!(
        b.login("admin", NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
}

#[tokio::test]
async fn five_failed_codes_lock_the_screen_even_across_a_restart() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, key) = prepared(&mut cloud, "owner@example.com").await;
    let anon = rec.browser();
    for seq in 1..=4 {
        // Well-formed codes under another key: Wrong, counted.
        let other = RecoveryKey::from_bytes(random_array());
        let p = enter(&anon, &window(&rec, &other, seq, 0, 0)).await;
        assert_eq!(p.error_keys(), ["rec-code-wrong"], "{}", p.body);
        assert!(p.text_of("recovery-lock").is_none());
    }
    // Malformed codes do not count.
    enter(&anon, "1234").await;
    let other = RecoveryKey::from_bytes(random_array());
    let p = enter(&anon, &window(&rec, &other, 5, 0, 0)).await;
    assert!(
        p.has("recovery-lock"),
        "locked after 5 failures: {}",
        p.body
    );
    assert!(p.has_error("rec-recovery-locked"), "{}", p.body);

    // Even a good code is not checked while locked.
    // Valid today and tomorrow: the test moves the clock 46 minutes on, which may cross the
    // recorder's midnight.
    let good = window(&rec, &key, 9, 0, 1);
    let p = enter(&anon, &good).await;
    assert_eq!(p.path(), "/recovery");
    assert!(p.text_of("recovery-lock").is_some());
    nothing_changed(&rec).await;

    // A restart does not reset the lock.
    let (dir, clock) = rec.stop().await;
    let rec = spawn_recorder_in(dir, &cloud.base, cloud.key.public(), clock).await;
    let anon = rec.browser();
    let p = enter(&anon, &good).await;
    assert!(p.text_of("recovery-lock").is_some(), "{}", p.body);
    nothing_changed(&rec).await;

    // After 15 minutes the screen opens again; the next lock lasts twice as long.
    rec.clock.advance(15 * 60 + 1);
    for seq in 10..=14 {
        let other = RecoveryKey::from_bytes(random_array());
        enter(&anon, &window(&rec, &other, seq, 0, 1)).await;
    }
    let lock = rec.app.store.recovery_lock().await.expect("lock");
    use rekey_web::Clock;
    assert_eq!(lock.locked_until, rec.clock.now() + 30 * 60);
    rec.clock.advance(30 * 60 + 1);
    assert_eq!(enter(&anon, &good).await.path(), "/login");
    let b = rec.browser();
    assert_eq!(
        b.login("admin", NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
    let events = crate::support::audit_events(&b.get("/audit").await);
    assert!(
        events.iter().any(|e| e == "recovery-locked")
            && events.iter().any(|e| e == "recovery-failed"),
        "{events:?}"
    );
}
