//! What the client checks on its own before asking the cloud.

use rekey_cli::api::Device;
use rekey_cli::cli::LangArg;
use rekey_cli::commands::devices::{DeviceLookupError, find_device, parse_register_code};
use rekey_cli::lang::resolve_with;
use rekey_web::Lang;

use crate::support::registration_url;

#[test]
fn a_mistyped_register_code_is_caught_at_once() {
    let (_, code) = registration_url();
    let compact = code.compact();
    let en = Lang::En;
    assert_eq!(parse_register_code(en, &code.to_string()).unwrap(), code);
    assert_eq!(
        parse_register_code(en, &compact.to_lowercase()).unwrap(),
        code
    );
    let mistyped = en.t("cli-register-code-mistyped");
    // Change one character.
    let mut chars: Vec<char> = compact.chars().collect();
    chars[3] = if chars[3] == 'A' { 'B' } else { 'A' };
    let changed: String = chars.iter().collect();
    let err = parse_register_code(en, &changed).unwrap_err().to_string();
    assert_eq!(err, mistyped);
    // Swap two different neighbours.
    let mut chars: Vec<char> = compact.chars().collect();
    let i = (0..chars.len() - 1)
        .find(|&i| chars[i] != chars[i + 1])
        .unwrap();
    chars.swap(i, i + 1);
    let swapped: String = chars.iter().collect();
    let err = parse_register_code(en, &swapped).unwrap_err().to_string();
    assert_eq!(err, mistyped);
}

#[test]
fn a_malformed_register_code_says_what_is_wrong() {
    let en = Lang::En;
    let err = parse_register_code(en, "ABCD-EFGH")
        .unwrap_err()
        .to_string();
    let length = en.t_args(
        "cli-register-code-length",
        &[("expected", 12.into()), ("found", 8.into())],
    );
    assert_eq!(err, length);
    let err = parse_register_code(en, "ABCD-EFGH-JK!N")
        .unwrap_err()
        .to_string();
    let character = en.t_args(
        "cli-register-code-character",
        &[("character", "'!'".into()), ("position", 13.into())],
    );
    assert_eq!(err, character);
}

fn dev(serial: &str, name: &str) -> Device {
    Device {
        serial: serial.into(),
        name: name.into(),
        online: false,
        last_seen: None,
        added_at: String::new(),
    }
}

#[test]
fn devices_are_named_by_serial_or_name() {
    let devices = vec![
        dev("RK12AB34", "Shop"),
        dev("RK55CD66", "Home"),
        dev("RK77EF88", "home"),
        dev("RK99GH00", "Twin"),
        dev("RK99GH11", "Twin"),
    ];
    assert_eq!(find_device(&devices, "rk12ab34").unwrap().name, "Shop");
    assert_eq!(find_device(&devices, " Shop ").unwrap().serial, "RK12AB34");
    assert_eq!(find_device(&devices, "shop").unwrap().serial, "RK12AB34");
    // An exact name wins over a case-insensitive one.
    assert_eq!(find_device(&devices, "home").unwrap().serial, "RK77EF88");
    let err = find_device(&devices, "Twin").unwrap_err();
    assert!(
        matches!(&err, DeviceLookupError::Ambiguous { query, serials }
            if query == "Twin" && serials == "RK99GH00, RK99GH11"),
        "{err:?}"
    );
    let err = find_device(&devices, "Garage").unwrap_err();
    assert_eq!(
        err.message(Lang::En),
        Lang::En.t_args("cli-device-not-found", &[("query", "\"Garage\"".into())])
    );
}

#[test]
fn dates_and_windows_are_checked() {
    use rekey_cli::commands::recover::{check_window, parse_date};
    let en = Lang::En;
    let a = parse_date(en, "--from", "2026-11-02").unwrap();
    let b = parse_date(en, "--to", "2026-11-09").unwrap();
    assert!(check_window(en, a, b).is_ok());
    assert!(check_window(en, a, a).is_ok());
    let err = check_window(en, b, a).unwrap_err().to_string();
    assert_eq!(err, en.t("cli-window-reversed"));
    let c = parse_date(en, "--to", "2026-11-10").unwrap();
    assert_eq!(
        check_window(en, a, c).unwrap_err().to_string(),
        en.t_args(
            "cli-window-too-long",
            &[("max", 8.into()), ("days", 9.into())]
        )
    );
    let err = parse_date(en, "--from", "02/11/2026")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        en.t_args(
            "cli-bad-date",
            &[("flag", "--from".into()), ("text", "\"02/11/2026\"".into())]
        )
    );
    assert!(parse_date(en, "--from", "2026-02-30").is_err());
}

#[test]
fn language_comes_from_the_flag_or_the_locale() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(
        resolve_with(Some(LangArg::En), env(&[("LANG", "ja_JP.UTF-8")])),
        Lang::En
    );
    assert_eq!(
        resolve_with(None, env(&[("LANG", "ja_JP.UTF-8")])),
        Lang::Ja
    );
    assert_eq!(
        resolve_with(
            None,
            env(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "ja_JP.UTF-8")])
        ),
        Lang::En
    );
    assert_eq!(
        resolve_with(None, env(&[("LC_ALL", ""), ("LANG", "ja_JP")])),
        Lang::Ja
    );
    assert_eq!(resolve_with(None, env(&[("LANG", "C")])), Lang::En);
    // REKEY_LANG comes after the flag and before the locale; a value it does not name is
    // passed over.
    assert_eq!(
        resolve_with(
            None,
            env(&[("REKEY_LANG", "ja"), ("LC_ALL", "en_US.UTF-8")])
        ),
        Lang::Ja
    );
    assert_eq!(
        resolve_with(Some(LangArg::En), env(&[("REKEY_LANG", "ja")])),
        Lang::En
    );
    assert_eq!(
        resolve_with(None, env(&[("REKEY_LANG", "en"), ("LANG", "ja_JP.UTF-8")])),
        Lang::En
    );
    assert_eq!(
        resolve_with(None, env(&[("REKEY_LANG", "fr"), ("LANG", "ja_JP.UTF-8")])),
        Lang::Ja
    );
    assert_eq!(resolve_with(None, env(&[])), Lang::En);
}
