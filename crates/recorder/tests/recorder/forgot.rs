//! "Forgot password?" under flood (issue 7, part 7): request limits that hold for a parallel
//! burst and across a restart, an audit log that folds repeats instead of losing entries,
//! bounded storage, and a stranger's request that does not spoil the owner's code.

use futures_util::future::join_all;
use rekey_proto::{RecoveryKey, TemporaryPassword};
use rekey_recorder::audit::Event;
use rekey_recorder::store::MAX_CHALLENGES_KEPT;
use rekey_testkit::browser::unescape;
use rekey_web::i18n::Arg;
use rekey_web::{Clock, Lang, random_array};

use crate::recovery::{NEW_PASSWORD, enter, prepared, prepared_with, request_challenge, window};
use crate::support::{Browser, Page, RecorderForms, TestCloud, TestRecorder, spawn_recorder_in};

/// `n` parallel "Forgot password?" POSTs from one browser (one address, one CSRF token): the
/// number accepted (a redirect to the recovery screen) and the refused pages (429).
async fn burst(rec: &TestRecorder, n: usize) -> (usize, Vec<Page>) {
    let b = Browser::new(&rec.url);
    let csrf = b.get("/forgot").await.csrf().expect("a CSRF token");
    let fields = [("csrf", csrf.as_str())];
    let pages = join_all((0..n).map(|_| b.post("/forgot", &fields))).await;
    let mut accepted = 0;
    let mut refused = Vec::new();
    for p in pages {
        match p.status {
            303 if p.location.as_deref() == Some("/recovery") => accepted += 1,
            429 => refused.push(p),
            other => panic!("unexpected answer {other}: {}", p.body),
        }
    }
    (accepted, refused)
}

fn local(rec: &TestRecorder, unix: i64) -> String {
    rec.app.config.time_zone.format(unix)
}

/// The message of a refused request: try again after `until`, rounded up to the minute shown.
fn limited(rec: &TestRecorder, until: i64) -> String {
    let minute = (until + 59).div_euclid(60) * 60;
    Lang::En.t_args(
        "rec-forgot-limited",
        &[("time", Arg::Str(local(rec, minute)))],
    )
}

/// The audit page's rows: time, event, user, client, detail, repeats (as shown).
/// The audit page's entries: time, event code (`data-event`), user, client, detail, repeats.
fn audit_rows(page: &Page) -> Vec<[String; 6]> {
    page.body
        .split("<tr class=\"audit-entry\" data-event=\"")
        .skip(1)
        .map(|row| {
            let (code, row) = row.split_once('"').unwrap_or_default();
            let row = row.split("</tr>").next().unwrap_or_default();
            let cells: Vec<String> = row
                .split("</td>")
                .filter_map(|c| c.rsplit_once('>').map(|(_, text)| unescape(text.trim())))
                .collect();
            let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
            [cell(0), code.to_owned(), cell(2), cell(3), cell(4), cell(5)]
        })
        .collect()
}

fn event(e: Event) -> String {
    e.code().to_owned()
}

fn repeated(rec: &TestRecorder, count: i64, last: i64) -> String {
    Lang::En.t_args(
        "rec-audit-repeated",
        &[
            ("count", Arg::Num(count)),
            ("last", Arg::Str(local(rec, last))),
        ],
    )
}

#[tokio::test]
async fn a_parallel_burst_gets_exactly_the_limit_even_across_a_restart() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, _key) = prepared(&mut cloud, "owner@example.com").await;
    let limits = rec.app.config.limits.forgot;
    let start = rec.clock.now();

    let (accepted, refused) = burst(&rec, 200).await;
    assert_eq!(accepted, limits.per_client as usize, "accepted of 200");
    assert!(
        refused
            .iter()
            .all(|p| p.error_keys() == ["rec-forgot-limited"]),
        "{}",
        refused[0].body
    );
    assert_eq!(refused.len(), 200 - limits.per_client as usize);
    let until = start + limits.window_secs;
    assert_eq!(
        refused[0].text_of("forgot-limited"),
        Some(limited(&rec, until)),
        "says when to try again"
    );
    assert_eq!(
        rec.app.store.challenge_rows().await.expect("rows"),
        i64::from(limits.per_client),
        "a refused request makes no challenge"
    );

    // The count is kept across a restart.
    let (dir, clock) = rec.stop().await;
    let rec = spawn_recorder_in(dir, &cloud.base, cloud.key.public(), clock).await;
    let (accepted, refused) = burst(&rec, 3).await;
    assert_eq!((accepted, refused.len()), (0, 3));

    // When the window has ended, requests are accepted again, up to the limit.
    rec.clock.advance(limits.window_secs);
    let (accepted, _) = burst(&rec, 10).await;
    assert_eq!(accepted, limits.per_client as usize);
}

#[tokio::test]
async fn the_overall_limit_holds_for_everyone_together() {
    let mut cloud = TestCloud::start().await;
    let (rec, admin, _key) = prepared_with(&mut cloud, "owner@example.com", |c| {
        c.limits.forgot.per_client = 100;
        c.limits.forgot.overall = 7;
    })
    .await;
    let start = rec.clock.now();
    let (accepted, refused) = burst(&rec, 50).await;
    assert_eq!(accepted, 7);
    assert_eq!(refused.len(), 43);
    assert_eq!(
        refused[0].text_of("forgot-limited"),
        Some(limited(
            &rec,
            start + rec.app.config.limits.forgot.window_secs
        ))
    );
    // Refusals by the overall limit are one entry for all addresses together.
    let rows = audit_rows(&admin.get("/audit").await);
    let refusals = [
        local(&rec, start),
        event(Event::RecoveryRequestRefused),
        "admin".to_owned(),
        String::new(),
        Lang::En.t("rec-audit-limit-overall"),
        repeated(&rec, 43, start),
    ];
    assert!(rows.contains(&refusals), "{rows:?}");
}

