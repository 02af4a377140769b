//! Each way a temporary password, a recovery QR or a register code can fail has its own error.

use rekey_proto::{
    CloudBase, CodeError, QrError, RecoveryQr, RegisterCode, RegisterCodeError, RegistrationQr,
    TemporaryPassword, Validity, VerifyContext, symbols::SymbolError,
};

use crate::support::{challenge, ctx, date, key, serial};

fn window_code(seq: u32, from: &str, to: &str) -> TemporaryPassword {
    TemporaryPassword::issue_date_window(
        &key(1),
        &serial("RK0000000001"),
        seq,
        date(from),
        date(to),
    )
    .expect("valid window")
}

#[test]
fn a_valid_code_is_accepted_with_its_window() {
    let s = serial("RK0000000001");
    let k = key(1);
    let code = window_code(5, "2027-01-01", "2027-01-07");
    let typed = code.to_string().to_lowercase().replace('-', " ");
    let accepted = TemporaryPassword::parse(&typed)
        .expect("parses")
        .verify(&ctx(&s, &k, 4, date("2027-01-07")))
        .expect("accepted on its last day");
    assert_eq!(accepted.seq, 5);
    assert_eq!(
        accepted.validity,
        Validity::DateWindow {
            from: date("2027-01-01"),
            to: date("2027-01-07")
        }
    );
}

#[test]
fn a_deliberately_wrong_code_is_wrong() {
    let s = serial("RK0000000001");
    let k = key(1);
    let mut text = window_code(1, "2027-01-01", "2027-01-07").compact();
    // Change the last symbol (inside the MAC).
    let last = text.pop().expect("non-empty");
    text.push(if last == '0' { '1' } else { '0' });
    let result = TemporaryPassword::parse(&text)
        .expect("well-formed")
        .verify(&ctx(&s, &k, 0, date("2027-01-02")));
    assert_eq!(result, Err(CodeError::Wrong));
    // A code made with another recovery key (a former owner's, say) is wrong as well.
    let other = key(2);
    let result =
        window_code(1, "2027-01-01", "2027-01-07").verify(&ctx(&s, &other, 0, date("2027-01-02")));
    assert_eq!(result, Err(CodeError::Wrong));
}

#[test]
fn a_code_for_another_serial_says_so() {
    let mine = serial("RK0000000001");
    // Find a second serial whose 4-bit tag differs (15 in 16 do).
    let theirs = (2..100)
        .map(|i| serial(&format!("RK{i:010}")))
        .find(|s| s.device_tag() != mine.device_tag())
        .expect("some serial has another tag");
    let k = key(1);
    let code = TemporaryPassword::issue_date_window(
        &k,
        &theirs,
        1,
        date("2027-01-01"),
        date("2027-01-02"),
    )
    .expect("valid");
    assert_eq!(
        code.verify(&ctx(&mine, &k, 0, date("2027-01-01"))),
        Err(CodeError::NotForThisDevice)
    );
}

#[test]
fn a_code_outside_its_window_shows_the_window_and_the_recorder_date() {
    let s = serial("RK0000000001");
    let k = key(1);
    let code = window_code(1, "2027-01-05", "2027-01-06");
    assert_eq!(
        code.verify(&ctx(&s, &k, 0, date("2027-01-04"))),
        Err(CodeError::NotYetValid {
            valid_from: date("2027-01-05"),
            valid_to: date("2027-01-06"),
            today: date("2027-01-04"),
        })
    );
    assert_eq!(
        code.verify(&ctx(&s, &k, 0, date("2027-01-07"))),
        Err(CodeError::Expired {
            valid_from: date("2027-01-05"),
            valid_to: date("2027-01-06"),
            today: date("2027-01-07"),
        })
    );
    // A recorder whose clock is years off still names the right window.
    assert!(matches!(
        code.verify(&ctx(&s, &k, 0, date("2019-03-01"))),
        Err(CodeError::NotYetValid { valid_from, .. }) if valid_from == date("2027-01-05")
    ));
}

#[test]
fn a_replayed_code_and_an_older_code_are_already_used() {
    let s = serial("RK0000000001");
    let k = key(1);
    let first = window_code(1, "2027-01-01", "2027-01-07");
    let second = window_code(2, "2027-01-01", "2027-01-07");
    let today = date("2027-01-03");
    let accepted = second.verify(&ctx(&s, &k, 0, today)).expect("accepted");
    // The recorder stores accepted.seq as its last used sequence number.
    let after = ctx(&s, &k, accepted.seq, today);
    assert_eq!(second.verify(&after), Err(CodeError::AlreadyUsed));
    assert_eq!(first.verify(&after), Err(CodeError::AlreadyUsed));
}

#[test]
fn malformed_input_names_the_problem() {
    assert_eq!(
        TemporaryPassword::parse("ABCD-EFGH-JKMN"),
        Err(CodeError::Malformed(SymbolError::WrongLength {
            expected: 16,
            found: 12
        }))
    );
    assert_eq!(
        TemporaryPassword::parse("ABCD-EFGH-JKMN-PQR*"),
        Err(CodeError::Malformed(SymbolError::InvalidCharacter {
            character: '*',
            position: 19
        }))
    );
}

