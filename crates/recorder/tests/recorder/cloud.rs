//! The Network → Cloud page and the agent against the test cloud.

use rekey_proto::gateway::{Binding, CloudMessage, KeyCause};
use rekey_proto::{CloudSigningKey, RecoveryKey, RegistrationQr};
use rekey_recorder::agent::{AgentError, Connection};
use rekey_web::i18n::Arg;
use rekey_web::{Lang, random_array};

use crate::support::{
    Browser, DEADLINE, PASSWORD, RecorderForms, Seen, TestCloud, decode_qr, enable_cloud,
    online_recorder, register_code, spawn_recorder, spawn_recorder_in,
};

#[tokio::test]
async fn enabling_the_cloud_brings_it_online_with_the_register_code_and_its_qr() {
    let mut cloud = TestCloud::start().await;
    cloud.set(|b| b.clock_offset = -7);
    let rec = spawn_recorder(&cloud).await;
    let b = rec.browser();
    b.activate(PASSWORD, "").await;
    b.login("admin", PASSWORD).await;
    let before = b.get("/network/cloud").await;
    assert_eq!(
        before.attr_of("cloud-status", "data-status").as_deref(),
        Some("disabled")
    );
    assert!(before.text_of("register-code").is_none());

    let applied = enable_cloud(&b).await;
    assert_eq!(
        applied.notice_keys(),
        ["rec-notice-cloud-enabled"],
        "{}",
        applied.body
    );
    let hello = cloud
        .expect("hello", |s| matches!(s, Seen::Hello { .. }))
        .await;
    assert_eq!(
        hello,
        Seen::Hello {
            serial: rec.app.identity.serial.clone(),
            key_epoch: 0
        }
    );
    cloud.expect("proof", |s| *s == Seen::Proof).await;
    assert_eq!(cloud.device_key(), Some(rec.app.identity.key.public()));
    rec.wait_status("online", |s| s.connection == Connection::Online)
        .await;

    let page = b.get("/network/cloud").await;
    assert_eq!(
        page.attr_of("cloud-status", "data-status").as_deref(),
        Some("online")
    );
    assert_eq!(page.text_of("cloud-server"), Some(cloud.base.to_string()));
    let shown = page.text_of("register-code").expect("register code shown");
    let code = rekey_proto::RegisterCode::parse(&register_code()).expect("code");
    assert_eq!(shown, code.to_string(), "display form XXXX-XXXX-XXXX");
    // recorder_time − cloud_time: the cloud's clock is 7 s behind. The two times are whole
    // seconds read at different moments, so a busy machine may show a second more or less.
    let drift = page.text_of("drift").expect("drift shown");
    assert!(
        (6..=8).any(|secs| {
            drift == Lang::En.t_args("rec-cloud-drift-ahead", &[("seconds", Arg::Num(secs))])
        }),
        "the drift is shown as about 7 s ahead: {drift}"
    );

    let (status, ct, png) = b.get_bytes("/network/cloud/qr.png").await;
    assert_eq!((status, ct.as_deref()), (200, Some("image/png")));
    let url = decode_qr(&png);
    assert_eq!(
        url,
        RegistrationQr { code: code.clone() }.to_url(&cloud.base)
    );
    assert!(url.contains(&code.compact()));
    // The same address as a link, for a browser on the phone or this PC.
    assert_eq!(page.attr_of("register-link", "href"), Some(url.clone()));
    // The QR needs a login.
    let stranger = rec.browser();
    let (_, ct, _) = stranger.get_bytes("/network/cloud/qr.png").await;
    assert_ne!(ct.as_deref(), Some("image/png"));

    // Heartbeats flow with last_used_seq.
    cloud
        .expect("heartbeat", |s| {
            matches!(s, Seen::Heartbeat { last_used_seq: 0 })
        })
        .await;
}

