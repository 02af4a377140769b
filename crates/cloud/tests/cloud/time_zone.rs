//! Each account's time zone: pages and mail show times in it with the zone's name, Retrieve's
//! "From" starts on today there, user information and the API change it, and accounts made
//! before it existed get their region's default at the next start.

use rekey_web::{Clock, Lang, TimeZone};
use serde_json::json;

use crate::recovery::{challenge, owner_with_recorder, password_in, qr_url};
use crate::support::{TestApp, between, value_of};

/// 2026-12-06T17:52:00Z: 02:52 on 7 December in Tokyo, still the 6th in UTC.
const AFTER_MIDNIGHT_IN_TOKYO: i64 = 1_796_579_520;

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).expect("a zone of the bundled database")
}

/// The path and query of a recovery QR's URL.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/".into(), |i| rest[i..].to_string())
}

/// The zone a page says its times are in (`<body data-time-zone>`).
fn page_zone(page: &str) -> Option<String> {
    between(page, "<body data-time-zone=\"", "\"")
}

pub async fn retrieve_starts_on_today_in_the_accounts_time_zone(app: TestApp) {
    app.clock.set(AFTER_MIDNIGHT_IN_TOKYO);
    owner_with_recorder(&app, "tokyo1", "NVR0801", 81).await;
    let (status, page) = app.get("/devices/NVR0801/retrieve").await;
    assert_eq!(status, 200, "{page}");
    // A Japanese account (region jp: Asia/Tokyo) after midnight: its today, not UTC's.
    assert_eq!(value_of(&page, "from").as_deref(), Some("2026-12-07"));
    assert_eq!(value_of(&page, "to").as_deref(), Some("2026-12-13"));
    assert_eq!(
        between(&page, "data-today=\"", "\"").as_deref(),
        Some("2026-12-07")
    );
    assert!(page.contains("id=\"valid-date-hint\""), "{page}");
    // That range is accepted, and so is one starting on the UTC date (a recorder west of the
    // account); one starting two days back is not.
    for (from, to, accepted) in [
        ("2026-12-07", "2026-12-13", true),
        ("2026-12-06", "2026-12-06", true),
        ("2026-12-05", "2026-12-06", false),
    ] {
        let before = app.smtp.count_for("tokyo1@example.com");
        let (_, _, page) = app
            .post(
                "/devices/NVR0801/retrieve",
                "/devices/NVR0801/retrieve/code",
                &[("from", from), ("to", to)],
            )
            .await;
        let asked_for_the_code = page.contains("action=\"/devices/NVR0801/retrieve\"");
        assert_eq!(asked_for_the_code, accepted, "{from}..{to}: {page}");
        if accepted {
            app.smtp.nth_for("tokyo1@example.com", before + 1).await;
        }
        app.clock.advance(61); // one code request a minute
    }
}

pub async fn pages_and_mail_show_times_in_the_accounts_zone_and_follow_its_change(app: TestApp) {
    app.clock.set(AFTER_MIDNIGHT_IN_TOKYO);
    let rec = owner_with_recorder(&app, "tokyo2", "NVR0802", 82).await;
    let tokyo = zone("Asia/Tokyo");

    // The recovery QR's page (phone), the code mail and the notice: Tokyo time, named.
    let c = challenge(&app, "admin@shop.example", 21);
    let link = path_of(&qr_url(&app, &rec, &c));
    let (status, page) = app.get(&link).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page_zone(&page).as_deref(), Some("Asia/Tokyo"));
    let until = tokyo.format(c.expires_at);
    assert_eq!(until, "2026-12-07 03:22 JST (Asia/Tokyo)");
    assert!(page.contains(&until), "{until}: {page}");
    let qr = value_of(&page, "qr").expect("the QR travels in the form");
    let (_, _, page) = app.post(&link, "/m/recover", &[("qr", &qr)]).await;
    assert!(page.contains(&until), "{until}: {page}");
    let mail = app.smtp.nth_for("admin@shop.example", 1).await;
    password_in(&mail.body);
    assert!(mail.body.contains(&until), "{}", mail.body);
    let notice = app.smtp.nth_for("tokyo2@example.com", 2).await;
    let sent_at = tokyo.format(app.clock.now());
    assert!(notice.body.contains(&sent_at), "{sent_at}: {}", notice.body);
    let (_, activity) = app.get("/activity").await;
    assert!(activity.contains(&sent_at), "{sent_at}: {activity}");

    // Another zone in user information: the pages follow it.
    let (status, _, page) = app
        .post(
            "/account",
            "/account/time-zone",
            &[("time_zone", "America/New_York")],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        between(&page, "id=\"time-zone\">", "<").as_deref(),
        Some("America/New_York")
    );
    assert_eq!(page_zone(&page).as_deref(), Some("America/New_York"));
    let new_york = zone("America/New_York");
    let (_, activity) = app.get("/activity").await;
    let shown = new_york.format(app.clock.now());
    assert_eq!(shown, "2026-12-06 12:52 EST (America/New_York)");
    assert!(activity.contains(&shown), "{shown}: {activity}");
    assert!(!activity.contains("(Asia/Tokyo)"), "{activity}");
    // And so does Retrieve's "From": still 6 December in New York.
    let (_, page) = app.get("/devices/NVR0802/retrieve").await;
    assert_eq!(value_of(&page, "from").as_deref(), Some("2026-12-06"));

    // A fixed offset or a made-up name is refused; the zone stays.
    for bad in ["+09:00", "JST", "Mars/Olympus_Mons"] {
        let (_, _, page) = app
            .post("/account", "/account/time-zone", &[("time_zone", bad)])
            .await;
        assert!(
            page.contains(&Lang::En.t("cloud-time-zone-unknown")),
            "{bad}: {page}"
        );
    }
    let account = app.state.store.account_by_login("tokyo2").await.unwrap();
    assert_eq!(
        account.map(|a| a.time_zone.name().to_string()).as_deref(),
        Some("America/New_York")
    );
}

