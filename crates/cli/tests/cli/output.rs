//! Output for people (tables, fields) and for scripts (`--json`).

use rekey_cli::api::Device;
use rekey_cli::commands::devices::devices_table;
use rekey_cli::output::{Output, clean, display_width, duration, fields, table, time};
use rekey_web::Lang;

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
    let en = Lang::En;
    let human = devices_table(en, &devices, &utc);
    // Columns separated by at least two spaces: the catalog's headers, then one row each.
    let cells = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    let lines: Vec<&str> = human.lines().collect();
    let headers = [
        "cli-col-name",
        "cli-col-serial",
        "cli-col-status",
        "cli-col-last-seen",
        "cli-col-added",
    ]
    .map(|k| en.t(k));
    assert_eq!(cells(lines[0]), headers, "{human}");
    assert_eq!(
        cells(lines[1]),
        [
            "Shop".to_string(),
            "RK12AB34".into(),
            en.t("cli-device-online"),
            "2026-11-02 01:15 UTC".into(),
            "2026-10-01 00:00 UTC".into(),
        ]
    );
    assert_eq!(
        cells(lines[2])[..4],
        [
            "Home".to_string(),
            "RK55CD66".into(),
            en.t("cli-device-offline"),
            en.t("cli-never"),
        ]
    );
    // Aligned: every row's second column starts where the header's does.
    let serial_at = lines[0].find(&headers[1]).unwrap();
    assert!(
        lines[1..].iter().all(|l| l[serial_at..].starts_with("RK")),
        "{human}"
    );
    // In the account's zone, named, as the portal shows them.
    let tokyo = rekey_web::TimeZone::parse("Asia/Tokyo").unwrap();
    assert!(
        devices_table(en, &devices, &tokyo)
            .contains("2026-11-02 10:15 JST (Asia/Tokyo)  2026-10-01 09:00 JST (Asia/Tokyo)")
    );
    let json = Output::new(true).render(&human, &serde_json::json!({ "devices": devices }));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["devices"][0]["serial"], "RK12AB34");
    assert_eq!(v["devices"][1]["last_seen"], serde_json::Value::Null);
    assert_eq!(Output::new(false).render(&human, &v), human.trim_end());
    assert_eq!(devices_table(en, &[], &utc), en.t("cli-no-devices"));
}

#[test]
fn text_from_the_cloud_cannot_drive_the_terminal() {
    let evil = device("RK12AB34", "Shop\u{1b}[2J\u{7}\nX", false);
    let t = devices_table(Lang::En, &[evil], &rekey_web::TimeZone::utc());
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
