//! `RegisterCode::parse`: typed into the portal and the API, and carried in registration QR codes
//! and gateway `binding` frames.
//!
//! Properties: a parsed code's compact and grouped forms parse back to it, and changing any one
//! symbol of it is caught by the check symbol (`Mistyped`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rekey_fuzz::text;
use rekey_proto::symbols::{ALPHABET, SymbolError};
use rekey_proto::{REGISTER_CODE_LEN, RegisterCode, RegisterCodeError};

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let code = match RegisterCode::parse(&input) {
        Ok(code) => code,
        Err(RegisterCodeError::Malformed(SymbolError::InvalidCharacter { position, .. })) => {
            assert!(position >= 1 && position <= input.chars().count());
            return;
        }
        Err(_) => return,
    };
    let compact = code.compact();
    assert_eq!(compact.len(), REGISTER_CODE_LEN);
    assert!(compact.bytes().all(|b| ALPHABET.contains(&b)), "{compact}");
    assert_eq!(RegisterCode::parse(&compact).as_ref(), Ok(&code));
    let grouped = code.to_string();
    assert_eq!(grouped.len(), REGISTER_CODE_LEN + 2, "{grouped}");
    assert_eq!(RegisterCode::parse(&grouped).as_ref(), Ok(&code));
    // One substitution, chosen by the input: the check symbol must catch it.
    let position = data.len() % REGISTER_CODE_LEN;
    let mut symbols = compact.into_bytes();
    let old = ALPHABET
        .iter()
        .position(|&a| a == symbols[position])
        .expect("a symbol");
    let shift = 1 + usize::from(data.first().copied().unwrap_or(0)) % 31;
    symbols[position] = ALPHABET[(old + shift) % 32];
    let changed = String::from_utf8(symbols).expect("ASCII");
    assert_eq!(
        RegisterCode::parse(&changed),
        Err(RegisterCodeError::Mistyped),
        "{code} vs {changed}"
    );
});
