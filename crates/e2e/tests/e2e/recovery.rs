//! Issue 4, recovery (manual p.18–27), across the real processes: the recorder's "Forgot
//! password?" and "Password recovery" screens, the phone path (`rekey recover` with a photo of
//! the recovery QR code, and the mobile page), the PC path (Retrieve with valid dates, on the
//! portal and with `rekey retrieve`), and the steps the other suites recover with. Every
//! refusal is in `refusals.rs`.

use crate::browser::{Browser, Page, decode_qr};
use crate::cli::Cli;
use crate::harness::{Recorder, System};
use crate::steps::{
    ADMIN_PASSWORD, CLOUD_PASSWORD, admin_password_works, prepared, recorder_login,
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
pub(crate) fn recovery_errors(p: &Page) -> String {
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
pub(crate) async fn refused_and_unchanged(rec: &Recorder, page: &Page, key: &str, password: &str) {
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
pub(crate) async fn retrieve_with_cli(
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