#[tokio::test]
async fn a_server_without_the_pinned_key_is_not_trusted_and_gets_no_proof() {
    let mut impostor = TestCloud::start().await;
    let pinned = CloudSigningKey::from_seed(random_array()).public();
    let dir = tempfile::tempdir().expect("dir");
    let clock = rekey_web::ManualClock::new(time::OffsetDateTime::now_utc().unix_timestamp());
    let rec = spawn_recorder_in(dir, &impostor.base, pinned, clock).await;
    let b = rec.browser();
    b.activate(PASSWORD, "").await;
    b.login("admin", PASSWORD).await;
    enable_cloud(&b).await;
    impostor
        .expect("the recorder hanging up", |s| {
            *s == Seen::ClosedWithoutProof
        })
        .await;
    rec.wait_status("not the configured cloud", |s| {
        s.last_error == Some(AgentError::NotConfiguredCloud)
    })
    .await;
    let page = b.get("/network/cloud").await;
    assert_eq!(
        page.error_keys(),
        ["rec-cloud-error-not-configured-cloud"],
        "{}",
        page.body
    );
    assert!(page.text_of("register-code").is_none());
    // It keeps retrying, never sending a proof.
    impostor
        .expect("a retry", |s| matches!(s, Seen::Hello { .. }))
        .await;
    assert!(!impostor.drain().contains(&Seen::Proof));
}

#[tokio::test]
async fn the_agent_reconnects_when_the_cloud_drops_it() {
    let mut cloud = TestCloud::start().await;
    let (rec, b) = online_recorder(&mut cloud, "").await;
    cloud.kick();
    cloud.expect("closed", |s| *s == Seen::Closed).await;
    cloud.expect("a new proof", |s| *s == Seen::Proof).await;
    let s = rec
        .wait_status("welcomed again", |s| {
            s.welcomes >= 2 && s.connection == Connection::Online
        })
        .await;
    assert_eq!(s.last_error, None);
    let page = b.get("/network/cloud").await;
    assert_eq!(
        page.attr_of("cloud-status", "data-status").as_deref(),
        Some("online")
    );
}

#[tokio::test]
async fn a_refusal_is_shown_in_words() {
    let mut cloud = TestCloud::start().await;
    let (rec, b) = online_recorder(&mut cloud, "").await;
    cloud.send(CloudMessage::Refused {
        reason: rekey_proto::gateway::RefusalReason::KeyMismatch,
    });
    rec.wait_status("refused", |s| s.last_error.is_some()).await;
    let page = b.get("/network/cloud").await;
    let refused = page.error_keys() == ["rec-cloud-error-refused-key-mismatch"];
    let reconnected = page.attr_of("cloud-status", "data-status").as_deref() == Some("online");
    assert!(refused || reconnected, "{}", page.body);
}

/// Whether the cloud page says the recorder is prepared for password recovery.
async fn prepared_shown(b: &Browser) -> bool {
    let page = b.get("/network/cloud").await;
    match page.attr_of("recovery-key", "data-prepared").as_deref() {
        Some("true") => true,
        Some("false") => false,
        other => panic!("no recovery-key status ({other:?}): {}", page.body),
    }
}

