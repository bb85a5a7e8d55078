//! Placing addresses without coordinates: against the address points a
//! district loaded (`assetmap import addresses`, the OpenAddresses layout),
//! then through a Nominatim-compatible geocoder when one is configured
//! (`--geocoder-url`), its answers kept in the store. Each placed row keeps
//! how well it was placed (`geocode_quality`); a row that cannot be placed is
//! said so, for the importer to keep as a pending listing.

use std::collections::HashMap;

use serde_json::Value;

use crate::import::read::Table;
use crate::store::{Geocoded, Store, StoreError};

mod address;
mod nominatim;
mod points;

pub use address::{Address, AddressPoint, Quality, locate, parse, street, unit};
pub use nominatim::{Nominatim, NominatimConfig};
pub use points::read_address_points;

/// Why geocoding stopped.
#[derive(Debug, thiserror::Error)]
pub enum GeocodeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The outside geocoder could not be asked or answered nonsense.
    #[error("the geocoder at {url}: {reason}")]
    Remote { url: String, reason: String },
}

/// The property a placed row gets: `exact`, `interpolated`, `street` or `none`.
pub const QUALITY: &str = "geocode_quality";

/// Places addresses: the address points first, then the outside geocoder.
pub struct Geocoder<'a> {
    store: &'a dyn Store,
    remote: Option<Nominatim>,
    /// The points of each street asked for, read once per import.
    streets: HashMap<String, Vec<AddressPoint>>,
}

/// Where an address was placed and how well.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub lon: f64,
    pub lat: f64,
    pub quality: Quality,
}

impl<'a> Geocoder<'a> {
    pub fn new(store: &'a dyn Store, remote: Option<Nominatim>) -> Self {
        Self {
            store,
            remote,
            streets: HashMap::new(),
        }
    }

    /// Places one address (with the row's city and postcode, when it has them).
    pub async fn place(&mut self, text: &str) -> Result<Option<Placed>, GeocodeError> {
        let local = match parse(text) {
            Some(a) => {
                if !self.streets.contains_key(&a.street) {
                    let points = self.store.address_points(&a.street).await?;
                    self.streets.insert(a.street.clone(), points);
                }
                locate(&a, &self.streets[&a.street])
            }
            None => None,
        };
        let local = local.map(|(lon, lat, quality)| Placed { lon, lat, quality });
        // The address points are trusted up to an interpolation; a street-only
        // placement is the last resort when the outside geocoder knows better.
        if matches!(local, Some(p) if p.quality <= Quality::Interpolated) {
            return Ok(local);
        }
        if let Some(remote) = &self.remote {
            let key = format!("nominatim:{}", text.trim().to_uppercase());
            let answer = match self.store.cached_geocode(&key).await? {
                Some(a) => a,
                None => {
                    let a = remote.search(text).await?;
                    self.store.cache_geocode(&key, &a).await?;
                    a
                }
            };
            if let Geocoded {
                point: Some((lon, lat)),
                quality,
            } = answer
                && local.is_none_or(|l| quality < l.quality)
            {
                return Ok(Some(Placed { lon, lat, quality }));
            }
        }
        Ok(local)
    }
}

/// What placing a table's addresses did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PlaceReport {
    pub exact: usize,
    pub interpolated: usize,
    pub street: usize,
    pub none: usize,
}

impl PlaceReport {
    /// One line for the import's report.
    pub fn line(&self) -> String {
        format!(
            "geocoded {} addresses: {} exact, {} interpolated, {} on the street only, {} not found",
            self.exact + self.interpolated + self.street + self.none,
            self.exact,
            self.interpolated,
            self.street,
            self.none
        )
    }
}

/// The address of a row: the address column, with the city, state and
/// postcode columns when the row has them.
fn address_of(props: &serde_json::Map<String, Value>, field: &str) -> Option<String> {
    let text = |k: &str| {
        props
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    };
    let street = text(field)?;
    let mut parts = vec![street];
    for k in ["city", "state", "zip", "zipcode", "postcode", "postal_code"] {
        if let Some(v) = text(k) {
            parts.push(v);
        }
    }
    Some(parts.join(", "))
}

/// Places the rows of a table that have an address in `field` and no
/// coordinates: each gets a Point and `geocode_quality`; a row that cannot be
/// placed gets `geocode_quality: none` and no geometry.
pub async fn place_rows(
    table: &mut Table,
    geocoder: &mut Geocoder<'_>,
    field: &str,
) -> Result<PlaceReport, GeocodeError> {
    let mut report = PlaceReport::default();
    for row in &mut table.rows {
        if !matches!(row.geometry, Ok(None)) {
            continue;
        }
        let Some(text) = address_of(&row.properties, field) else {
            continue;
        };
        let placed = geocoder.place(&text).await?;
        let quality = placed.map_or(Quality::None, |p| p.quality);
        match quality {
            Quality::Exact => report.exact += 1,
            Quality::Interpolated => report.interpolated += 1,
            Quality::Street => report.street += 1,
            Quality::None => report.none += 1,
        }
        if let Some(p) = placed {
            row.geometry = Ok(Some(geo::Geometry::Point(geo::Point::new(p.lon, p.lat))));
        }
        row.properties
            .insert(QUALITY.into(), Value::from(quality.as_str()));
    }
    if report != PlaceReport::default() && table.crs.is_none() {
        table.crs = Some("EPSG:4326 (WGS 84), from geocoded addresses".into());
    }
    Ok(report)
}
