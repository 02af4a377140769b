//! `RegistrationQr::parse`: the URL the cloud's "add device" page receives from a scanned QR code.
//!
//! Input: the URL, or `BASE\nURL` to also vary the cloud base URL the code is written under.
//! Property: a parsed QR code written out under a valid base URL parses back to the same code.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rekey_fuzz::{base_and_url, text};
use rekey_proto::RegistrationQr;

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let (base, url) = base_and_url(&input);
    let Ok(qr) = RegistrationQr::parse(url) else {
        return;
    };
    let written = qr.to_url(&base);
    assert_eq!(
        RegistrationQr::parse(&written).as_ref(),
        Ok(&qr),
        "{url:?} was written as {written:?}"
    );
});
