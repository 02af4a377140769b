//! Properties over random inputs: round trips, and no single-symbol change or neighbour
//! transposition of a code is ever accepted.

use proptest::prelude::*;
use rekey_proto::{
    CloudBase, CodeError, Email, RecoveryKey, RecoveryQr, RegisterCode, RegisterCodeError, Serial,
    TemporaryPassword, VerifyContext, symbols::ALPHABET, unix_day,
};
use time::{Date, Duration};

use crate::support::challenge;

fn serials() -> impl Strategy<Value = Serial> {
    "[A-Za-z0-9]{6,32}".prop_map(|s| Serial::parse(&s).expect("regex makes valid serials"))
}

fn keys() -> impl Strategy<Value = RecoveryKey> {
    any::<[u8; 32]>().prop_map(RecoveryKey::from_bytes)
}

fn dates() -> impl Strategy<Value = Date> {
    // 2000-01-01 ..= 2099-12-31
    (10_957i64..47_482)
        .prop_map(|d| Date::from_julian_day((d + 2_440_588) as i32).expect("in range"))
}

fn emails() -> impl Strategy<Value = Email> {
    "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]@[a-z0-9]{1,12}\\.(com|jp|co\\.jp|example)"
        .prop_filter_map("valid address", |s| Email::parse(&s).ok())
}

/// A code, the context it is valid in, and so the case every mutation is compared against.
#[derive(Debug, Clone)]
struct Case {
    key: RecoveryKey,
    serial: Serial,
    seq: u32,
    last_used: u32,
    from: Date,
    span: u8,
    offset: u8,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        keys(),
        serials(),
        1u32..5_000_000,
        0u32..1023,
        dates(),
        0u8..8,
        0u8..8,
    )
        .prop_map(|(key, serial, seq, back, from, span, offset)| Case {
            key,
            serial,
            seq,
            last_used: seq.saturating_sub(1 + back),
            from,
            span,
            offset: offset.min(span),
        })
}

impl Case {
    fn code(&self) -> TemporaryPassword {
        TemporaryPassword::issue_date_window(
            &self.key,
            &self.serial,
            self.seq,
            self.from,
            self.from + Duration::days(i64::from(self.span)),
        )
        .expect("valid parameters")
    }

    fn verify(&self, code: &TemporaryPassword) -> Result<rekey_proto::Accepted, CodeError> {
        let today = self.from + Duration::days(i64::from(self.offset));
        code.verify(&VerifyContext {
            serial: &self.serial,
            key: &self.key,
            last_used_seq: self.last_used,
            today,
            now: unix_day(today) * 86_400,
            challenge: None,
            earlier_challenges: &[],
        })
    }
}

fn symbol_indices(code: &str) -> Vec<usize> {
    code.bytes()
        .map(|b| {
            ALPHABET
                .iter()
                .position(|&a| a == b)
                .expect("canonical symbol")
        })
        .collect()
}

fn from_indices(symbols: &[usize]) -> String {
    symbols.iter().map(|&i| ALPHABET[i] as char).collect()
}

fn rejected_as_mistyped(result: Result<rekey_proto::Accepted, CodeError>) -> bool {
    matches!(result, Err(CodeError::Wrong | CodeError::NotForThisDevice))
}

