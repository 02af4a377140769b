//! `TemporaryPassword::parse` and `verify`: the code typed on the recorder's "Password recovery"
//! screen, checked offline against recorder states (the vectors' key, several dates, sequence
//! numbers and challenges, and the extremes of each).
//!
//! Properties: a parsed code's compact and grouped forms parse back to it; `NotForThisDevice`
//! is given exactly when the code's tag is not the recorder's; an accepted code has a sequence
//! number past the last used one and is valid on the recorder's date or for its live challenge;
//! every refusal is consistent with the recorder's state it reports.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rekey_fuzz::{text, unhex32, vector_key, vector_serial};
use rekey_proto::symbols::symbol_value;
use rekey_proto::{
    Accepted, Challenge, CodeError, Email, MAX_WINDOW_DAYS, RecoveryKey, Serial,
    TEMPORARY_PASSWORD_LEN, TemporaryPassword, Validity, VerifyContext, unix_day,
};
use time::Date;
use time::macros::date;

fn challenge(nonce_hex: &str, expires_at: i64, email: &str) -> Challenge {
    let nonce: [u8; 16] = unhex32(&format!("{nonce_hex}{nonce_hex}"))[..16]
        .try_into()
        .expect("16 bytes");
    Challenge {
        nonce,
        expires_at,
        email: Email::parse(email).expect("valid address"),
    }
}

fn check(code: &TemporaryPassword, ctx: &VerifyContext<'_>) {
    let first = code.compact().chars().next().and_then(symbol_value);
    let tag = first.expect("a code starts with a symbol") & 0xf;
    let result = code.verify(ctx);
    assert_eq!(
        matches!(result, Err(CodeError::NotForThisDevice)),
        tag != ctx.serial.device_tag(),
        "{result:?}"
    );
    match result {
        Ok(Accepted { seq, validity }) => {
            assert!(seq > ctx.last_used_seq, "accepted seq {seq}");
            match validity {
                Validity::DateWindow { from, to } => {
                    assert!(from <= ctx.today && ctx.today <= to, "{from}..{to}");
                    assert!(unix_day(to) - unix_day(from) < i64::from(MAX_WINDOW_DAYS));
                }
                Validity::Challenge => {
                    let live = ctx.challenge.expect("a challenge code needs a challenge");
                    assert!(ctx.now <= live.expires_at);
                }
            }
        }
        Err(CodeError::NotYetValid {
            valid_from,
            valid_to,
            today,
        }) => assert!(today == ctx.today && today < valid_from && valid_from <= valid_to),
        Err(CodeError::Expired {
            valid_from,
            valid_to,
            today,
        }) => assert!(today == ctx.today && valid_to < today && valid_from <= valid_to),
        Err(CodeError::ChallengeExpired { expired_at, now }) => {
            let live = ctx
                .challenge
                .expect("expired challenge without a challenge");
            assert!(expired_at == live.expires_at && now == ctx.now && now > expired_at);
        }
        Err(CodeError::ChallengeReplaced) => assert!(!ctx.earlier_challenges.is_empty()),
        Err(CodeError::Malformed(e)) => panic!("a parsed code is malformed: {e:?}"),
        Err(CodeError::NotForThisDevice | CodeError::Wrong | CodeError::AlreadyUsed) => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn context<'a>(
    serial: &'a Serial,
    key: &'a RecoveryKey,
    last_used_seq: u32,
    today: Date,
    now: i64,
    challenge: Option<&'a Challenge>,
    earlier_challenges: &'a [Challenge],
) -> VerifyContext<'a> {
    VerifyContext {
        serial,
        key,
        last_used_seq,
        today,
        now,
        challenge,
        earlier_challenges,
    }
}

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let Ok(code) = TemporaryPassword::parse(&input) else {
        return;
    };
    let compact = code.compact();
    assert_eq!(compact.len(), TEMPORARY_PASSWORD_LEN);
    assert_eq!(TemporaryPassword::parse(&compact).as_ref(), Ok(&code));
    assert_eq!(
        TemporaryPassword::parse(&code.to_string()).as_ref(),
        Ok(&code)
    );
    assert!(
        !format!("{code:?}").contains(&compact),
        "Debug shows the code"
    );

    let key = vector_key();
    let serial = vector_serial();
    let other = Serial::parse("RKA7Q2M9XZ41").expect("valid serial");
    let first = challenge(
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
        1_798_763_400,
        "admin@example.com",
    );
    let second = challenge(
        "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
        1_798_763_400,
        "Taro.Yamada+nvr@example.co.jp",
    );
    let earlier = [second.clone(), first.clone()];
    let contexts = [
        // The vectors' codes: seq 1 (2027-01-01..07) and the challenge code seq 3.
        context(
            &serial,
            &key,
            0,
            date!(2027 - 01 - 03),
            1_798_763_000,
            Some(&first),
            &[],
        ),
        // seq 2049 (2027-01-05); the first challenge replaced by the second, and expired.
        context(
            &serial,
            &key,
            2048,
            date!(2027 - 01 - 05),
            1_798_763_401,
            Some(&second),
            &earlier[1..],
        ),
        // The third vector's serial (seq 77, 2031-12-30..2032-01-06).
        context(&other, &key, 0, date!(2032 - 01 - 01), 0, None, &[]),
        // The extremes of every field.
        context(&serial, &key, u32::MAX, Date::MAX, i64::MAX, None, &earlier),
        context(
            &serial,
            &key,
            1,
            Date::MIN,
            i64::MIN,
            Some(&first),
            &earlier,
        ),
    ];
    for ctx in &contexts {
        check(&code, ctx);
    }
});
