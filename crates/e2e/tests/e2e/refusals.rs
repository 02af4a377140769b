//! Issue 4, recovery's refusals across the real processes: a wrong code, one for another
//! recorder, a used one and an older one after a newer one; a date-window code outside its
//! dates; a replaced challenge and an altered recovery QR code; a stranger and a removed
//! recorder; five wrong codes that lock the screen across a restart — each checking its own
//! message and that nothing changed.

use sha2::{Digest, Sha256};

use crate::cli::Cli;
use crate::harness::System;
use crate::recovery::{
    NEW_PASSWORD, date, emailed_password, enter, forgot, owner_cli, recovery_errors,
    refused_and_unchanged, retrieve_on_portal, retrieve_with_cli,
};
use crate::steps::{
    ADMIN_PASSWORD, CLOUD_PASSWORD, admin_password_works, portal_login, prepared, recorder_login,
    wait_cloud_status, wait_page,
};

/// The device tag of a serial (protocol §7): who a code says it is for.
fn device_tag(serial: &str) -> u8 {
    let mut h = Sha256::new();
    h.update(b"rekey/v1/device-tag\0");
    h.update(serial.as_bytes());
    h.finalize()[0] >> 4
}

/// A code with one symbol changed.
fn mistyped(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

/// A wrong code, a code for another recorder, a used code, an older code after a newer one.
/// (The portal gives one verification code a minute per account, so the codes come from both
/// paths: date-window codes and challenge codes share one sequence per recorder.)
pub async fn wrong_foreign_used_and_older_codes_are_refused(sys: System) {
    let (rec, _admin, portal) =
        prepared(&sys, "NVRE2E0104", "", "saburo", "saburo@example.com").await;
    // A second recorder of the same account, with a device tag of its own.
    let other_serial = (200..300)
        .map(|i| format!("NVRE2E0{i}"))
        .find(|s| device_tag(s) != device_tag("NVRE2E0104"))
        .expect("a serial with another tag");
    let other = sys.recorder(&other_serial).await;
    let other_admin = crate::steps::activate_and_enable_cloud(&other, "").await;
    let (code, _, _) = crate::steps::registration(&other_admin).await;
    let p = crate::steps::portal_add(&portal, &code, "Back office").await;
    assert_eq!(p.notice_keys(), ["cloud-device-added"], "{}", p.body);
    crate::steps::wait_registered(&other_admin).await;
    sys.wait_key_confirmed(&other_serial, 2).await;

    let phone = owner_cli(&sys, "phone", "saburo").await;
    let anon = rec.browser();

    // For another recorder: a challenge code made for the other recorder's QR code.
    let (_, _, other_qr) = forgot(&other.browser(), Some("other@example.com")).await;
    phone
        .run(&["recover", "--qr-url", &other_qr, "--yes"], None)
        .await
        .ok("recover for the other recorder");
    let foreign = emailed_password(&sys, "other@example.com", 0).await;
    let p = enter(&anon, &foreign).await;
    refused_and_unchanged(&rec, &p, "rec-code-not-for-this-device", ADMIN_PASSWORD).await;
    assert!(
        recovery_errors(&p).contains("NVRE2E0104"),
        "names this serial"
    );

    // An older code (a date-window code from the CLI), then a newer one (from the phone).
    let older = retrieve_with_cli(
        &sys,
        &phone,
        "NVRE2E0104",
        "saburo@example.com",
        &date(0),
        &date(1),
    )
    .await;
    let (_, _, qr) = forgot(&anon, Some("admin@example.com")).await;
    phone
        .run(&["recover", "--qr-url", &qr, "--yes"], None)
        .await
        .ok("recover");
    let newer = emailed_password(&sys, "admin@example.com", 0).await;
    assert_ne!(older, newer);

    // Wrong: one symbol mistyped.
    let p = enter(&anon, &mistyped(&newer)).await;
    refused_and_unchanged(&rec, &p, "rec-code-wrong", ADMIN_PASSWORD).await;

    // The newer one works; then it is used, and the older one is dead too.
    let done = enter(&anon, &newer).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    let p = enter(&anon, &newer).await;
    refused_and_unchanged(&rec, &p, "rec-code-already-used", NEW_PASSWORD).await;
    let p = enter(&anon, &older).await;
    refused_and_unchanged(&rec, &p, "rec-code-already-used", NEW_PASSWORD).await;
}

/// A date-window code before and after its dates (the recorder's clock moved), then within.
pub async fn date_window_codes_work_only_on_their_dates(sys: System) {
    let (rec, _admin, portal) =
        prepared(&sys, "NVRE2E0105", "", "shiro", "shiro@example.com").await;
    let (from, to) = (date(0), date(1));
    let code =
        retrieve_on_portal(&sys, &portal, "NVRE2E0105", "shiro@example.com", &from, &to).await;
    let anon = rec.browser();

    rec.set_clock_offset(-3 * 86_400);
    let p = enter(&anon, &code).await;
    refused_and_unchanged(&rec, &p, "rec-code-not-yet-valid", ADMIN_PASSWORD).await;
    assert!(p.shows(&from) && p.shows(&to), "the code's dates are shown");
    assert!(p.error_keys().iter().any(|k| k == "rec-code-check-clock"));

    rec.set_clock_offset(4 * 86_400);
    let p = enter(&anon, &code).await;
    refused_and_unchanged(&rec, &p, "rec-code-expired", ADMIN_PASSWORD).await;

    rec.set_clock_offset(0);
    let done = enter(&anon, &code).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert!(admin_password_works(&rec, NEW_PASSWORD).await);
}

/// A challenge code after the challenge was replaced; a QR code with an altered address or
/// nonce; then the newest QR code works.
pub async fn replaced_challenges_and_altered_qr_codes_are_refused(sys: System) {
    let (rec, _admin, _portal) = prepared(
        &sys,
        "NVRE2E0106",
        "admin@example.com",
        "goro",
        "goro@example.com",
    )
    .await;
    let phone = owner_cli(&sys, "phone", "goro").await;
    let anon = rec.browser();

    let (_, _, first) = forgot(&anon, None).await;
    let before = sys.smtp.count_for("admin@example.com");
    phone
        .run(&["recover", "--qr-url", &first, "--yes"], None)
        .await
        .ok("recover the first QR code");
    let old = emailed_password(&sys, "admin@example.com", before).await;
    // "Forgot password?" again 20 minutes later: a new challenge replaces the first, which
    // stays valid until its own expiry (so nobody else's request spoils the owner's code);
    // after that its code says the request expired.
    rec.set_clock_offset(20 * 60);
    let (_, _, second) = forgot(&anon, None).await;
    assert_ne!(first, second);
    rec.set_clock_offset(31 * 60);
    let p = enter(&anon, &old).await;
    refused_and_unchanged(&rec, &p, "rec-code-challenge-expired", ADMIN_PASSWORD).await;

    // Someone edits the QR code's text: their own address, or another nonce.
    let email_param = second
        .split('&')
        .find(|kv| kv.starts_with("e="))
        .expect("an e= field")
        .to_owned();
    let forged_email = second.replace(&email_param, "e=thief%40evil.example");
    let nonce_param = second
        .split('&')
        .find(|kv| kv.starts_with("n="))
        .expect("an n= field")
        .to_owned();
    // The first symbol after "n=" (the last one carries padding bits and must stay).
    let mut nonce: Vec<char> = nonce_param.chars().collect();
    nonce[2] = if nonce[2] == 'A' { 'B' } else { 'A' };
    let forged_nonce = second.replace(&nonce_param, &nonce.into_iter().collect::<String>());
    for forged in [&forged_email, &forged_nonce] {
        assert_ne!(forged, &second);
        let run = phone
            .run(&["recover", "--qr-url", forged, "--yes"], None)
            .await
            .expect_code(1, "an altered QR code");
        assert_eq!(run.error_key(), "cloud-recover-qr-forged", "{}", run.stdout);
    }
    // The same refusal on the mobile page.
    let browser = sys.portal();
    portal_login(&browser, "goro", CLOUD_PASSWORD).await;
    let p = browser.open(&forged_email).await;
    assert_eq!(p.error_keys(), ["cloud-recover-qr-forged"], "{}", p.body);
    assert!(!p.has("device-name"));
    assert_eq!(sys.smtp.count_for("thief@evil.example"), 0);
    assert_eq!(sys.smtp.count_for("admin@example.com"), before + 1);
    assert!(admin_password_works(&rec, ADMIN_PASSWORD).await);

    // The newest QR code, unaltered, works.
    phone
        .run(&["recover", "--qr-url", &second, "--yes"], None)
        .await
        .ok("recover the second QR code");
    let code = emailed_password(&sys, "admin@example.com", before + 1).await;
    let done = enter(&anon, &code).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert!(admin_password_works(&rec, NEW_PASSWORD).await);
}

/// An account that does not own the recorder gets nothing, and neither does the owner once the
/// recorder was removed from the account.
pub async fn strangers_and_removed_recorders_get_nothing(sys: System) {
    let (rec, admin, portal) = prepared(
        &sys,
        "NVRE2E0107",
        "admin@example.com",
        "rokuro",
        "rokuro@example.com",
    )
    .await;
    let anon = rec.browser();
    let (_, png, url) = forgot(&anon, None).await;
    let photo = sys.path("recovery-qr.png");
    std::fs::write(&photo, &png).expect("save the QR code");

    // A stranger's phone.
    let stranger = Cli::new(&sys.cloud_url, &sys.path("stranger"));
    stranger
        .signup(&sys.smtp, "stranger@example.net", CLOUD_PASSWORD)
        .await;
    let run = stranger
        .run(
            &["recover", "--qr", photo.to_str().expect("path"), "--yes"],
            None,
        )
        .await
        .expect_code(1, "a stranger scanning the QR code");
    assert_eq!(
        run.error_key(),
        "cloud-recover-not-yours",
        "{} / {}",
        run.stdout,
        run.stderr
    );
    assert!(
        !run.message().contains("admin@") && !run.message().contains("NVRE2E0107"),
        "the refusal reveals nothing about the device: {}",
        run.message()
    );
    // A stranger's browser: 403, nothing about the device.
    let browser = sys.portal();
    crate::steps::pc_signup(&sys, &browser, "stranger2", "stranger2@example.net").await;
    let p = browser.open(&url).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert_eq!(p.error_keys(), ["cloud-recover-not-yours"], "{}", p.body);
    assert!(!p.has("device-name") && !p.has("email-masked"));
    let text_without_qr = p
        .body
        .replace(&url.replace('&', "&amp;"), "")
        .replace(&url, "");
    assert!(
        !text_without_qr.contains("admin@") && !text_without_qr.contains("a•"),
        "the address is not revealed"
    );
    // Nor Retrieve.
    let p = browser.open("/devices/NVRE2E0107/retrieve").await;
    assert!(
        !p.has("temporary-password")
            && !p
                .body
                .contains(r#"action="/devices/NVRE2E0107/retrieve/code""#),
        "{}",
        p.body
    );
    let p = browser
        .post(
            "/devices/NVRE2E0107/retrieve/code",
            &[("from", &date(0)), ("to", &date(1))],
        )
        .await;
    assert_ne!(p.status, 200, "no CSRF token, no device: {}", p.body);
    assert_eq!(
        sys.smtp.count_for("admin@example.com"),
        0,
        "nothing was sent"
    );

    // The owner removes the recorder: no more temporary passwords for it.
    let p = portal
        .submit(
            "/devices/NVRE2E0107/remove",
            "/devices/NVRE2E0107/remove",
            &[],
        )
        .await;
    assert_eq!(p.notice_keys(), ["cloud-device-removed"], "{}", p.body);
    let owner = owner_cli(&sys, "owner", "rokuro").await;
    let run = owner
        .run(
            &["recover", "--qr", photo.to_str().expect("path"), "--yes"],
            None,
        )
        .await
        .expect_code(1, "recovering a removed recorder");
    assert_eq!(
        run.error_key(),
        "cloud-recover-not-yours",
        "{} / {}",
        run.stdout,
        run.stderr
    );
    let run = owner
        .run(
            &[
                "retrieve",
                "NVRE2E0107",
                "--from",
                &date(0),
                "--to",
                &date(1),
                "--send-code-only",
            ],
            None,
        )
        .await;
    assert_ne!(run.code, 0, "{} / {}", run.stdout, run.stderr);
    let p = portal.open("/devices/NVRE2E0107/retrieve").await;
    assert!(!p.has("temporary-password"));
    assert_eq!(p.error_keys(), ["cloud-device-not-found"], "{}", p.body);
    assert_eq!(
        sys.smtp.count_for("admin@example.com"),
        0,
        "nothing was sent"
    );
    assert!(admin_password_works(&rec, ADMIN_PASSWORD).await);
    // The recorder is told it is no longer registered.
    wait_page(
        &admin,
        "/network/cloud",
        "the recorder shows a register code again",
        |p| p.has("register-code"),
    )
    .await;
}

/// Five wrong codes lock the recovery screen; it stays locked across a restart of the recorder
/// process, even for a good code; nothing changed.
pub async fn five_wrong_codes_lock_recovery_even_across_a_restart(sys: System) {
    let (mut rec, _admin, _portal) =
        prepared(&sys, "NVRE2E0108", "", "hachiro", "hachiro@example.com").await;
    let cli = owner_cli(&sys, "cli", "hachiro").await;
    let good = retrieve_with_cli(
        &sys,
        &cli,
        "NVRE2E0108",
        "hachiro@example.com",
        &date(0),
        &date(1),
    )
    .await;
    let anon = rec.browser();
    let wrong = mistyped(&good);
    for i in 1..=5 {
        let p = enter(&anon, &wrong).await;
        assert!(
            p.error_keys() == ["rec-code-wrong"] || p.has("recovery-lock"),
            "attempt {i}: {}",
            p.body
        );
        assert_eq!(p.has("recovery-lock"), i == 5, "attempt {i}: {}", p.body);
    }
    let p = enter(&anon, &good).await;
    assert!(p.has("recovery-lock"), "locked: {}", p.body);
    assert!(p.has_error("rec-recovery-locked"), "{}", p.body);
    assert!(admin_password_works(&rec, ADMIN_PASSWORD).await);

    rec.restart().await;
    let anon = rec.browser();
    let p = enter(&anon, &good).await;
    assert!(p.has("recovery-lock"), "still locked: {}", p.body);
    assert!(admin_password_works(&rec, ADMIN_PASSWORD).await);
    assert!(!admin_password_works(&rec, NEW_PASSWORD).await);
    // The agent reconnects after the restart.
    let b = rec.browser();
    recorder_login(&b, ADMIN_PASSWORD).await;
    wait_cloud_status(&b, "online").await;
    // After the lock (15 minutes by the recorder's clock) the good code works.
    rec.set_clock_offset(16 * 60);
    let done = enter(&anon, &good).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert!(admin_password_works(&rec, NEW_PASSWORD).await);
}