proptest! {
    #[test]
    fn date_window_codes_round_trip(case in cases()) {
        let code = case.code();
        let reparsed = TemporaryPassword::parse(&format!(" {} ", code.to_string().to_lowercase()))
            .expect("display form parses");
        prop_assert_eq!(&reparsed, &code);
        let accepted = case.verify(&reparsed).expect("accepted in its window");
        prop_assert_eq!(accepted.seq, case.seq);
    }

    #[test]
    fn no_single_symbol_change_is_accepted(case in cases()) {
        let original = symbol_indices(&case.code().compact());
        for position in 0..original.len() {
            for value in 0..32 {
                if value == original[position] {
                    continue;
                }
                let mut changed = original.clone();
                changed[position] = value;
                let code = TemporaryPassword::parse(&from_indices(&changed)).expect("well-formed");
                let result = case.verify(&code);
                prop_assert!(rejected_as_mistyped(result.clone()), "position {} value {}: {:?}", position, value, result);
            }
        }
    }

    #[test]
    fn no_neighbour_transposition_is_accepted(case in cases()) {
        let original = symbol_indices(&case.code().compact());
        for position in 0..original.len() - 1 {
            if original[position] == original[position + 1] {
                continue;
            }
            let mut swapped = original.clone();
            swapped.swap(position, position + 1);
            let code = TemporaryPassword::parse(&from_indices(&swapped)).expect("well-formed");
            let result = case.verify(&code);
            prop_assert!(rejected_as_mistyped(result.clone()), "swap at {}: {:?}", position, result);
        }
    }

    #[test]
    fn challenge_codes_round_trip_and_resist_typos(
        key in keys(), serial in serials(), seq in 1u32..5_000_000, email in emails(),
        nonce in any::<u8>(), position in 0usize..16, value in 0usize..32,
    ) {
        let c = challenge(nonce, 1_800_000_000, email.as_str());
        let code = TemporaryPassword::issue_challenge(&key, &serial, seq, &c).expect("valid");
        let ctx = VerifyContext {
            serial: &serial,
            key: &key,
            last_used_seq: seq - 1,
            today: time::macros::date!(2027 - 01 - 15),
            now: 1_799_999_999,
            challenge: Some(&c),
            earlier_challenges: &[],
        };
        prop_assert_eq!(code.verify(&ctx).map(|a| a.seq), Ok(seq));
        let mut symbols = symbol_indices(&code.compact());
        prop_assume!(symbols[position] != value);
        symbols[position] = value;
        let changed = TemporaryPassword::parse(&from_indices(&symbols)).expect("well-formed");
        prop_assert!(rejected_as_mistyped(changed.verify(&ctx)));
    }

    #[test]
    fn register_codes_round_trip_and_catch_every_typo(random in any::<[u8; 7]>()) {
        let code = RegisterCode::from_random(random);
        prop_assert_eq!(RegisterCode::parse(&code.to_string().to_lowercase()), Ok(code.clone()));
        let original = symbol_indices(&code.compact());
        for position in 0..original.len() {
            for value in (0..32).filter(|&v| v != original[position]) {
                let mut changed = original.clone();
                changed[position] = value;
                prop_assert_eq!(RegisterCode::parse(&from_indices(&changed)), Err(RegisterCodeError::Mistyped));
            }
            if position + 1 < original.len() && original[position] != original[position + 1] {
                let mut swapped = original.clone();
                swapped.swap(position, position + 1);
                prop_assert_eq!(RegisterCode::parse(&from_indices(&swapped)), Err(RegisterCodeError::Mistyped));
            }
        }
    }

    #[test]
    fn recovery_qrs_round_trip_and_refuse_another_address(
        key in keys(), serial in serials(), email in emails(), other in emails(),
        nonce in any::<[u8; 16]>(), expires_at in 1_700_000_000i64..4_000_000_000,
    ) {
        let base = CloudBase::parse("https://cloud.example.com").expect("base");
        let c = rekey_proto::Challenge { nonce, expires_at, email: email.clone() };
        let qr = RecoveryQr::new(&key, serial, c);
        let parsed = RecoveryQr::parse(&qr.to_url(&base)).expect("parses");
        prop_assert_eq!(&parsed, &qr);
        prop_assert_eq!(parsed.verify(&key, expires_at), Ok(()));
        prop_assume!(other != email);
        let mut altered = parsed;
        altered.challenge.email = other;
        let reparsed = RecoveryQr::parse(&altered.to_url(&base)).expect("parses");
        prop_assert_eq!(reparsed.verify(&key, expires_at), Err(rekey_proto::QrError::Forged));
    }
}
