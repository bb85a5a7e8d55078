//! A Nominatim-compatible geocoder over HTTP, used as its usage policy asks:
//! at most one request a second by default (one at a time), an identifying
//! User-Agent, and every answer kept in the store so nothing is asked twice
//! (the caching is the caller's, `Geocoder`).

use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{GeocodeError, Quality};
use crate::store::Geocoded;

/// How to reach the geocoder.
#[derive(Debug, Clone)]
pub struct NominatimConfig {
    /// The service's base URL, e.g. `https://nominatim.openstreetmap.org`.
    pub url: String,
    /// Requests a second at most.
    pub rate: f64,
    /// Who is asking: sent in the User-Agent, as the policy requires.
    pub contact: Option<String>,
}

/// The client.
pub struct Nominatim {
    client: reqwest::Client,
    config: NominatimConfig,
    /// When the last request was sent: the next waits for its turn.
    last: Mutex<Option<Instant>>,
}

#[derive(Deserialize)]
struct Hit {
    lat: String,
    lon: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default, rename = "class")]
    class: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    place_rank: Option<u32>,
}

/// How well a hit places an address: a house (rank 30) is exact, one from
/// an interpolation line (`place`/`house`) interpolated, a street (26–27) on
/// the street; anything coarser is not a placement.
fn quality(hit: &Hit) -> Quality {
    let class = hit.category.as_deref().or(hit.class.as_deref());
    match (class, hit.kind.as_deref(), hit.place_rank) {
        (Some("place"), Some("house"), _) => Quality::Interpolated,
        (_, _, Some(r)) if r >= 28 => Quality::Exact,
        (_, _, Some(26..=27)) => Quality::Street,
        (Some("highway"), _, None) => Quality::Street,
        (Some("building"), _, None) => Quality::Exact,
        _ => Quality::None,
    }
}

impl Nominatim {
    pub fn new(config: NominatimConfig) -> Result<Self, GeocodeError> {
        let agent = format!(
            "assetmap/{} (community asset mapping{})",
            env!("CARGO_PKG_VERSION"),
            config
                .contact
                .as_deref()
                .map(|c| format!("; {c}"))
                .unwrap_or_default()
        );
        let client = reqwest::Client::builder()
            .user_agent(agent)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| GeocodeError::Remote {
                url: config.url.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            client,
            config,
            last: Mutex::new(None),
        })
    }

    /// Asks for one address: the best hit, or none.
    pub async fn search(&self, text: &str) -> Result<Geocoded, GeocodeError> {
        let fail = |reason: String| GeocodeError::Remote {
            url: self.config.url.clone(),
            reason,
        };
        // One request at a time, spaced by the rate (the lock is held while
        // waiting, so concurrent callers queue).
        let mut last = self.last.lock().await;
        if let Some(at) = *last {
            let gap = Duration::from_secs_f64(1.0 / self.config.rate.max(0.001));
            tokio::time::sleep_until(at + gap).await;
        }
        *last = Some(Instant::now());
        let url = format!("{}/search", self.config.url.trim_end_matches('/'));
        let answer = self
            .client
            .get(&url)
            .query(&[("q", text), ("format", "jsonv2"), ("limit", "1")])
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        drop(last);
        if !answer.status().is_success() {
            return Err(fail(format!("answered {}", answer.status())));
        }
        let hits: Vec<Hit> = answer
            .json()
            .await
            .map_err(|e| fail(format!("not a Nominatim answer: {e}")))?;
        let Some(hit) = hits.first() else {
            return Ok(Geocoded {
                point: None,
                quality: Quality::None,
            });
        };
        let q = quality(hit);
        let point = match (hit.lon.parse::<f64>(), hit.lat.parse::<f64>()) {
            (Ok(lon), Ok(lat))
                if q != Quality::None && crate::domain::Location::new(lon, lat).is_ok() =>
            {
                Some((lon, lat))
            }
            _ => None,
        };
        Ok(Geocoded {
            point,
            quality: if point.is_some() { q } else { Quality::None },
        })
    }
}