/// The recovery key is stored before it is confirmed; but the recorder says it is prepared for
/// password recovery (and "Forgot password?" offers a recovery QR) only once an account has
/// registered it and it holds that registration's key — not with the key it got at enrolment,
/// and not in the moment between the binding and the rotated key.
#[tokio::test]
async fn prepared_only_with_the_key_of_its_registration_and_binding_hides_the_code() {
    let mut cloud = TestCloud::start().await;
    let key = RecoveryKey::from_bytes(random_array());
    cloud.set(|b| b.recovery_key = Some((1, key.clone())));
    let (rec, b) = online_recorder(&mut cloud, "owner@example.com").await;
    cloud
        .expect("key_stored", |s| *s == Seen::KeyStored(1))
        .await;
    let state = rec.app.store.cloud_state().await.expect("state");
    assert_eq!(state.recovery_key, Some((1, key.clone())));
    // Not registered to any account: not prepared, and no recovery QR.
    assert!(!prepared_shown(&b).await);
    let anon = rec.browser();
    assert!(anon.get("/forgot").await.has("no-recovery-key"));
    // The screen has no form then; a request posted anyway makes no challenge.
    let p = anon.submit("/login", "/forgot", &[]).await;
    assert_ne!(p.path(), "/recovery", "{}", p.body);
    assert!(
        rec.app
            .store
            .challenges()
            .await
            .expect("challenges")
            .pending
            .is_none()
    );

    // An account binds the recorder: the code and QR disappear at once; the recorder still holds
    // the enrolment key, so it is not prepared yet.
    let rotated = RecoveryKey::from_bytes(random_array());
    cloud.set(|b| {
        b.binding = Binding::Bound;
        b.recovery_key = Some((2, rotated.clone()));
    });
    cloud.send(CloudMessage::Binding {
        binding: Binding::Bound,
    });
    let page = b
        .wait_for("/network/cloud", "registered", DEADLINE, |p| {
            p.has("registered")
        })
        .await;
    assert!(page.text_of("register-code").is_none());
    let (status, _, _) = b.get_bytes("/network/cloud/qr.png").await;
    assert_eq!(status, 404);
    assert!(
        !prepared_shown(&b).await,
        "the enrolment key is no binding's"
    );

    // The rotated key comes with the next connection: now it is prepared.
    cloud.kick();
    cloud
        .expect("key_stored 2", |s| *s == Seen::KeyStored(2))
        .await;
    let state = rec.app.store.cloud_state().await.expect("state");
    assert_eq!(state.recovery_key, Some((2, rotated)));
    assert!(prepared_shown(&b).await);
    assert!(!anon.get("/forgot").await.has("no-recovery-key"));
}

#[tokio::test]
async fn disabling_tells_the_cloud_and_stops_the_agent() {
    let mut cloud = TestCloud::start().await;
    let (rec, b) = online_recorder(&mut cloud, "").await;
    let page = b.submit("/network/cloud", "/network/cloud", &[]).await;
    cloud.expect("disabled", |s| *s == Seen::Disabled).await;
    assert_eq!(
        page.attr_of("cloud-status", "data-status").as_deref(),
        Some("disabled")
    );
    assert_eq!(
        page.notice_keys(),
        ["rec-notice-cloud-disabled"],
        "{}",
        page.body
    );
    assert_eq!(rec.app.cloud.current().connection, Connection::Disabled);
    let audit = b.get("/audit").await;
    let events = crate::support::audit_events(&audit);
    assert!(
        events.iter().any(|e| e == "cloud-disabled") && events.iter().any(|e| e == "cloud-enabled"),
        "{events:?}"
    );
}

#[tokio::test]
async fn state_survives_a_restart() {
    let mut cloud = TestCloud::start().await;
    let key = RecoveryKey::from_bytes(random_array());
    cloud.set(|b| b.recovery_key = Some((1, key.clone())));
    let (rec, _) = online_recorder(&mut cloud, "owner@example.com").await;
    cloud
        .expect("key_stored", |s| *s == Seen::KeyStored(1))
        .await;
    let serial = rec.app.identity.serial.clone();
    let device_key = rec.app.identity.key.public();
    let (dir, clock) = rec.stop().await;
    cloud.drain();

    let again = spawn_recorder_in(dir, &cloud.base, cloud.key.public(), clock).await;
    assert_eq!(again.app.identity.serial, serial);
    assert_eq!(again.app.identity.key.public(), device_key);
    // The cloud is still enabled: the agent reconnects by itself, holding epoch 1.
    let hello = cloud
        .expect("hello", |s| matches!(s, Seen::Hello { .. }))
        .await;
    assert_eq!(
        hello,
        Seen::Hello {
            serial,
            key_epoch: 1
        }
    );
    again
        .wait_status("online", |s| s.connection == Connection::Online)
        .await;
    let b = again.browser();
    assert_eq!(b.login("admin", PASSWORD).await.path(), "/network/cloud");
    let users = b.get("/users").await;
    assert!(users.body.contains("owner@example.com"));
}

