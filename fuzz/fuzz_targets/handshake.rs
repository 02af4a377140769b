//! The gateway handshake with arbitrary bytes as the peer's values: what a recorder (or anyone)
//! sends the cloud (serial, device key, nonce, ephemeral key, proof signature) and what a server
//! sends the recorder (nonce, ephemeral key, time, signature, sealed recovery key), fed to the
//! signature checks, the session-key derivation and the opening of the sealed key.
//!
//! The first input byte picks the scenario, so that each execution does one side's work:
//! - the cloud facing an unknown recorder: a proof verifies only if it is the genuine signature of
//!   the vectors' device key, of which the fuzzer knows no more than an attacker;
//! - the recorder facing an unknown server: a signature verifies under the pinned key only if it
//!   is the cloud's genuine one, and a sealed key opens only if it is the genuine sealing;
//! - an honest handshake with the peer's public values chosen by the input: both signatures
//!   verify and no altered one does, a cloud signature is no device proof, both sides derive the
//!   same session key, and the recovery key arrives while an altered box or epoch does not open.

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use rekey_fuzz::{PARTIES, vector_serial};
use rekey_proto::{DevicePublicKey, Handshake, IdentityError, RecoveryKey, Serial, Side};

/// The values both sides exchange in the clear, as the input chooses them.
struct Public {
    serial: Serial,
    device_nonce: [u8; 32],
    cloud_nonce: [u8; 32],
    cloud_time: i64,
}

impl Public {
    fn take(u: &mut Unstructured<'_>) -> Result<Self> {
        let serial_text: &str = u.arbitrary()?;
        Ok(Self {
            serial: Serial::parse(serial_text).unwrap_or_else(|_| vector_serial()),
            device_nonce: u.arbitrary()?,
            cloud_nonce: u.arbitrary()?,
            cloud_time: u.arbitrary()?,
        })
    }
}

/// The cloud facing a recorder it knows nothing about.
fn cloud_side(u: &mut Unstructured<'_>) -> Result<()> {
    let public = Public::take(u)?;
    let device_key: [u8; 32] = u.arbitrary()?;
    let device_ephemeral: [u8; 32] = u.arbitrary()?;
    let proof: [u8; 64] = u.arbitrary()?;
    // The `hello` frame's `device_key` must be a valid point to parse at all.
    let Ok(device_key) = DevicePublicKey::from_bytes(device_key) else {
        return Ok(());
    };
    let p = &*PARTIES;
    let hs = Handshake {
        serial: public.serial,
        device_key,
        device_nonce: public.device_nonce,
        device_ephemeral,
        cloud_key: p.cloud_public,
        cloud_nonce: public.cloud_nonce,
        cloud_ephemeral: p.cloud_ephemeral_public,
        cloud_time: public.cloud_time,
    };
    match hs.verify_device(&proof) {
        Ok(()) => {
            assert!(
                device_key == p.device_public && proof == hs.sign_as_device(&p.device),
                "a proof verified that no known key made"
            );
        }
        Err(e) => assert_eq!(e, IdentityError::DeviceSignature),
    }
    match hs.session_key(Side::Cloud, &p.cloud_ephemeral) {
        Ok(session) => {
            let key = RecoveryKey::from_bytes(u.arbitrary()?);
            let epoch = u.arbitrary()?;
            let sealed = session.seal_recovery_key(&hs.serial, epoch, &key);
            assert_eq!(sealed.len(), 48);
        }
        Err(e) => assert_eq!(e, IdentityError::KeyAgreement),
    }
    Ok(())
}

