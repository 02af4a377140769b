//! The launcher's addresses: loopback by default; with `--public`, the cloud on every interface
//! with links to the LAN address, and the outbox and the recorder still on loopback.

use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use rekey_local::{Addresses, Args, public_address};

fn args(extra: &[&str]) -> Args {
    Args::try_parse_from(["rekey-local"].iter().chain(extra)).expect("arguments")
}

#[test]
fn by_default_everything_stays_on_loopback() {
    let a = args(&[]);
    assert_eq!(a.public, None);
    let at = Addresses::new(&a, public_address(a.public).unwrap());
    assert_eq!(at.cloud_listen, SocketAddr::from(([127, 0, 0, 1], 8080)));
    assert_eq!(at.cloud_url, "http://127.0.0.1:8080");
    assert_eq!(at.recorder_listen, SocketAddr::from(([127, 0, 0, 1], 8081)));
    assert_eq!(at.public_warning(), None);
}

#[test]
fn public_listens_everywhere_and_links_to_the_lan_address() {
    let a = args(&["--public", "192.168.1.20"]);
    assert_eq!(a.public, Some(Some("192.168.1.20".parse().unwrap())));
    let lan: IpAddr = "192.168.1.20".parse().unwrap();
    let at = Addresses::new(&a, Some(lan));
    assert_eq!(at.cloud_listen, SocketAddr::from(([0, 0, 0, 0], 8080)));
    assert_eq!(at.cloud_url, "http://192.168.1.20:8080");
    // The recorder's web UI and the outbox are not opened to the network.
    assert_eq!(at.recorder_listen, SocketAddr::from(([127, 0, 0, 1], 8081)));
    assert_eq!(at.outbox_url, "http://127.0.0.1:8080/dev/outbox");
    let warning = at.public_warning().expect("a warning");
    for said in [
        "WARNING",
        "0.0.0.0:8080",
        "http://192.168.1.20:8080",
        "http://127.0.0.1:8080/dev/outbox",
        "127.0.0.1:8081",
        "plain HTTP",
    ] {
        assert!(warning.contains(said), "{said}: {warning}");
    }
    // The cloud and the recorder accept what the launcher gives them.
    rekey_cloud::config::Args::try_parse_from([
        "rekey-cloud".to_string(),
        format!("--listen={}", at.cloud_listen),
        format!("--base-url={}", at.cloud_url),
        "--data-dir=/nonexistent".into(),
        "--dev".into(),
    ])
    .expect("cloud arguments");
}

#[test]
fn an_ipv6_lan_address_is_bracketed_and_listened_on() {
    let lan: IpAddr = "2001:db8::5".parse().unwrap();
    let at = Addresses::new(&args(&["--public"]), Some(lan));
    assert_eq!(at.cloud_url, "http://[2001:db8::5]:8080");
    assert!(at.cloud_listen.is_ipv6() && at.cloud_listen.ip().is_unspecified());
}

#[test]
fn public_without_an_address_finds_one_or_says_what_to_do() {
    let a = args(&["--public"]);
    assert_eq!(a.public, Some(None));
    match public_address(a.public) {
        Ok(Some(ip)) => assert!(!ip.is_loopback() && !ip.is_unspecified(), "{ip}"),
        Ok(None) => panic!("--public gives an address or an error"),
        Err(e) => assert!(e.to_string().contains("--public ADDR"), "{e}"),
    }
    // An address that is not this machine's is refused before anything starts.
    let e = public_address(Some(Some("192.0.2.77".parse().unwrap()))).unwrap_err();
    assert!(e.to_string().contains("192.0.2.77"), "{e}");
}
