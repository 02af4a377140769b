//! The command line: consistent definitions and the flags scripts rely on.

use clap::{CommandFactory, Parser};
use rekey_cli::Cli;
use rekey_cli::cli::{AccountAction, Command, DevicesAction};

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("rekey").chain(args.iter().copied()))
}

#[test]
fn definitions_are_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn global_options_go_anywhere() {
    let cli = parse(&[
        "devices",
        "list",
        "--json",
        "--cloud",
        "https://c.example",
        "--lang",
        "ja",
    ])
    .unwrap();
    assert!(cli.json);
    assert_eq!(cli.cloud.as_deref(), Some("https://c.example"));
    assert!(matches!(
        cli.command,
        Command::Devices(ref d) if matches!(d.action, Some(DevicesAction::List))
    ));
    assert!(parse(&["--lang", "fr", "account"]).is_err());
}

#[test]
fn signup_runs_in_two_non_interactive_steps() {
    let step1 = parse(&[
        "signup",
        "--region",
        "jp",
        "--email",
        "a@b.jp",
        "--send-code-only",
    ])
    .unwrap();
    let Command::Signup(s) = step1.command else {
        panic!()
    };
    assert!(s.send_code_only && s.code.is_none());
    let step2 = parse(&[
        "signup",
        "--email",
        "a@b.jp",
        "--code",
        "123456",
        "--password-stdin",
        "--accept-agreement",
    ])
    .unwrap();
    let Command::Signup(s) = step2.command else {
        panic!()
    };
    assert_eq!(s.code.as_deref(), Some("123456"));
    assert!(s.password_stdin && s.accept_agreement);
    // A code and "only send the code" contradict each other.
    assert!(parse(&["signup", "--code", "1", "--send-code-only"]).is_err());
}

#[test]
fn devices_add_needs_exactly_one_source() {
    assert!(parse(&["devices", "add", "--name", "Shop"]).is_err());
    assert!(parse(&["devices", "add", "--code", "X", "--qr", "a.png"]).is_err());
    assert!(parse(&["devices", "add", "--qr", "a.png"]).is_ok());
    assert!(parse(&["recover"]).is_err());
    assert!(parse(&["recover", "--qr", "a.png", "--yes"]).is_ok());
}

#[test]
fn account_defaults_to_show_and_takes_set_commands() {
    let Command::Account(a) = parse(&["account"]).unwrap().command else {
        panic!()
    };
    assert!(a.action.is_none());
    let Command::Account(a) = parse(&["account", "set-email", "n@b.jp", "--code", "9"])
        .unwrap()
        .command
    else {
        panic!()
    };
    assert!(
        matches!(a.action, Some(AccountAction::SetEmail(ref e)) if e.code.as_deref() == Some("9"))
    );
    assert!(parse(&["account", "set-password", "--password-stdin"]).is_ok());
}

#[test]
fn retrieve_needs_both_dates() {
    assert!(parse(&["retrieve", "RK12AB34", "--from", "2026-11-02"]).is_err());
    assert!(
        parse(&[
            "retrieve",
            "Shop",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03"
        ])
        .is_ok()
    );
}
