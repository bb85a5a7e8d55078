//! Rate limits per client (sign-ups, suggestions, organizations' writes), and
//! who the client is: the peer address, or, only when the peer is a proxy the
//! operator said to trust (`--trusted-proxy`), the address it forwarded.
//!
//! An IPv6 client is counted by its /64 (one subscriber's network), an IPv4
//! client by its address. The limiter's memory is bounded: windows expire in
//! the order they started and are pruned a few at a time on each call, and
//! when full the oldest window gives way.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::connect_info::ConnectInfo;
use axum::http::HeaderMap;

/// Most clients one limiter keeps count of at once.
pub const MAX_CLIENTS: usize = 100_000;

/// What the limiter counts by: an IPv4 address, or an IPv6 /64.
fn key(client: Option<IpAddr>) -> Option<IpAddr> {
    client.map(|ip| match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => IpAddr::V4(
            v6.to_ipv4_mapped()
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
        ),
        v4 => v4,
    })
}

#[derive(Debug, Default)]
struct Windows {
    /// Per client: when its window started and how many it has used.
    counts: HashMap<Option<IpAddr>, (Instant, u32)>,
    /// Windows in the order they started, to expire them oldest first.
    order: VecDeque<(Instant, Option<IpAddr>)>,
}

/// A fixed-window counter per client.
#[derive(Debug)]
pub struct RateLimit {
    per_window: u32,
    window: Duration,
    capacity: usize,
    windows: Mutex<Windows>,
}

impl RateLimit {
    pub fn new(per_window: u32, window: Duration) -> Self {
        Self::with_capacity(per_window, window, MAX_CLIENTS)
    }

    /// A limiter that keeps count of at most `capacity` clients.
    pub fn with_capacity(per_window: u32, window: Duration, capacity: usize) -> Self {
        Self {
            per_window,
            window,
            capacity: capacity.max(1),
            windows: Mutex::new(Windows::default()),
        }
    }

    /// Counts a request from `client`; `Err(wait)` when over the limit.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        let client = key(client);
        let now = Instant::now();
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        // Expired windows, oldest first; a few per call keeps each call short.
        for _ in 0..64 {
            match w.order.front() {
                Some(&(start, k)) if now.duration_since(start) >= self.window => {
                    w.order.pop_front();
                    if w.counts.get(&k).is_some_and(|(s, _)| *s == start) {
                        w.counts.remove(&k);
                    }
                }
                _ => break,
            }
        }
        match w.counts.get_mut(&client) {
            Some((start, count)) if now.duration_since(*start) < self.window => {
                if *count >= self.per_window {
                    return Err(self.window.saturating_sub(now.duration_since(*start)));
                }
                *count += 1;
                return Ok(());
            }
            _ => {}
        }
        // A new window for this client; when full, the oldest gives way.
        while w.counts.len() >= self.capacity {
            let Some((start, k)) = w.order.pop_front() else {
                break;
            };
            if w.counts.get(&k).is_some_and(|(s, _)| *s == start) {
                w.counts.remove(&k);
            }
        }
        w.counts.insert(client, (now, 1));
        w.order.push_back((now, client));
        Ok(())
    }

    /// How many clients it keeps count of now.
    pub fn tracked(&self) -> usize {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .counts
            .len()
    }
}

impl Default for RateLimit {
    /// Ten sign-ups an hour from one address.
    fn default() -> Self {
        Self::new(10, Duration::from_secs(3600))
    }
}

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or network (CIDR)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl Cidr {
    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            (IpAddr::V4(_), IpAddr::V6(a)) => a
                .to_ipv4_mapped()
                .is_some_and(|a| self.contains(IpAddr::V4(a))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

/// One hop of `X-Forwarded-For` or `Forwarded: for=`, as an address.
fn hop(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip);
    }
    // `[2001:db8::1]:4711`, `192.0.2.1:4711`
    if let Ok(sa) = raw.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    raw.strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

/// The forwarded hops, nearest last: `Forwarded` when sent, else `X-Forwarded-For`.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .find_map(|pair| {
                        let (k, v) = pair.split_once('=')?;
                        k.trim().eq_ignore_ascii_case("for").then_some(v)
                    })
                    .and_then(hop)
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(hop)
        .collect()
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then
/// the forwarded hops are read from the right, skipping trusted ones, and the
/// first untrusted hop is the client. `None` when the server does not know the
/// peer (a router called without a socket, in tests).
pub fn client_addr(
    extensions: &axum::http::Extensions,
    headers: &HeaderMap,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for h in forwarded_hops(headers).into_iter().rev() {
        match h {
            Some(ip) if is_trusted(ip) => client = ip,
            Some(ip) => return Some(ip),
            // An unreadable hop (`unknown`, an obfuscated name): stop at the
            // last address we could trust.
            None => return Some(client),
        }
    }
    Some(client)
}