#[tokio::test]
async fn a_wss_cloud_that_does_not_answer_is_reported_unreachable() {
    // A TCP port that accepts nothing TLS: the TLS client must be built (a crypto provider is
    // installed) and fail cleanly instead of panicking the agent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let base = rekey_proto::CloudBase::parse(&format!("https://127.0.0.1:{port}")).expect("base");
    let dir = tempfile::tempdir().expect("dir");
    let clock = rekey_web::ManualClock::new(0);
    let pinned = CloudSigningKey::from_seed(random_array()).public();
    let rec = spawn_recorder_in(dir, &base, pinned, clock).await;
    let b = rec.browser();
    b.activate(PASSWORD, "").await;
    b.login("admin", PASSWORD).await;
    enable_cloud(&b).await;
    rec.wait_status("unreachable", |s| {
        s.last_error == Some(AgentError::Unreachable)
    })
    .await;
    let page = b.get("/network/cloud").await;
    assert_eq!(
        page.attr_of("cloud-status", "data-status").as_deref(),
        Some("offline")
    );
}

/// Every change of the recorder's account rotates its key, and the cloud says why with the
/// key: the audit log records each (registration, hand-over, the account's deletion, and a
/// cause an older cloud does not give), once per key, even when the recorder was offline at the
/// time and gets the key at its next connection. A release's key adds nothing: the release and
/// its answer are logged already.
#[tokio::test]
async fn each_change_of_account_is_in_the_audit_log_once() {
    let mut cloud = TestCloud::start().await;
    cloud.set(|b| {
        b.recovery_key = Some((1, RecoveryKey::from_bytes(random_array())));
        b.key_cause = KeyCause::Enrolled;
    });
    let (rec, b) = online_recorder(&mut cloud, "").await;
    cloud.expect("key 1", |s| *s == Seen::KeyStored(1)).await;
    let mut expected = vec![("cloud-enrolled", "1")];
    for (epoch, cause, event) in [
        (2, KeyCause::Bound, Some("cloud-registered")),
        (3, KeyCause::Transferred, Some("cloud-transferred")),
        (4, KeyCause::Released, None),
        (5, KeyCause::AccountDeleted, Some("cloud-account-deleted")),
        (6, KeyCause::Unknown, Some("cloud-key-changed")),
    ] {
        cloud.set(|b| {
            b.recovery_key = Some((epoch, RecoveryKey::from_bytes(random_array())));
            b.key_cause = cause;
        });
        cloud.kick();
        cloud
            .expect("the new key", |s| *s == Seen::KeyStored(epoch))
            .await;
        if let Some(event) = event {
            expected.push((event, ["2", "3", "4", "5", "6"][epoch as usize - 2]));
        }
    }
    let page = b.get("/audit").await;
    let logged: Vec<(String, String)> = crate::support::audit_events(&page)
        .into_iter()
        .zip(page.data_values("data-detail"))
        .filter(|(e, _)| e.starts_with("cloud-") && !e.starts_with("cloud-enabled"))
        .collect();
    let mut want: Vec<(String, String)> = (expected.iter())
        .map(|(e, d)| (e.to_string(), d.to_string()))
        .collect();
    want.reverse();
    assert_eq!(logged, want, "{}", page.body);

    // The same key stored again (the cloud sends it again when a `key_stored` was lost) adds
    // nothing.
    let (epoch, key) = rec
        .app
        .store
        .cloud_state()
        .await
        .expect("state")
        .recovery_key
        .expect("a key");
    let entry = rekey_recorder::audit::Event::CloudTransferred.entry(0);
    (rec.app.store)
        .store_recovery_key(epoch, &key, Some(&entry))
        .await
        .expect("stored");
    let records = rec.app.store.audit_log(500).await.expect("audit");
    let transferred: Vec<i64> = (records.iter())
        .filter(|r| r.entry.event == "cloud-transferred")
        .map(|r| r.times)
        .collect();
    assert_eq!(transferred, [1], "one entry, one event");
}
