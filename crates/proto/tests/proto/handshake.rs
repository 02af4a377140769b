//! The gateway handshake: mutual authentication and the sealed recovery-key delivery.

use rekey_proto::{
    CloudSigningKey, DeviceSigningKey, EphemeralSecret, Handshake, IdentityError, RecoveryKey, Side,
};

use crate::support::serial;

struct Parties {
    device: DeviceSigningKey,
    cloud: CloudSigningKey,
    device_eph: EphemeralSecret,
    cloud_eph: EphemeralSecret,
    handshake: Handshake,
}

fn parties() -> Parties {
    let device = DeviceSigningKey::from_seed([1; 32]);
    let cloud = CloudSigningKey::from_seed([2; 32]);
    let device_eph = EphemeralSecret::from_bytes([3; 32]);
    let cloud_eph = EphemeralSecret::from_bytes([4; 32]);
    let handshake = Handshake {
        serial: serial("RK0000000001"),
        device_key: device.public(),
        device_nonce: [5; 32],
        device_ephemeral: device_eph.public(),
        cloud_key: cloud.public(),
        cloud_nonce: [6; 32],
        cloud_ephemeral: cloud_eph.public(),
        cloud_time: 1_800_000_000,
    };
    Parties {
        device,
        cloud,
        device_eph,
        cloud_eph,
        handshake,
    }
}

#[test]
fn both_sides_authenticate_and_the_key_arrives() {
    let p = parties();
    let h = &p.handshake;
    h.verify_cloud(&h.sign_as_cloud(&p.cloud))
        .expect("pinned cloud key verifies");
    h.verify_device(&h.sign_as_device(&p.device))
        .expect("device key verifies");
    let cloud_session = h
        .session_key(Side::Cloud, &p.cloud_eph)
        .expect("cloud side");
    let device_session = h
        .session_key(Side::Device, &p.device_eph)
        .expect("device side");
    assert_eq!(cloud_session, device_session);
    let key = RecoveryKey::from_bytes([7; 32]);
    let sealed = cloud_session.seal_recovery_key(&h.serial, 2, &key);
    assert_eq!(sealed.len(), 48);
    assert_eq!(
        device_session.open_recovery_key(&h.serial, 2, &sealed),
        Ok(key)
    );
    assert_eq!(
        device_session.open_recovery_key(&h.serial, 3, &sealed),
        Err(IdentityError::Delivery)
    );
}

#[test]
fn an_impostor_cloud_is_refused_by_the_pinned_key() {
    let p = parties();
    let impostor = CloudSigningKey::from_seed([9; 32]);
    // The recorder fills in its pinned key; the impostor signs with its own.
    let signature = p.handshake.sign_as_cloud(&impostor);
    assert_eq!(
        p.handshake.verify_cloud(&signature),
        Err(IdentityError::CloudSignature)
    );
}

#[test]
fn a_recorder_whose_signature_does_not_verify_is_refused() {
    let p = parties();
    let other = DeviceSigningKey::from_seed([8; 32]);
    let signature = p.handshake.sign_as_device(&other);
    assert_eq!(
        p.handshake.verify_device(&signature),
        Err(IdentityError::DeviceSignature)
    );
    // A signature from one handshake does not verify another (fresh nonces).
    let mut replayed = p.handshake.clone();
    replayed.cloud_nonce = [0xaa; 32];
    let old = p.handshake.sign_as_device(&p.device);
    assert_eq!(
        replayed.verify_device(&old),
        Err(IdentityError::DeviceSignature)
    );
    // Nor does a cloud signature verify as a device signature, or the other way round.
    let cloud_sig = p.handshake.sign_as_cloud(&p.cloud);
    let mut as_device = p.handshake.clone();
    as_device.device_key =
        rekey_proto::DevicePublicKey::from_bytes(*p.cloud.public().as_bytes()).expect("point");
    assert_eq!(
        as_device.verify_device(&cloud_sig),
        Err(IdentityError::DeviceSignature)
    );
}

#[test]
fn a_changed_cloud_clock_breaks_the_cloud_signature() {
    let p = parties();
    let signature = p.handshake.sign_as_cloud(&p.cloud);
    let mut moved = p.handshake.clone();
    moved.cloud_time += 3600;
    assert_eq!(
        moved.verify_cloud(&signature),
        Err(IdentityError::CloudSignature)
    );
}

