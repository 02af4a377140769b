//! `Email::parse`: addresses arrive in forms, the JSON API and recovery QR codes, and come back
//! from the database.
//!
//! Property: a parsed address is a fixed point: its text (and its JSON form) parses back to the
//! same address, so whatever is stored can be read again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rekey_fuzz::text;
use rekey_proto::Email;

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let Ok(email) = Email::parse(&input) else {
        return;
    };
    let s = email.as_str();
    assert_eq!(email.to_string(), s);
    assert_eq!(
        Email::parse(s).as_ref(),
        Ok(&email),
        "{input:?} parsed to {s:?}, which does not parse to itself"
    );
    let masked = email.masked();
    let domain = s
        .rsplit_once('@')
        .map(|(_, d)| d)
        .expect("an address has an @");
    assert!(masked.ends_with(domain), "{masked:?}");
    let json = serde_json::to_string(&email).expect("an address serialises");
    assert_eq!(
        serde_json::from_str::<Email>(&json).as_ref().ok(),
        Some(&email)
    );
});
