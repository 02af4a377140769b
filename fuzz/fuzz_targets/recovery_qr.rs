//! `RecoveryQr::parse` and `verify`: the URL the cloud's mobile recovery page receives from a
//! scanned QR code, checked with the recorder's recovery key.
//!
//! Input: the URL, or `BASE\nURL` to also vary the cloud base URL the code is written under.
//! Properties: a parsed QR code written out under a valid base URL parses back to the same code;
//! it verifies (or has only expired) exactly when its MAC is the one the recorder would make.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rekey_fuzz::{base_and_url, text, vector_key};
use rekey_proto::{QrError, RecoveryQr};

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let (base, url) = base_and_url(&input);
    let Ok(qr) = RecoveryQr::parse(url) else {
        return;
    };
    let written = qr.to_url(&base);
    assert_eq!(
        RecoveryQr::parse(&written).as_ref(),
        Ok(&qr),
        "{url:?} was written as {written:?}"
    );
    let key = vector_key();
    let genuine = RecoveryQr::new(&key, qr.serial.clone(), qr.challenge.clone());
    let expires_at = qr.challenge.expires_at;
    for now in [
        i64::MIN,
        expires_at.saturating_sub(1),
        expires_at,
        expires_at.saturating_add(1),
    ] {
        match qr.verify(&key, now) {
            Ok(()) => assert!(genuine.mac == qr.mac && now <= expires_at),
            Err(QrError::Expired { expired_at }) => {
                assert!(genuine.mac == qr.mac && now > expires_at && expired_at == expires_at)
            }
            Err(QrError::Forged) => assert!(genuine.mac != qr.mac),
            Err(other) => panic!("verify gave {other:?}"),
        }
    }
});
