//! Rate limits per client address (sign-ups, organizations' writes) and the
//! client's address as the server sees it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::connect_info::ConnectInfo;

/// A fixed-window counter per client address.
#[derive(Debug)]
pub struct RateLimit {
    per_window: u32,
    window: Duration,
    hits: Mutex<HashMap<Option<IpAddr>, (Instant, u32)>>,
}

impl RateLimit {
    pub fn new(per_window: u32, window: Duration) -> Self {
        Self {
            per_window,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `client`; `Err(wait)` when over the limit.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        let (start, count) = hits.entry(client).or_insert((now, 0));
        if *count >= self.per_window {
            return Err(self.window.saturating_sub(now.duration_since(*start)));
        }
        *count += 1;
        Ok(())
    }
}

impl Default for RateLimit {
    /// Ten sign-ups an hour from one address.
    fn default() -> Self {
        Self::new(10, Duration::from_secs(3600))
    }
}

/// The client's address, when the server knows it (not behind `oneshot` in tests).
pub fn client_addr(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The client's address, as an extractor.
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(&parts.extensions)))
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
}
