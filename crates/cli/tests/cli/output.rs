//! Output for people (tables, fields) and for scripts (`--json`).

use rekey_cli::api::Device;
use rekey_cli::commands::devices::devices_table;
use rekey_cli::output::{Output, clean, display_width, duration, fields, table, time};

fn device(serial: &str, name: &str, online: bool) -> Device {
    Device {
        serial: serial.into(),
        name: name.into(),
        online,
        last_seen: online.then(|| "2026-11-02T10:15:00+09:00".to_string()),
        added_at: "2026-10-01T00:00:00Z".into(),
    }
}

#[test]
fn tables_align_by_display_width() {
    let t = table(
        &["NAME", "SERIAL"],
        &[
            vec!["店舗入口".into(), "RK12AB34".into()],
            vec!["Back".into(), "RK99".into()],
        ],
    );
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[0], "NAME      SERIAL");
    assert_eq!(lines[1], "店舗入口  RK12AB34");
    assert_eq!(lines[2], "Back      RK99");
    assert_eq!(display_width("店舗入口"), 8);
}

#[test]
fn device_list_for_people_and_for_scripts() {
    let devices = vec![
        device("RK12AB34", "Shop", true),
        device("RK55CD66", "Home", false),
    ];
    let utc = rekey_web::TimeZone::utc();
    let human = devices_table(&devices, &utc);
    assert!(
        human.starts_with("NAME  SERIAL    STATUS   LAST SEEN             ADDED"),
        "{human}"
    );
    assert!(human.contains("Shop  RK12AB34  online   2026-11-02 01:15 UTC  2026-10-01 00:00 UTC"));
    assert!(human.contains("Home  RK55CD66  offline  never"));
    // In the account's zone, named, as the portal shows them.
    let tokyo = rekey_web::TimeZone::parse("Asia/Tokyo").unwrap();
    assert!(
        devices_table(&devices, &tokyo)
            .contains("2026-11-02 10:15 JST (Asia/Tokyo)  2026-10-01 09:00 JST (Asia/Tokyo)")
    );
    let json = Output::new(true).render(&human, &serde_json::json!({ "devices": devices }));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["devices"][0]["serial"], "RK12AB34");
    assert_eq!(v["devices"][1]["last_seen"], serde_json::Value::Null);
    assert_eq!(Output::new(false).render(&human, &v), human.trim_end());
    assert!(devices_table(&[], &utc).starts_with("No devices yet"));
}

#[test]
fn text_from_the_cloud_cannot_drive_the_terminal() {
    let evil = device("RK12AB34", "Shop\u{1b}[2J\u{7}\nX", false);
    let t = devices_table(&[evil], &rekey_web::TimeZone::utc());
    assert!(!t.contains('\u{1b}') && !t.contains('\u{7}'), "{t:?}");
    assert_eq!(t.lines().count(), 2);
    assert_eq!(clean("a\u{1b}b\nc"), "a\u{FFFD}b\nc");
    assert!(!fields(&[("Name", "x\u{1b}]0;t\u{7}".into())]).contains('\u{1b}'));
}

#[test]
fn fields_times_and_durations_read_well() {
    assert_eq!(
        fields(&[
            ("Username", "taro".into()),
            ("E-mail", "t@example.jp".into())
        ]),
        "Username:  taro\nE-mail:    t@example.jp\n"
    );
    assert_eq!(time("2026-11-02T09:00:00+09:00"), "2026-11-02 00:00 UTC");
    assert_eq!(time("not a time"), "not a time");
    assert_eq!(duration(600), "10 minutes");
    assert_eq!(duration(1), "1 second");
    assert_eq!(duration(90), "90 seconds");
    assert_eq!(duration(7200), "2 hours");
}

#[test]
fn json_output_has_no_spinner() {
    assert!(!rekey_cli::ui::Spinner::new(true).is_enabled());
    assert!(!rekey_cli::ui::Spinner::hidden().is_enabled());
}