/// The recorder facing a server that claims to be its cloud.
fn recorder_side(u: &mut Unstructured<'_>) -> Result<()> {
    let public = Public::take(u)?;
    let cloud_ephemeral: [u8; 32] = u.arbitrary()?;
    let signature: [u8; 64] = u.arbitrary()?;
    let epoch: u32 = u.arbitrary()?;
    let sealed: Vec<u8> = u.arbitrary()?;
    let p = &*PARTIES;
    let hs = Handshake {
        serial: public.serial,
        device_key: p.device_public,
        device_nonce: public.device_nonce,
        device_ephemeral: p.device_ephemeral_public,
        cloud_key: p.cloud_public,
        cloud_nonce: public.cloud_nonce,
        cloud_ephemeral,
        cloud_time: public.cloud_time,
    };
    match hs.verify_cloud(&signature) {
        Ok(()) => assert_eq!(
            signature,
            hs.sign_as_cloud(&p.cloud),
            "a signature verified under the pinned key that the cloud did not make"
        ),
        Err(e) => assert_eq!(e, IdentityError::CloudSignature),
    }
    match hs.session_key(Side::Device, &p.device_ephemeral) {
        Ok(session) => match session.open_recovery_key(&hs.serial, epoch, &sealed) {
            Ok(key) => assert_eq!(
                sealed,
                session.seal_recovery_key(&hs.serial, epoch, &key),
                "a box opened that the session key did not seal"
            ),
            Err(e) => assert_eq!(e, IdentityError::Delivery),
        },
        Err(e) => assert_eq!(e, IdentityError::KeyAgreement),
    }
    Ok(())
}

/// Both sides honest; the input chooses the public values and the alterations.
fn honest(u: &mut Unstructured<'_>) -> Result<()> {
    let public = Public::take(u)?;
    let p = &*PARTIES;
    let hs = Handshake {
        serial: public.serial,
        device_key: p.device_public,
        device_nonce: public.device_nonce,
        device_ephemeral: p.device_ephemeral_public,
        cloud_key: p.cloud_public,
        cloud_nonce: public.cloud_nonce,
        cloud_ephemeral: p.cloud_ephemeral_public,
        cloud_time: public.cloud_time,
    };
    let flip: [u8; 64] = u.arbitrary()?;
    let altered = |signature: [u8; 64]| -> Option<[u8; 64]> {
        let mut out = signature;
        out.iter_mut().zip(flip).for_each(|(b, f)| *b ^= f);
        (out != signature).then_some(out)
    };

    let cloud_signature = hs.sign_as_cloud(&p.cloud);
    assert_eq!(hs.verify_cloud(&cloud_signature), Ok(()));
    if let Some(bad) = altered(cloud_signature) {
        assert_eq!(hs.verify_cloud(&bad), Err(IdentityError::CloudSignature));
    }
    let proof = hs.sign_as_device(&p.device);
    assert_eq!(hs.verify_device(&proof), Ok(()));
    if let Some(bad) = altered(proof) {
        assert_eq!(hs.verify_device(&bad), Err(IdentityError::DeviceSignature));
    }
    assert_eq!(
        hs.verify_device(&cloud_signature),
        Err(IdentityError::DeviceSignature)
    );

    let at_cloud = hs
        .session_key(Side::Cloud, &p.cloud_ephemeral)
        .expect("honest cloud side");
    let at_device = hs
        .session_key(Side::Device, &p.device_ephemeral)
        .expect("honest device side");
    assert_eq!(at_cloud, at_device);
    let key = RecoveryKey::from_bytes(u.arbitrary()?);
    let epoch: u32 = u.arbitrary()?;
    let sealed = at_cloud.seal_recovery_key(&hs.serial, epoch, &key);
    assert_eq!(
        at_device
            .open_recovery_key(&hs.serial, epoch, &sealed)
            .as_ref(),
        Ok(&key)
    );
    let other_epoch: u32 = u.arbitrary()?;
    if other_epoch != epoch {
        assert_eq!(
            at_device.open_recovery_key(&hs.serial, other_epoch, &sealed),
            Err(IdentityError::Delivery)
        );
    }
    let mut bad = sealed.clone();
    bad.iter_mut().zip(flip).for_each(|(b, f)| *b ^= f);
    if bad != sealed {
        assert_eq!(
            at_device.open_recovery_key(&hs.serial, epoch, &bad),
            Err(IdentityError::Delivery)
        );
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&scenario, rest)) = data.split_first() else {
        return;
    };
    let mut u = Unstructured::new(rest);
    let _ = match scenario % 3 {
        0 => cloud_side(&mut u),
        1 => recorder_side(&mut u),
        _ => honest(&mut u),
    };
});