#[tokio::test]
async fn a_flood_cannot_push_an_earlier_wrong_code_off_the_audit_page() {
    let mut cloud = TestCloud::start().await;
    let (rec, admin, _key) = prepared(&mut cloud, "owner@example.com").await;
    let now = rec.clock.now();
    // A wrong code (under another key) before the flood.
    let anon = rec.browser();
    let other = RecoveryKey::from_bytes(random_array());
    enter(&anon, &window(&rec, &other, 1, 0, 0)).await;
    let wrong = [
        local(&rec, now),
        event(Event::RecoveryFailed),
        "admin".to_owned(),
        "127.0.0.1".to_owned(),
        Lang::En.t("rec-reason-wrong"),
        String::new(),
    ];
    assert!(audit_rows(&admin.get("/audit").await).contains(&wrong));
    let rows_before = rec.app.store.audit_rows().await.expect("rows");

    // More requests than the page shows.
    let (accepted, _) = burst(&rec, 600).await;
    assert_eq!(accepted, 5);
    let rows = audit_rows(&admin.get("/audit").await);
    assert!(
        rows.contains(&wrong),
        "the wrong code is still shown: {rows:?}"
    );
    let requested = [
        local(&rec, now),
        event(Event::RecoveryRequested),
        "admin".to_owned(),
        "127.0.0.1".to_owned(),
        String::new(),
        repeated(&rec, 5, now),
    ];
    let refused = [
        local(&rec, now),
        event(Event::RecoveryRequestRefused),
        "admin".to_owned(),
        "127.0.0.1".to_owned(),
        Lang::En.t("rec-audit-limit-client"),
        repeated(&rec, 595, now),
    ];
    assert!(rows.contains(&requested), "{rows:?}");
    assert!(rows.contains(&refused), "{rows:?}");
    assert_eq!(
        rec.app.store.audit_rows().await.expect("rows"),
        rows_before + 2,
        "600 requests, two entries"
    );
    assert_eq!(rec.app.store.challenge_rows().await.expect("rows"), 5);
}

#[tokio::test]
async fn a_strangers_request_does_not_spoil_the_owners_code() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, key) = prepared(&mut cloud, "owner@example.com").await;
    let serial = rec.app.identity.serial.clone();
    let owner = rec.browser();
    let mine = request_challenge(&owner).await;
    // The owner's phone gets a code for the QR shown then.
    let code =
        TemporaryPassword::issue_challenge(&key, &serial, 1, &mine.challenge).expect("issue");

    // Meanwhile a stranger presses "Forgot password?" three times: the screen shows a new QR.
    let stranger = rec.browser();
    let mut theirs = Vec::new();
    for _ in 0..3 {
        theirs.push(request_challenge(&stranger).await);
    }
    assert!(
        theirs
            .iter()
            .all(|t| t.challenge.nonce != mine.challenge.nonce)
    );
    rec.clock.advance(10 * 60);

    // The owner's code still works.
    let p = enter(&owner, &code.to_string()).await;
    assert_eq!(p.path(), "/login", "{}", p.body);
    assert_eq!(p.notice_keys(), ["rec-notice-password-reset"], "{}", p.body);
    let b = rec.browser();
    assert_eq!(
        b.login("admin", NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
    let rows = audit_rows(&b.get("/audit").await);
    assert!(
        !rows.iter().any(|r| r[1] == event(Event::RecoveryFailed)),
        "no attempt was spent: {rows:?}"
    );

    // Accepting it retired every challenge: a code for the stranger's is refused.
    let late =
        TemporaryPassword::issue_challenge(&key, &serial, 2, &theirs[2].challenge).expect("issue");
    let p = enter(&owner, &late.to_string()).await;
    assert!(p.has_error("rec-code-challenge-replaced"), "{}", p.body);
    assert_eq!(
        rec.browser().login("admin", NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
}

#[tokio::test]
async fn challenge_and_audit_rows_stay_bounded() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, _key) = prepared_with(&mut cloud, "owner@example.com", |c| {
        c.limits.forgot.per_client = 1_000;
        c.limits.forgot.overall = 1_000;
        c.limits.audit.max_rows = 50;
    })
    .await;
    let before = rec.app.store.audit_rows().await.expect("rows");
    let (accepted, _) = burst(&rec, 150).await;
    assert_eq!(accepted, 150);
    assert_eq!(
        rec.app.store.challenge_rows().await.expect("rows"),
        MAX_CHALLENGES_KEPT
    );
    assert_eq!(rec.app.store.audit_rows().await.expect("rows"), before + 1);

    // Distinct events up to the row cap: the oldest go.
    let now = rec.clock.now();
    for i in 0..100 {
        let entry = Event::LoginFailed
            .entry(now)
            .client(Some(format!("192.0.2.{i}")));
        rec.app.store.audit(&entry).await.expect("audit");
    }
    assert_eq!(rec.app.store.audit_rows().await.expect("rows"), 50);

    // Past the retention period, old entries go.
    rec.clock
        .advance(rec.app.config.limits.audit.retention_secs + 1);
    rec.app
        .store
        .audit(&Event::Logout.entry(rec.clock.now()))
        .await
        .expect("audit");
    assert_eq!(rec.app.store.audit_rows().await.expect("rows"), 1);
}