pub async fn the_api_shows_and_changes_the_time_zone(app: TestApp) {
    app.signup_pc(
        "tokyo3",
        "tokyo3@example.com",
        "correct horse battery staple",
    )
    .await;
    let (status, body) = app
        .api(
            "POST",
            "/login",
            None,
            json!({"login": "tokyo3", "password": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    let (_, account) = app.api("GET", "/account", Some(&token), json!({})).await;
    assert_eq!(account["time_zone"], "Asia/Tokyo", "the region's default");
    let (status, account) = app
        .api(
            "POST",
            "/account/time-zone",
            Some(&token),
            json!({"time_zone": "europe/berlin"}),
        )
        .await;
    assert_eq!(
        (status, account["time_zone"].as_str()),
        (200, Some("Europe/Berlin"))
    );
    let (status, body) = app
        .api(
            "POST",
            "/account/time-zone",
            Some(&token),
            json!({"time_zone": "+01:00"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("cloud-time-zone-unknown"))
    );
}

/// Accounts made before accounts had a time zone get their region's default, as configured, at
/// the next start.
pub async fn earlier_accounts_get_their_regions_time_zone_at_the_next_start(app: TestApp) {
    app.signup_pc(
        "tokyo4",
        "tokyo4@example.com",
        "correct horse battery staple",
    )
    .await;
    let pool = &app.state.store.db.pool;
    sqlx::query("UPDATE accounts SET time_zone = NULL WHERE username = 'tokyo4'")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO housekeeping (task) VALUES ('account-time-zones')")
        .execute(pool)
        .await
        .unwrap();
    let mut app = app.stop().await;
    app.config
        .region_time_zones
        .iter_mut()
        .filter(|(region, _)| region == "jp")
        .for_each(|(_, z)| *z = zone("Asia/Seoul"));
    let app = app.restart().await;
    let account = app.state.store.account_by_login("tokyo4").await.unwrap();
    assert_eq!(
        account.map(|a| a.time_zone.name().to_string()).as_deref(),
        Some("Asia/Seoul")
    );
    let left = sqlx::query("SELECT task FROM housekeeping")
        .fetch_all(&app.state.store.db.pool)
        .await
        .unwrap();
    assert!(left.is_empty(), "the task is done once");
}

/// User information's time zone field in each language: its label from the catalog, the
/// account's zone chosen in the list.
pub async fn the_time_zone_field_renders_in_each_language(app: TestApp) {
    app.signup_pc(
        "tokyo5",
        "tokyo5@example.com",
        "correct horse battery staple",
    )
    .await;
    for lang in [Lang::Ja, Lang::En] {
        let page = app
            .http
            .get(app.url("/account"))
            .header("accept-language", lang.code())
            .send()
            .await
            .expect("GET /account")
            .text()
            .await
            .expect("the page");
        assert!(
            page.contains(&format!("<html lang=\"{}\">", lang.code())),
            "{page}"
        );
        for key in ["cloud-field-time-zone", "cloud-change-time-zone"] {
            assert!(
                page.contains(&lang.t(key)),
                "{key} in {}: {page}",
                lang.code()
            );
        }
        assert!(page.contains("<select name=\"time_zone\" id=\"time-zone-choice\">"));
        assert!(
            page.contains("<option value=\"Asia/Tokyo\" selected>"),
            "{page}"
        );
        assert!(page.contains("<optgroup label=\"Europe\">"), "{page}");
    }
}
