//! This machine's address on the local network, for `--public`: the address a phone on the same
//! Wi-Fi opens the QR codes' links at. Found without sending anything: "connecting" a UDP
//! socket only asks the routing table which local address would carry packets to an address.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// The address asked about: a documentation address (RFC 5737, TEST-NET-1) that is never in
/// use, reached through the default route like any address outside this machine.
pub const PROBE: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 9);

/// Why no address for the local network was found or accepted.
#[derive(Debug, thiserror::Error)]
pub enum LanError {
    /// No route leaves this machine (only loopback is up, or no network is connected).
    #[error(
        "this machine has no route to a network (is it connected to the Wi-Fi or LAN?); \
         name its LAN address with --public ADDR"
    )]
    NoRoute(#[source] io::Error),
    /// The address found or given is one a phone cannot open (loopback, unspecified,
    /// link-local, multicast or broadcast).
    #[error(
        "{0} is not an address a phone on the network can open; name this machine's LAN \
         address with --public ADDR (e.g. --public 192.168.1.20)"
    )]
    NotReachable(IpAddr),
    /// The address given is not one of this machine's.
    #[error("{0} is not an address of this machine; check `ip address` for its LAN address")]
    NotOurs(IpAddr, #[source] io::Error),
}

/// The address this machine uses on the local network (the one its default route leaves from).
pub fn find() -> Result<IpAddr, LanError> {
    find_via(PROBE)
}

/// The local address packets to `probe` would leave from, if a phone can open it. Sends
/// nothing.
pub fn find_via(probe: SocketAddr) -> Result<IpAddr, LanError> {
    let any = match probe {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = UdpSocket::bind((any, 0)).map_err(LanError::NoRoute)?;
    socket.connect(probe).map_err(LanError::NoRoute)?;
    let local = socket.local_addr().map_err(LanError::NoRoute)?;
    reachable(local.ip())
}

/// An address given with `--public ADDR`: one a phone can open, and one of this machine's
/// (binding a socket to it checks that; nothing is sent).
pub fn chosen(ip: IpAddr) -> Result<IpAddr, LanError> {
    let ip = reachable(ip)?;
    UdpSocket::bind((ip, 0)).map_err(|e| LanError::NotOurs(ip, e))?;
    Ok(ip)
}

/// `ip` if another device on the network can reach this machine at it.
pub fn reachable(ip: IpAddr) -> Result<IpAddr, LanError> {
    let unusable = ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || match ip {
            IpAddr::V4(v4) => v4.is_link_local() || v4.is_broadcast(),
            IpAddr::V6(v6) => v6.is_unicast_link_local(),
        };
    if unusable {
        Err(LanError::NotReachable(ip))
    } else {
        Ok(ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_addresses_a_phone_can_open_are_taken() {
        for bad in [
            "127.0.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "169.254.10.1",
            "224.0.0.1",
            "255.255.255.255",
            "fe80::1",
        ] {
            assert!(
                matches!(reachable(ip(bad)), Err(LanError::NotReachable(a)) if a == ip(bad)),
                "{bad}"
            );
        }
        for good in ["192.168.1.20", "10.0.0.7", "172.16.3.4", "2001:db8::5"] {
            assert_eq!(reachable(ip(good)).unwrap(), ip(good), "{good}");
        }
    }

    #[test]
    fn a_route_that_stays_on_this_machine_is_refused_with_a_way_out() {
        // The route to a loopback address leaves from loopback: no LAN address.
        let e = find_via(SocketAddr::from(([127, 0, 0, 1], 9))).unwrap_err();
        assert!(
            matches!(e, LanError::NotReachable(a) if a.is_loopback()),
            "{e}"
        );
        assert!(e.to_string().contains("--public ADDR"), "{e}");
    }

    #[test]
    fn the_found_address_is_usable_or_says_why_not() {
        // This depends on the machine: with a network, a usable address; without one (only
        // loopback), an error that says what to do. Never a loopback address.
        match find() {
            Ok(a) => assert!(reachable(a).is_ok(), "{a}"),
            Err(e) => {
                assert!(
                    matches!(e, LanError::NoRoute(_) | LanError::NotReachable(_)),
                    "{e}"
                );
                assert!(e.to_string().contains("--public ADDR"), "{e}");
            }
        }
    }

    #[test]
    fn a_chosen_address_must_be_this_machines() {
        assert!(matches!(
            chosen(ip("192.0.2.77")),
            Err(LanError::NotOurs(..))
        ));
        assert!(matches!(
            chosen(ip("127.0.0.1")),
            Err(LanError::NotReachable(_))
        ));
    }
}
