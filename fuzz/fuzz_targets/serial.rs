//! `Serial::parse`: serial numbers arrive in gateway `hello` frames, recovery QR codes and forms.
//!
//! Property: a parsed serial is canonical (6 to 32 upper-case letters and digits) and its text,
//! and its JSON form, parse back to the same serial.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rekey_fuzz::text;
use rekey_proto::{SERIAL_MAX_LEN, SERIAL_MIN_LEN, Serial};

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let Ok(serial) = Serial::parse(&input) else {
        return;
    };
    let s = serial.as_str();
    assert!(
        (SERIAL_MIN_LEN..=SERIAL_MAX_LEN).contains(&s.len()),
        "{s:?}"
    );
    assert!(
        s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
        "{s:?}"
    );
    assert_eq!(serial.to_string(), s);
    assert_eq!(Serial::parse(s).as_ref(), Ok(&serial));
    assert!(serial.device_tag() < 16);
    let json = serde_json::to_string(&serial).expect("a serial serialises");
    assert_eq!(
        serde_json::from_str::<Serial>(&json).expect("its JSON parses"),
        serial
    );
});