#[test]
fn challenge_codes_live_and_die_with_their_challenge() {
    let s = serial("RK0000000001");
    let k = key(1);
    let today = date("2027-01-01");
    let noon = rekey_proto::unix_day(today) * 86_400 + 43_200;
    let old = challenge(1, noon + 600, "admin@example.com");
    let current = challenge(2, noon + 1800, "admin@example.com");
    let for_old = TemporaryPassword::issue_challenge(&k, &s, 7, &old).expect("valid");
    let for_current = TemporaryPassword::issue_challenge(&k, &s, 8, &current).expect("valid");
    let earlier = [old.clone()];
    let pending = VerifyContext {
        challenge: Some(&current),
        earlier_challenges: &earlier,
        now: noon,
        ..ctx(&s, &k, 6, today)
    };

    let accepted = for_current.verify(&pending).expect("accepted");
    assert_eq!(accepted.seq, 8);
    assert_eq!(accepted.validity, Validity::Challenge);
    assert_eq!(for_old.verify(&pending), Err(CodeError::ChallengeReplaced));

    let expired = VerifyContext {
        now: current.expires_at + 1,
        ..pending
    };
    assert_eq!(
        for_current.verify(&expired),
        Err(CodeError::ChallengeExpired {
            expired_at: current.expires_at,
            now: current.expires_at + 1
        })
    );

    // After use the recorder moves the challenge to the earlier ones and stores seq 8.
    let used = [current.clone(), old.clone()];
    let after = VerifyContext {
        challenge: None,
        earlier_challenges: &used,
        now: noon,
        ..ctx(&s, &k, 8, today)
    };
    assert_eq!(for_current.verify(&after), Err(CodeError::AlreadyUsed));
    // With no challenge at all a challenge code cannot verify.
    assert_eq!(
        for_current.verify(&ctx(&s, &k, 0, today)),
        Err(CodeError::Wrong)
    );
}

#[test]
fn an_altered_or_foreign_recovery_qr_is_refused() {
    let base = CloudBase::parse("https://cloud.example.com/").expect("base");
    let s = serial("RK0000000001");
    let k = key(1);
    let c = challenge(9, 2_000_000_000, "admin@example.com");
    let url = RecoveryQr::new(&k, s, c).to_url(&base);
    let ok = RecoveryQr::parse(&url).expect("parses");
    assert_eq!(ok.verify(&k, 1_999_999_999), Ok(()));
    assert_eq!(
        ok.verify(&k, 2_000_000_001),
        Err(QrError::Expired {
            expired_at: 2_000_000_000
        })
    );
    assert_eq!(ok.verify(&key(2), 0), Err(QrError::Forged));

    let changed_email = url.replace("admin%40example.com", "thief%40example.net");
    assert_ne!(changed_email, url);
    let parsed = RecoveryQr::parse(&changed_email).expect("still well-formed");
    assert_eq!(parsed.verify(&k, 0), Err(QrError::Forged));

    let nonce = ok.challenge.nonce;
    let mut altered = ok.clone();
    altered.challenge.nonce[0] ^= 1;
    assert_ne!(altered.challenge.nonce, nonce);
    let reparsed = RecoveryQr::parse(&altered.to_url(&base)).expect("well-formed");
    assert_eq!(reparsed.verify(&k, 0), Err(QrError::Forged));

    assert_eq!(
        RecoveryQr::parse(&url.replace("v=1", "v=2")),
        Err(QrError::UnknownVersion("2".into()))
    );
    assert!(matches!(
        RecoveryQr::parse("https://example.com/m/recover?v=1&s=RK0000000001"),
        Err(QrError::NotOurs(_))
    ));
    assert!(matches!(
        RecoveryQr::parse(&url.replace("/m/recover", "/m/add")),
        Err(QrError::NotOurs(_))
    ));
}

#[test]
fn register_codes_tell_mistyped_from_malformed() {
    let code = RegisterCode::from_random([1, 2, 3, 4, 5, 6, 7]);
    let shown = code.to_string();
    assert_eq!(shown.len(), 14);
    assert_eq!(RegisterCode::parse(&shown.to_lowercase()), Ok(code.clone()));
    let mut typo = code.compact().into_bytes();
    typo[3] = if typo[3] == b'7' { b'8' } else { b'7' };
    let typo = String::from_utf8(typo).expect("ascii");
    assert_eq!(RegisterCode::parse(&typo), Err(RegisterCodeError::Mistyped));
    assert!(matches!(
        RegisterCode::parse("1234"),
        Err(RegisterCodeError::Malformed(_))
    ));

    let base = CloudBase::parse("https://cloud.example.com").expect("base");
    let url = RegistrationQr { code: code.clone() }.to_url(&base);
    assert_eq!(RegistrationQr::parse(&url), Ok(RegistrationQr { code }));
    assert!(matches!(
        RegistrationQr::parse(&url.replace("code=", "c=")),
        Err(QrError::NotOurs(_))
    ));
}

#[test]
fn cloud_base_urls_are_checked() {
    assert!(CloudBase::parse("https://cloud.example.com:8443/rekey/").is_ok());
    assert!(CloudBase::parse("http://127.0.0.1:8080").is_ok());
    for bad in [
        "cloud.example.com",
        "ftp://x",
        "https://",
        "https://a b",
        "https://x/?q",
        "https://u@x",
    ] {
        assert_eq!(CloudBase::parse(bad), Err(QrError::BaseUrl), "{bad}");
    }
}
