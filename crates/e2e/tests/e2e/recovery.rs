//! Issue 4, recovery (manual p.18–27), across the real processes: the recorder's "Forgot
//! password?" and "Password recovery" screens, the phone path (`rekey recover` with a photo of
//! the recovery QR code, and the mobile page), the PC path (Retrieve with valid dates, on the
//! portal and with `rekey retrieve`), and every refusal — each checking its own message and
//! that nothing changed.

use sha2::{Digest, Sha256};

use crate::browser::{Browser, Page, decode_qr};
use crate::cli::Cli;
use crate::harness::{Recorder, System};
use crate::steps::{
    ADMIN_PASSWORD, CLOUD_PASSWORD, admin_password_works, portal_login, prepared, recorder_login,
    wait_cloud_status, wait_page,
};

/// The admin's new password, set with a temporary password.
pub const NEW_PASSWORD: &str = "shiro-kuma-no-uta-9";

// ------------------------------------------------------------------------------ helpers

/// The first run of exactly six digits in `text`.
fn six_digits(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len().saturating_sub(5)).find_map(|i| {
        let run: String = chars[i..i + 6].iter().collect();
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 6);
        (run.chars().all(|c| c.is_ascii_digit())
            && !before.is_some_and(|c| c.is_ascii_digit())
            && !after.is_some_and(|c| c.is_ascii_digit()))
        .then_some(run)
    })
}

/// A line that is a temporary password, `XXXX-XXXX-XXXX-XXXX`.
fn temporary_password_line(text: &str) -> Option<String> {
    text.lines().map(str::trim).find_map(|l| {
        let groups: Vec<&str> = l.split('-').collect();
        (groups.len() == 4
            && groups
                .iter()
                .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_alphanumeric())))
        .then(|| l.to_owned())
    })
}

/// Waits for the first mail to `to` after the `after`-th that `pick` accepts; returns what it
/// picked and the mail's position.
async fn next_mail<T>(
    sys: &System,
    to: &str,
    after: usize,
    what: &str,
    pick: impl Fn(&rekey_testkit::Mail) -> Option<T>,
) -> (T, usize) {
    let mut n = after + 1;
    loop {
        // `nth_for` fails the test after 20 s without that mail.
        let mail = sys.smtp.nth_for(to, n).await;
        if let Some(found) = pick(&mail) {
            return (found, n);
        }
        assert!(n < after + 10, "no {what} among the mails to {to}");
        n += 1;
    }
}

/// Waits for the e-mailed temporary password (challenge code) to `to`.
pub async fn emailed_password(sys: &System, to: &str, after: usize) -> String {
    next_mail(sys, to, after, "temporary password", |m| {
        temporary_password_line(&m.body)
    })
    .await
    .0
}

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