/// The client's address, as an extractor.
pub struct ClientAddr(pub Option<IpAddr>);

impl axum::extract::FromRequestParts<super::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &super::AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(
            &parts.extensions,
            &parts.headers,
            &state.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_counts_per_address_and_then_resets() {
        let limit = RateLimit::new(2, Duration::from_millis(50));
        let (a, b) = (
            Some(IpAddr::from([10, 0, 0, 1])),
            Some(IpAddr::from([10, 0, 0, 2])),
        );
        assert!(limit.check(a).is_ok() && limit.check(a).is_ok());
        assert!(limit.check(a).is_err());
        assert!(limit.check(b).is_ok(), "another address has its own count");
        std::thread::sleep(Duration::from_millis(60));
        assert!(limit.check(a).is_ok(), "a new window starts afresh");
    }

    #[test]
    fn ipv6_counts_by_its_64_and_memory_is_bounded() {
        let limit = RateLimit::with_capacity(1, Duration::from_secs(60), 1000);
        let net = |i: u16, host: u16| {
            Some(IpAddr::V6(Ipv6Addr::new(
                0x2001, 0xdb8, 7, i, 0, 0, 0, host,
            )))
        };
        assert!(limit.check(net(1, 1)).is_ok());
        assert!(
            limit.check(net(1, 2)).is_err(),
            "another address of the same /64"
        );
        assert!(limit.check(net(2, 1)).is_ok(), "another /64");
        for i in 0..5000 {
            let _ = limit.check(net(i + 10, 1));
        }
        assert!(limit.tracked() <= 1000);
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(key(Some(mapped)), Some(IpAddr::from([192, 0, 2, 1])));
    }

    #[test]
    fn expired_windows_are_pruned_as_calls_come() {
        let limit = RateLimit::with_capacity(5, Duration::from_millis(20), 100_000);
        for i in 0..50u8 {
            let _ = limit.check(Some(IpAddr::from([10, 1, 0, i])));
        }
        std::thread::sleep(Duration::from_millis(30));
        let _ = limit.check(Some(IpAddr::from([10, 2, 0, 1])));
        assert_eq!(limit.tracked(), 1);
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        h
    }

    fn from(peer: &str) -> axum::http::Extensions {
        let mut e = axum::http::Extensions::new();
        e.insert(ConnectInfo(SocketAddr::new(peer.parse().expect("ip"), 443)));
        e
    }

    #[test]
    fn forwarded_addresses_are_read_only_from_trusted_proxies() {
        let trusted: Vec<Cidr> = ["10.0.0.0/8", "fd00::/8"]
            .iter()
            .map(|c| c.parse().expect("cidr"))
            .collect();
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        // Not a trusted peer: its headers are not believed.
        let spoof = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(
            client_addr(&from("203.0.113.7"), &spoof, &trusted),
            ip("203.0.113.7")
        );
        // Through the load balancer: the client it saw.
        let h = headers(&[("x-forwarded-for", "198.51.100.9, 10.1.2.3")]);
        assert_eq!(
            client_addr(&from("10.0.0.5"), &h, &trusted),
            ip("198.51.100.9")
        );
        // A client that sends its own X-Forwarded-For cannot pick its address:
        // read from the right, the first untrusted hop is the one the proxy saw.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9")]);
        assert_eq!(
            client_addr(&from("10.0.0.5"), &h, &trusted),
            ip("198.51.100.9")
        );
        // RFC 7239 Forwarded, with IPv6 and ports.
        let h = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.9",
        )]);
        assert_eq!(
            client_addr(&from("fd00::1"), &h, &trusted),
            ip("2001:db8::1")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_addr(&from("10.0.0.5"), &HeaderMap::new(), &trusted),
            ip("10.0.0.5")
        );
        // Nothing trusted (the default): always the peer.
        let h = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(client_addr(&from("10.0.0.5"), &h, &[]), ip("10.0.0.5"));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("not-an-ip".parse::<Cidr>().is_err());
    }
}
