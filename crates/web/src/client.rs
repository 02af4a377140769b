//! The client's address, which every per-address limit counts by.
//!
//! Behind a reverse proxy every connection comes from the proxy, so the proxy's
//! `Forwarded`/`X-Forwarded-For` header names the client. Such a header is honoured only when
//! the connection comes from a configured trusted proxy ([`TrustedProxies`]); from anyone else
//! it is ignored, since a client can send any header it likes. With no trusted proxy configured
//! (the default), the peer address is the client.

use std::convert::Infallible;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The networks whose connections are reverse proxies, trusted to name the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A trusted-proxy entry that is neither an address nor a CIDR network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or a CIDR network (e.g. 10.0.0.0/8)")]
pub struct TrustedProxyError(String);

impl TrustedProxies {
    /// No trusted proxy: forwarding headers are ignored.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses entries such as `10.0.0.0/8`, `127.0.0.1` or `::1`; each may also hold several,
    /// separated by commas or spaces.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, TrustedProxyError> {
        let mut nets = Vec::new();
        for entry in entries {
            for part in entry
                .as_ref()
                .split([',', ' '])
                .filter(|p| !p.trim().is_empty())
            {
                let part = part.trim();
                let net = IpNet::from_str(part)
                    .or_else(|_| IpAddr::from_str(part).map(IpNet::from))
                    .map_err(|_| TrustedProxyError(part.to_owned()))?;
                nets.push(net);
            }
        }
        Ok(Self(nets))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether connections from `ip` are a trusted proxy's.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client of a request that arrived from `peer` with `headers`: the peer itself unless
    /// it is a trusted proxy; then the nearest address in the forwarding chain that is not a
    /// trusted proxy (walking from the right, the hops this side added last).
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers);
        let mut client = peer;
        for hop in chain.iter().rev() {
            client = canonical(*hop);
            if !self.contains(client) {
                return client;
            }
        }
        client
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(","))
    }
}

/// IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The forwarding chain, client first: the `for=` parameters of `Forwarded` (RFC 7239) if the
/// request has that header, otherwise `X-Forwarded-For`. An entry that does not parse (an
/// obfuscated or unknown node) ends the chain there: nothing left of it can be trusted.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let entries: Vec<Option<IpAddr>> = if forwarded.is_empty() {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| parse_node(s.trim()))
            .collect()
    } else {
        forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_node(v.trim().trim_matches('"')))
            })
            .collect()
    };
    // Keep only the part right of the last entry that does not parse.
    let start = entries
        .iter()
        .rposition(Option::is_none)
        .map_or(0, |i| i + 1);
    entries[start..].iter().flatten().copied().collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = IpAddr::from_str(s) {
        return Some(ip);
    }
    if let Ok(sa) = SocketAddr::from_str(s) {
        return Some(sa.ip());
    }
    let inner = s.strip_prefix('[')?.split(']').next()?;
    IpAddr::from_str(inner).ok()
}

/// A client address as per-address limits count it: an IPv4 address, or the /64 network of an
/// IPv6 address (one subscriber usually holds a whole /64). IPv4-mapped IPv6 addresses count as
/// IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressKey(IpAddr);

impl AddressKey {
    /// The key of `ip`.
    pub fn of(ip: IpAddr) -> Self {
        match canonical(ip) {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                Self(IpAddr::V6(std::net::Ipv6Addr::from(bits)))
            }
            v4 => Self(v4),
        }
    }
}

impl fmt::Display for AddressKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// The client's address of a request, as [`client_address`] worked it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The key per-address limits count this client under.
    pub fn key(&self) -> AddressKey {
        AddressKey::of(self.0)
    }
}

impl fmt::Display for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        if let Some(ip) = parts.extensions.get::<ClientIp>() {
            return Ok(*ip);
        }
        // Outside the middleware (never in the applications): the peer, never a header.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| canonical(c.0.ip()));
        Ok(ClientIp(peer))
    }
}

/// Middleware (for `axum::middleware::from_fn_with_state`) that works out the client's address
/// once per request and puts it in the request's extensions as a [`ClientIp`].
pub async fn client_address(
    axum::extract::State(trusted): axum::extract::State<Arc<TrustedProxies>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let client = trusted.client_of(peer, req.headers());
        req.extensions_mut().insert(ClientIp(client));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_headers_are_ignored() {
        let t = TrustedProxies::none();
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(t.client_of(ip("198.51.100.7"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let t = TrustedProxies::parse(&["10.0.0.0/8", "127.0.0.1"]).unwrap();
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 10.1.2.3")]);
        assert_eq!(t.client_of(ip("127.0.0.1"), &h), ip("203.0.113.9"));
        // A client cannot pass itself off as another by adding a header of its own: the proxy
        // appends the real address, which is the first untrusted one from the right.
        let h = headers(&[("x-forwarded-for", "192.0.2.1, 203.0.113.9")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        // A peer that is not trusted is the client, whatever it sends.
        assert_eq!(t.client_of(ip("203.0.113.50"), &h), ip("203.0.113.50"));
    }

    #[test]
    fn forwarded_takes_precedence_and_unknown_nodes_end_the_chain() {
        let t = TrustedProxies::parse(&["127.0.0.1"]).unwrap();
        let h = headers(&[
            (
                "forwarded",
                r#"for=192.0.2.60;proto=https, for="[2001:db8::1]:4711""#,
            ),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(t.client_of(ip("127.0.0.1"), &h), ip("2001:db8::1"));
        let h = headers(&[("forwarded", "for=192.0.2.60, for=_hidden")]);
        assert_eq!(t.client_of(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_network() {
        let a = AddressKey::of(ip("2001:db8:1:2:aaaa::1"));
        assert_eq!(a, AddressKey::of(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(a, AddressKey::of(ip("2001:db8:1:3::1")));
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(
            AddressKey::of(ip("::ffff:10.0.0.1")).to_string(),
            "10.0.0.1"
        );
    }

    #[test]
    fn entries_parse_or_say_which_does_not() {
        assert!(TrustedProxies::parse(&["10.0.0.0/8, ::1 fd00::/8"]).is_ok());
        assert_eq!(
            TrustedProxies::parse(&["10.0.0.0/33"]),
            Err(TrustedProxyError("10.0.0.0/33".into()))
        );
        let t = TrustedProxies::parse(&["127.0.0.1"]).unwrap();
        assert!(t.contains(ip("::ffff:127.0.0.1")));
    }
}