/// `YYYY-MM-DD` of today (UTC) plus `days`: the recorder (in its default zone, Asia/Tokyo) is on
/// that date or the next, and the portal takes ranges from the day before today in the account's
/// zone (region jp: Asia/Tokyo).
pub fn date(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// "Forgot password?" on the recorder's login screen; `email` is typed when the admin has none.
/// Returns the "Password recovery" page and the recovery QR code (PNG, URL).
pub async fn forgot(anon: &Browser, email: Option<&str>) -> (Page, Vec<u8>, String) {
    let login = anon.open("/login").await;
    assert!(login.has("forgot-password"), "{}", login.body);
    let form = anon.open("/forgot").await;
    let fields: Vec<(&str, &str)> = match email {
        Some(e) => {
            assert!(form.body.contains(r#"name="email""#), "{}", form.body);
            vec![("email", e)]
        }
        None => {
            assert!(form.has("masked-email"), "{}", form.body);
            vec![]
        }
    };
    let page = anon.submit_follow("/forgot", "/forgot", &fields).await;
    assert_eq!(page.path(), "/recovery", "{}", page.body);
    assert!(page.has("recovery-qr"), "{}", page.body);
    let (status, ct, png) = anon.get_bytes("/recovery/qr.png").await;
    assert_eq!((status, ct.as_deref()), (200, Some("image/png")));
    let url = decode_qr(&png);
    (page, png, url)
}

/// Types `code` as the security code with the new password on the recovery screen.
pub async fn enter(anon: &Browser, code: &str) -> Page {
    anon.submit_follow(
        "/recovery",
        "/recovery",
        &[
            ("code", code),
            ("password", NEW_PASSWORD),
            ("confirm", NEW_PASSWORD),
        ],
    )
    .await
}

/// The recovery screen's error messages.
fn recovery_errors(p: &Page) -> String {
    let mut out = Vec::new();
    let mut rest = p.body.as_str();
    while let Some(i) = rest.find("recovery-error") {
        rest = &rest[i..];
        let start = rest.find('>').map_or(rest.len(), |j| j + 1);
        let end = rest[start..].find("</p>").map_or(rest.len(), |j| start + j);
        out.push(rest[start..end].trim().to_owned());
        rest = &rest[end..];
    }
    out.join(" | ")
}

/// Checks the refusal is the error `key` (its catalog key) and that nothing changed: the old
/// password still works, the new one does not.
async fn refused_and_unchanged(rec: &Recorder, page: &Page, key: &str, password: &str) {
    assert_eq!(page.path(), "/recovery", "{}", page.body);
    assert!(
        page.error_keys().iter().any(|k| k == key),
        "expected {key}, the screen says: {}",
        recovery_errors(page)
    );
    assert!(
        admin_password_works(rec, password).await,
        "the password in force still works"
    );
    let other = if password == NEW_PASSWORD {
        ADMIN_PASSWORD
    } else {
        NEW_PASSWORD
    };
    assert!(
        !admin_password_works(rec, other).await,
        "the password did not change"
    );
}

/// The owner's `rekey` session (logged in with the portal account).
pub async fn owner_cli(sys: &System, name: &str, login: &str) -> Cli {
    let cli = Cli::new(&sys.cloud_url, &sys.path(name));
    cli.run(
        &["login", "--login", login, "--password-stdin"],
        Some(&format!("{CLOUD_PASSWORD}\n")),
    )
    .await
    .ok("rekey login");
    cli
}

/// Retrieve on the portal (p.22–25): Valid Date → Acquire → code from the account's mail →
/// Retrieve. Returns the temporary password shown.
pub async fn retrieve_on_portal(
    sys: &System,
    portal: &Browser,
    serial: &str,
    account_email: &str,
    from: &str,
    to: &str,
) -> String {
    let form_path = format!("/devices/{serial}/retrieve");
    let form = portal.open(&form_path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(
        form.text_of("account-email").as_deref(),
        Some(account_email),
        "the account's address is shown"
    );
    let before = sys.smtp.count_for(account_email);
    let step2 = portal
        .submit_follow(
            &form_path,
            &format!("/devices/{serial}/retrieve/code"),
            &[("from", from), ("to", to)],
        )
        .await;
    assert_eq!(step2.status, 200, "{}", step2.body);
    let csrf = step2
        .csrf()
        .unwrap_or_else(|| panic!("a code form: {}", step2.body));
    assert!(
        step2
            .body
            .contains(&format!(r#"action="/devices/{serial}/retrieve""#)),
        "step 2 (verification code) expected: {}",
        step2.body
    );
    let (code, _) = next_mail(sys, account_email, before, "verification code", |m| {
        six_digits(&m.body)
    })
    .await;
    let done = portal
        .post(
            &form_path,
            &[("csrf", &csrf), ("from", from), ("to", to), ("code", &code)],
        )
        .await;
    let done = portal.follow(done).await;
    done.text_of("temporary-password")
        .unwrap_or_else(|| panic!("a temporary password is shown: {}", done.body))
}

/// Retrieve with `rekey retrieve` in the two scripted steps.
async fn retrieve_with_cli(
    sys: &System,
    cli: &Cli,
    serial: &str,
    account_email: &str,
    from: &str,
    to: &str,
) -> String {
    let before = sys.smtp.count_for(account_email);
    let sent = cli
        .run(
            &[
                "retrieve",
                serial,
                "--from",
                from,
                "--to",
                to,
                "--send-code-only",
            ],
            None,
        )
        .await
        .ok("retrieve --send-code-only")
        .json();
    assert_eq!(sent["code_sent"], true, "{sent}");
    let (code, _) = next_mail(sys, account_email, before, "verification code", |m| {
        six_digits(&m.body)
    })
    .await;
    let got = cli
        .run(
            &[
                "retrieve", serial, "--from", from, "--to", to, "--code", &code,
            ],
            None,
        )
        .await
        .ok("retrieve --code")
        .json();
    got["password"]
        .as_str()
        .unwrap_or_else(|| panic!("a password: {got}"))
        .to_owned()
}

// ------------------------------------------------------------------------------ the flows

/// p.18–21 and p.26–27: Forgot password? → recovery QR → `rekey recover --qr PHOTO` → the
/// temporary password by e-mail → new password on the recorder; the old session is gone.
pub async fn phone_path_recovers_the_password(sys: System) {
    let (rec, admin, portal) = prepared(
        &sys,
        "NVRE2E0101",
        "admin@example.com",
        "owner",
        "owner@example.com",
    )
    .await;
    let phone = owner_cli(&sys, "phone", "owner").await;

    // p.18–19: the registered address is used, shown masked.
    let anon = rec.browser();
    let form = anon.open("/forgot").await;
    let masked = form.text_of("masked-email").expect("masked address");
    assert!(
        masked.starts_with('a') && masked.ends_with("@example.com"),
        "{masked}"
    );
    assert!(!form.body.contains("admin@example.com"));
    let (page, png, url) = forgot(&anon, None).await;
    assert!(
        url.starts_with(&format!("{}/m/recover?v=1&", sys.cloud_url)),
        "{url}"
    );
    assert!(url.contains("s=NVRE2E0101"), "{url}");
    assert!(page.text_of("recovery-email").is_some());
    let photo = sys.path("recovery-qr.png");
    std::fs::write(&photo, &png).expect("save the QR code");

    // p.20–21: scan it with the phone.
    let admin_mails = sys.smtp.count_for("admin@example.com");
    let owner_mails = sys.smtp.count_for("owner@example.com");
    let sent = phone
        .run(
            &["recover", "--qr", photo.to_str().expect("path"), "--yes"],
            None,
        )
        .await
        .ok("recover --qr")
        .json();
    assert_eq!(sent["serial"], "NVRE2E0101", "{sent}");
    assert_eq!(sent["device_name"], "NVRE2E0101", "{sent}");
    let code = emailed_password(&sys, "admin@example.com", admin_mails).await;
    // The owner is told a temporary password was issued (without it).
    let (notice, _) = next_mail(&sys, "owner@example.com", owner_mails, "notice", |m| {
        Some(m.clone())
    })
    .await;
    assert!(notice.body.contains("NVRE2E0101"), "{}", notice.body);
    assert!(
        !notice.body.contains(&code),
        "the notice does not carry the password"
    );
    // The activity page lists it.
    let activity = portal.open("/activity").await;
    let table = activity.text_of("activity").expect("the activity table");
    assert!(table.contains("NVRE2E0101"), "{table}");

    // The same QR code again: refused, no second mail.
    let again = phone
        .run(
            &["recover", "--qr", photo.to_str().expect("path"), "--yes"],
            None,
        )
        .await
        .expect_code(1, "a QR code already answered");
    assert_eq!(
        again.error_key(),
        "cloud-recover-qr-used",
        "{}",
        again.stdout
    );

    // p.26–27: the temporary password as the security code, and a new password.
    let done = enter(&anon, &code).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert_eq!(
        done.notice_keys(),
        ["rec-notice-password-reset"],
        "{}",
        done.body
    );
    // The admin's old session is gone; the new password works, the old does not.
    let p = admin.open("/network/cloud").await;
    assert_eq!(p.path(), "/login", "the old session ended");
    assert!(admin_password_works(&rec, NEW_PASSWORD).await);
    assert!(!admin_password_works(&rec, ADMIN_PASSWORD).await);
    let fresh = rec.browser();
    recorder_login(&fresh, NEW_PASSWORD).await;
    let audit = fresh.open("/audit").await;
    assert!(
        audit
            .data_values("data-event")
            .iter()
            .any(|e| e == "recovery-succeeded"),
        "{}",
        audit.body
    );
    assert_eq!(
        sys.smtp.count_for("admin@example.com"),
        admin_mails + 1,
        "exactly one temporary password was e-mailed"
    );
    // A used code is dead.
    let p = enter(&anon, &code).await;
    refused_and_unchanged(&rec, &p, "rec-code-already-used", NEW_PASSWORD).await;
}

/// The phone path in the browser: the recovery QR opens the cloud's mobile page, which asks to
/// log in first, shows the device and the masked address, and sends.
pub async fn phone_path_in_the_browser(sys: System) {
    let (rec, _admin, _portal) =
        prepared(&sys, "NVRE2E0102", "", "hanako", "hanako@example.jp").await;
    let anon = rec.browser();
    let (_, _, url) = forgot(&anon, Some("helper@example.org")).await;
    let phone = sys.portal();
    let p = phone.get(&url).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let next = p.location.clone().expect("a redirect");
    assert!(next.starts_with("/login?next="), "{next}");
    let login = phone.open(&next).await;
    let next_field = login
        .input_value("next")
        .expect("the login form carries where to go next");
    assert!(next_field.starts_with("/m/recover?"), "{next_field}");
    let p = phone
        .submit(
            &next,
            "/login",
            &[
                ("next", &next_field),
                ("login", "hanako"),
                ("password", CLOUD_PASSWORD),
            ],
        )
        .await;
    let page = phone.follow(p).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.has("device-name"), "{}", page.body);
    assert_eq!(page.text_of("device-name").as_deref(), Some("NVRE2E0102"));
    let masked = page.text_of("email-masked").expect("masked address");
    assert!(
        masked.starts_with('h') && !masked.contains("helper@"),
        "{masked}"
    );
    let before = sys.smtp.count_for("helper@example.org");
    let sent = phone
        .submit_follow(&url, "/m/recover", &[("qr", &url)])
        .await;
    assert!(sent.has("sent"), "{}", sent.body);
    let code = emailed_password(&sys, "helper@example.org", before).await;
    let done = enter(&anon, &code).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert!(admin_password_works(&rec, NEW_PASSWORD).await);
}

/// p.22–25: Retrieve on the portal with valid dates, the code on the recorder, login works.
pub async fn pc_path_recovers_the_password(sys: System) {
    let (rec, admin, portal) = prepared(&sys, "NVRE2E0103", "", "jiro", "jiro@example.com").await;
    let devices = portal.open("/devices").await;
    assert!(
        devices.body.contains("/devices/NVRE2E0103/retrieve"),
        "a Retrieve link: {}",
        devices.body
    );
    let owner_mails = sys.smtp.count_for("jiro@example.com");
    let code = retrieve_on_portal(
        &sys,
        &portal,
        "NVRE2E0103",
        "jiro@example.com",
        &date(0),
        &date(1),
    )
    .await;
    assert!(temporary_password_line(&code).is_some(), "{code}");
    // The verification code mail, then the notice.
    next_mail(&sys, "jiro@example.com", owner_mails + 1, "notice", |m| {
        m.body.contains("NVRE2E0103").then_some(())
    })
    .await;
    let activity = portal.open("/activity").await;
    assert!(
        activity
            .text_of("activity")
            .is_some_and(|t| t.contains("NVRE2E0103"))
    );

    // p.26–27, typed in lower case without hyphens, as people do.
    let anon = rec.browser();
    let done = enter(&anon, &code.replace('-', "").to_lowercase()).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert_eq!(admin.open("/network/cloud").await.path(), "/login");
    assert!(admin_password_works(&rec, NEW_PASSWORD).await);
    assert!(!admin_password_works(&rec, ADMIN_PASSWORD).await);
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
