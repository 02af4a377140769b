//! The recorder's time zone (`--time-zone`, an IANA name): its screens show times in it with
//! its name, and its local date (the dates of the portal's temporary passwords) follows its
//! daylight saving time.

use rekey_proto::TemporaryPassword;
use rekey_web::{Clock, TimeZone};

use crate::recovery::{NEW_PASSWORD, enter, prepared_with, request_challenge};
use crate::support::{RecorderForms, TestCloud};

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).expect("a zone of the bundled database")
}

#[tokio::test]
async fn the_recovery_screen_shows_its_times_in_the_recorders_zone_with_the_zones_name() {
    let mut cloud = TestCloud::start().await;
    let new_york = zone("America/New_York");
    let tz = new_york.clone();
    let (rec, _admin, _key) =
        prepared_with(&mut cloud, "owner@example.com", |c| c.time_zone = tz).await;
    let anon = rec.browser();
    let qr = request_challenge(&anon).await;
    let p = anon.get("/recovery").await;
    assert!(
        p.body.contains("data-time-zone=\"America/New_York\""),
        "{}",
        p.body
    );
    let expires = new_york.format(qr.challenge.expires_at);
    assert!(expires.ends_with(" (America/New_York)"), "{expires}");
    assert!(p.body.contains(&expires), "{expires} in {}", p.body);
}

#[tokio::test]
async fn the_recorders_date_follows_daylight_saving_time() {
    let mut cloud = TestCloud::start().await;
    let (rec, _admin, key) = prepared_with(&mut cloud, "owner@example.com", |c| {
        c.time_zone = zone("Europe/Berlin");
    })
    .await;
    // 2026-07-01T22:30Z is 00:30 on 2 July in Berlin (CEST, UTC+2); at a fixed +01:00 (CET)
    // it would still be 1 July, and a code valid on 2 July only would be refused.
    rec.clock.set(1_782_945_000);
    assert_eq!(
        rec.app.config.time_zone.date(rec.clock.now()).to_string(),
        "2026-07-02"
    );
    let day = time::Date::from_calendar_date(2026, time::Month::July, 2).expect("a date");
    let code = TemporaryPassword::issue_date_window(&key, &rec.app.identity.serial, 1, day, day)
        .expect("issue")
        .to_string();
    let anon = rec.browser();
    assert_eq!(enter(&anon, &code).await.path(), "/login");
    let b = rec.browser();
    assert_eq!(
        b.login("admin", NEW_PASSWORD).await.path(),
        "/network/cloud"
    );
}