#[test]
fn a_low_order_ephemeral_key_is_refused() {
    let mut p = parties();
    p.handshake.cloud_ephemeral = [0; 32];
    assert_eq!(
        p.handshake.session_key(Side::Device, &p.device_eph),
        Err(IdentityError::KeyAgreement)
    );
}

#[test]
fn public_keys_round_trip_as_text() {
    let p = parties();
    let text = p.device.public().to_string();
    assert_eq!(text.len(), 43);
    assert_eq!(
        rekey_proto::DevicePublicKey::parse(&text),
        Ok(p.device.public())
    );
    assert!(rekey_proto::DevicePublicKey::parse("not a key").is_err());
    assert!(format!("{:?}", p.device).contains(&text));
    assert!(!format!("{:?}", p.device).contains(&format!("{:?}", p.device.expose_seed())));
}

#[test]
fn gateway_messages_have_the_documented_json_shape() {
    use rekey_proto::gateway::{B64, Binding, CloudMessage, DeviceMessage};
    let p = parties();
    let hello = DeviceMessage::Hello {
        protocol: 1,
        serial: p.handshake.serial.clone(),
        device_key: p.device.public(),
        device_nonce: B64([0; 32]),
        device_ephemeral: B64([0xff; 32]),
        key_epoch: 0,
    };
    let json = serde_json::to_string(&hello).expect("serializes");
    let expected = format!(
        r#"{{"type":"hello","protocol":1,"serial":"RK0000000001","device_key":"{}","device_nonce":"{}","device_ephemeral":"{}8","key_epoch":0}}"#,
        p.device.public(),
        "A".repeat(43),
        "_".repeat(42),
    );
    assert_eq!(json, expected);
    assert_eq!(
        serde_json::from_str::<DeviceMessage>(&json).expect("parses"),
        hello
    );
    let welcome: CloudMessage = serde_json::from_str(
        r#"{"type":"welcome","binding":{"state":"unbound","register_code":"0938NKRKAYDQ"},"heartbeat_secs":20,"key_epoch":1}"#,
    )
    .expect("parses");
    assert!(matches!(
        welcome,
        CloudMessage::Welcome {
            binding: Binding::Unbound { .. },
            heartbeat_secs: 20,
            key_epoch: 1
        }
    ));
    assert!(
        serde_json::from_str::<DeviceMessage>(r#"{"type":"proof","signature":"AAAA"}"#).is_err()
    );
    // Receivers ignore fields they do not know, so that a later minor revision can add some.
    assert_eq!(
        serde_json::from_str::<DeviceMessage>(r#"{"type":"disabled","added_later":1}"#)
            .expect("parses"),
        DeviceMessage::Disabled
    );
}

#[test]
fn a_recovery_key_frame_says_why_and_older_or_newer_causes_still_parse() {
    use rekey_proto::gateway::{B64Vec, CloudMessage, KeyCause};
    let frame = CloudMessage::RecoveryKey {
        epoch: 3,
        sealed: B64Vec(vec![0; 3]),
        cause: KeyCause::Transferred,
    };
    let json = serde_json::to_string(&frame).expect("serializes");
    assert_eq!(
        json,
        r#"{"type":"recovery_key","epoch":3,"sealed":"AAAA","cause":"transferred"}"#
    );
    assert_eq!(
        serde_json::from_str::<CloudMessage>(&json).expect("parses"),
        frame
    );
    // A cloud that does not say, and a cause a later version adds, are both "unknown": the key
    // is still delivered.
    for json in [
        r#"{"type":"recovery_key","epoch":3,"sealed":"AAAA"}"#,
        r#"{"type":"recovery_key","epoch":3,"sealed":"AAAA","cause":"added_later"}"#,
    ] {
        assert_eq!(
            serde_json::from_str::<CloudMessage>(json).expect("parses"),
            CloudMessage::RecoveryKey {
                epoch: 3,
                sealed: B64Vec(vec![0; 3]),
                cause: KeyCause::Unknown,
            },
            "{json}"
        );
    }
    for cause in [
        KeyCause::Enrolled,
        KeyCause::Bound,
        KeyCause::Released,
        KeyCause::Transferred,
        KeyCause::AccountDeleted,
        KeyCause::Unknown,
    ] {
        assert_eq!(KeyCause::parse(cause.as_str()), cause);
        let wire = serde_json::to_string(&cause).expect("serializes");
        assert_eq!(wire, format!("\"{}\"", cause.as_str()));
    }
}
