//! Release from the cloud account on the recorder's side (docs/protocol.md §9, "Release"),
//! against the test cloud: recorded at once (not prepared any more, no code accepted), sent
//! after every welcome until the cloud answers `released`, and a `not_bound` answer leaves the
//! binding the cloud then tells.

use rekey_proto::RecoveryKey;
use rekey_proto::gateway::{Binding, CloudMessage, ReleaseOutcome};
use rekey_web::{Lang, random_array};

use crate::support::{Browser, DEADLINE, PASSWORD, Page, Seen, TestCloud, online_recorder};

fn release_state(p: &Page) -> Option<String> {
    p.attr_of("release", "data-release")
}

fn prepared(p: &Page) -> Option<String> {
    p.attr_of("recovery-key", "data-prepared")
}

async fn release(b: &Browser, password: &str) -> Page {
    b.submit(
        "/network/cloud",
        "/network/cloud/release",
        &[("password", password)],
    )
    .await
}

/// A recorder registered to an account and holding that registration's key (epoch 2).
async fn registered(cloud: &mut TestCloud) -> (crate::support::TestRecorder, Browser) {
    let key = RecoveryKey::from_bytes(random_array());
    cloud.set(|b| {
        b.binding = Binding::Bound;
        b.recovery_key = Some((2, key));
    });
    let (rec, b) = online_recorder(cloud, "").await;
    cloud
        .expect("key_stored 2", |s| *s == Seen::KeyStored(2))
        .await;
    let page = b
        .wait_for("/network/cloud", "prepared", DEADLINE, |p| {
            prepared(p).as_deref() == Some("true")
        })
        .await;
    assert_eq!(release_state(&page).as_deref(), Some("offered"));
    (rec, b)
}

#[tokio::test]
async fn the_release_section_is_shown_in_both_languages() {
    let mut cloud = TestCloud::start().await;
    let (_rec, b) = registered(&mut cloud).await;
    for lang in [Lang::En, Lang::Ja] {
        let page = b
            .get(&format!("/lang?set={}&next=/network/cloud", lang.code()))
            .await;
        assert!(page.has("release-form"), "{}", page.body);
        for key in [
            "rec-cloud-release-title",
            "rec-cloud-release-warning",
            "rec-cloud-release-password",
            "rec-cloud-release-button",
        ] {
            assert!(page.shows(&lang.t(key)), "{lang:?} {key}: {}", page.body);
        }
    }
}

/// A release whose binding the cloud says has already ended (`not_bound`: the device was
/// registered again since, say) clears the pending release and takes the binding the cloud
/// tells next, with the key of that binding.
#[tokio::test]
async fn a_not_bound_answer_leaves_the_binding_the_cloud_tells() {
    let mut cloud = TestCloud::start().await;
    let (rec, b) = registered(&mut cloud).await;
    // The test cloud does not answer releases by itself.
    let page = release(&b, PASSWORD).await;
    assert_eq!(page.path(), "/network/cloud", "{}", page.body);
    assert_eq!(release_state(&page).as_deref(), Some("pending"));
    assert_eq!(prepared(&page).as_deref(), Some("false"));
    assert!(!page.has("registered") && !page.has("register-code"));
    cloud.expect("release 2", |s| *s == Seen::Release(2)).await;
    let anon = rec.browser();
    assert!(anon.get("/forgot").await.has("no-recovery-key"));

    // A new registration's key arrives with the next connection; the release is sent again.
    let newer = RecoveryKey::from_bytes(random_array());
    cloud.set(|b| b.recovery_key = Some((3, newer.clone())));
    cloud.kick();
    // The release goes first after the welcome, then the key is stored.
    cloud
        .expect("release 2 again", |s| *s == Seen::Release(2))
        .await;
    cloud
        .expect("key_stored 3", |s| *s == Seen::KeyStored(3))
        .await;
    let page = b.get("/network/cloud").await;
    assert_eq!(
        release_state(&page).as_deref(),
        Some("pending"),
        "welcome's \"bound\" is not taken while the release is pending: {}",
        page.body
    );
    assert_eq!(prepared(&page).as_deref(), Some("false"));

    cloud.send(CloudMessage::Released {
        key_epoch: 2,
        outcome: ReleaseOutcome::NotBound,
    });
    cloud.send(CloudMessage::Binding {
        binding: Binding::Bound,
    });
    let page = b
        .wait_for("/network/cloud", "registered again", DEADLINE, |p| {
            p.has("registered") && release_state(p).as_deref() == Some("offered")
        })
        .await;
    assert_eq!(prepared(&page).as_deref(), Some("true"), "{}", page.body);
    let state = rec.app.store.cloud_state().await.expect("state");
    assert_eq!(state.release_pending(), None);
    assert_eq!(state.binding_key().map(|(e, _)| *e), Some(3));
    let audit = b.get("/audit").await;
    assert!(
        audit.body.contains(r#"data-detail="not-bound""#),
        "{}",
        audit.body
    );
    // A repeated answer changes nothing.
    cloud.send(CloudMessage::Released {
        key_epoch: 2,
        outcome: ReleaseOutcome::Released,
    });
    cloud.send(CloudMessage::HeartbeatAck { cloud_time: 0 });
    let page = b.get("/network/cloud").await;
    assert!(page.has("registered"), "{}", page.body);
}

/// Not registered: no release is offered, and a form posted anyway is refused with its key.
#[tokio::test]
async fn an_unregistered_recorder_has_nothing_to_release() {
    let mut cloud = TestCloud::start().await;
    let (rec, b) = online_recorder(&mut cloud, "").await;
    let page = b.get("/network/cloud").await;
    assert!(!page.has("release"), "{}", page.body);
    let refused = b
        .post(
            "/network/cloud/release",
            &[
                ("csrf", &page.csrf().expect("csrf")),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(
        refused.error_keys(),
        vec!["rec-cloud-release-not-registered".to_string()]
    );
    assert_eq!(
        rec.app
            .store
            .cloud_state()
            .await
            .expect("state")
            .release_pending(),
        None
    );
}
