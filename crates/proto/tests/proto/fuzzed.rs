//! Inputs the fuzz targets under `fuzz/` found, kept as regressions.

use rekey_proto::{EMAIL_MAX_LEN, Email, EmailError};

/// What `Email::parse` returns must parse again to itself: it is stored and read back.
fn reparses(input: &str) -> Result<Email, EmailError> {
    let email = Email::parse(input)?;
    assert_eq!(
        Email::parse(email.as_str()).as_ref(),
        Ok(&email),
        "{input:?}"
    );
    Ok(email)
}

#[test]
fn a_domain_that_lower_cases_to_a_combining_mark_is_refused() {
    // U+0130 lower-cases to "i" and U+0307 (a combining dot), which is no letter or digit.
    assert_eq!(reparses("a@\u{130}.example.com"), Err(EmailError::Shape));
    assert_eq!(
        reparses("A@EXAMPLE.COM").map(|e| e.to_string()),
        Ok("A@example.com".into())
    );
}

#[test]
fn a_domain_that_grows_when_lower_cased_is_measured_after() {
    // U+023A (2 bytes) lower-cases to U+2C65 (3 bytes), a letter.
    let label = "\u{23a}".repeat(21);
    let input = format!("a@{}", [label.as_str(); 5].join("."));
    assert!(input.len() <= EMAIL_MAX_LEN);
    assert_eq!(reparses(&input), Err(EmailError::Length));
    let long_label = format!("a@{}.com", "\u{23a}".repeat(22));
    assert_eq!(reparses(&long_label), Err(EmailError::Shape));
    let fits = format!("a@{}.com", "\u{23a}".repeat(21));
    assert_eq!(
        reparses(&fits).map(|e| e.to_string()),
        Ok(format!("a@{}.com", "\u{2c65}".repeat(21)))
    );
}
