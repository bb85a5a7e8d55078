//! Reading GeoJSON files into assets, schools and catchments (`assets`,
//! `areas`), and writing them through the service and the store (`run`).
//!
//! A real file has flaws: features with null or broken geometry, unknown
//! categories, missing names. Each bad feature is skipped with a one-line
//! reason; everything else goes in. Nothing a file brings is silently dropped:
//! properties the model does not name are kept as extra properties.

use geo::{MultiPolygon, Orient, orient::Direction};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::domain::Location;
use crate::domain::asset::MODEL_PROPERTIES;

mod areas;
mod assets;
pub mod run;

pub use areas::{KeyedArea, parse_areas, parse_catchments, parse_schools};
pub use assets::parse_assets;

/// Why a whole file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not a GeoJSON FeatureCollection: {0}")]
    NotFeatureCollection(String),
    #[error("school year {0:?} is not of the form YYYY-YYYY")]
    Year(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The result of reading a file: the values, the features skipped and why, and
/// warnings about values that went in changed.
#[derive(Debug)]
pub struct Parsed<T> {
    pub items: Vec<T>,
    /// (feature number counted from 1, reason)
    pub skipped: Vec<(usize, String)>,
    pub warnings: Vec<String>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// How to read an assets file.
#[derive(Debug, Clone)]
pub struct AssetProperties {
    pub name: String,
    pub category: String,
    /// Property holding the source's id; `None` uses the Feature's `id`.
    pub id: Option<String>,
    /// Provenance when a feature has no `source` property.
    pub source: String,
}

impl Default for AssetProperties {
    fn default() -> Self {
        Self {
            name: "name".into(),
            category: "category".into(),
            id: None,
            source: "import".into(),
        }
    }
}

/// How to read a schools file.
#[derive(Debug, Clone)]
pub struct SchoolProperties {
    pub id: String,
    pub name: String,
    pub level: Option<String>,
}

#[derive(Deserialize)]
struct RawCollection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawFeature {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    geometry: Option<Value>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
}

/// Splits a FeatureCollection into its features without building them all at once.
fn features(text: &str) -> Result<Vec<&RawValue>, ImportError> {
    let fc: RawCollection =
        serde_json::from_str(text).map_err(|e| ImportError::NotFeatureCollection(e.to_string()))?;
    if fc.kind != "FeatureCollection" {
        return Err(ImportError::NotFeatureCollection(format!(
            "type is {:?}",
            fc.kind
        )));
    }
    Ok(fc.features)
}

/// Each feature numbered from 1, read, or the reason it is not a Feature.
fn numbered(
    text: &str,
) -> Result<impl Iterator<Item = (usize, Result<RawFeature, String>)>, ImportError> {
    Ok(features(text)?.into_iter().enumerate().map(|(i, raw)| {
        (
            i + 1,
            serde_json::from_str(raw.get()).map_err(|e| format!("not a Feature: {e}")),
        )
    }))
}

/// A property value as text: strings as they are, numbers and booleans printed,
/// null and empty strings as `None`.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list property: a JSON array of strings, or one comma/semicolon separated string.
fn list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        Value::String(s) => s
            .split([',', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// A point from a GeoJSON geometry; polygons are reduced to an interior point.
fn point(geometry: &Option<Value>) -> Result<(Location, Option<&'static str>), String> {
    let Some(g) = geometry.as_ref().filter(|g| !g.is_null()) else {
        return Err("null geometry".into());
    };
    let g: geojson::Geometry =
        serde_json::from_value(g.clone()).map_err(|e| format!("invalid geometry: {e}"))?;
    let (lon, lat, note) = match &g.value {
        geojson::GeometryValue::Point { coordinates } => {
            let c = coordinates.as_slice();
            if c.len() < 2 {
                return Err("a Point needs two coordinates".into());
            }
            (c[0], c[1], None)
        }
        geojson::GeometryValue::Polygon { .. } | geojson::GeometryValue::MultiPolygon { .. } => {
            use geo::InteriorPoint;
            let mp = multipolygon(&g.value)?;
            let p = mp.interior_point().ok_or("empty polygon")?;
            (p.x(), p.y(), Some("polygon reduced to an interior point"))
        }
        other => return Err(format!("a {} cannot locate an asset", other.type_name())),
    };
    Location::new(lon, lat)
        .map(|l| (l, note))
        .map_err(|e| format!("invalid coordinates: {e}"))
}

/// A MultiPolygon from a Polygon or MultiPolygon geometry value, checked and
/// oriented per RFC 7946 (exteriors counter-clockwise).
fn multipolygon(g: &geojson::GeometryValue) -> Result<MultiPolygon<f64>, String> {
    use geojson::GeometryValue as G;
    let polygons: Vec<&geojson::PolygonType> = match g {
        G::Polygon { coordinates } => vec![coordinates],
        G::MultiPolygon { coordinates } => coordinates.iter().collect(),
        other => return Err(format!("a {} is not an area", other.type_name())),
    };
    if polygons.is_empty() {
        return Err("empty polygon".into());
    }
    for rings in &polygons {
        if rings.is_empty() {
            return Err("a polygon needs an exterior ring".into());
        }
        for ring in rings.iter() {
            if ring.len() < 4 {
                return Err("a polygon ring needs at least 4 positions".into());
            }
            if ring.first() != ring.last() {
                return Err("a polygon ring is not closed".into());
            }
            for p in ring.iter() {
                match p.as_slice() {
                    [x, y, ..] => {
                        Location::new(*x, *y).map_err(|e| format!("invalid coordinates: {e}"))?;
                    }
                    _ => return Err("a position needs two coordinates".into()),
                }
            }
        }
    }
    let mp = match g {
        G::Polygon { .. } => MultiPolygon(vec![
            geo::Polygon::<f64>::try_from(g).map_err(|e| format!("invalid polygon: {e}"))?,
        ]),
        _ => MultiPolygon::<f64>::try_from(g).map_err(|e| format!("invalid polygon: {e}"))?,
    };
    Ok(mp.orient(Direction::Default))
}

/// Keeps a property the model does not use, renaming it when its name is one the
/// model owns.
fn keep_extra(extra: &mut Map<String, Value>, key: &str, value: Value) {
    if MODEL_PROPERTIES.contains(&key) {
        extra.insert(format!("file_{key}"), value);
    } else {
        extra.insert(key.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use uuid::Uuid;

    use super::*;
    use crate::domain::{SchoolYear, Status};

    #[test]
    fn assets_keep_every_property_and_skip_bad_features() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","geometry":{"type":"Point","coordinates":[-122.3,47.6]},
           "properties":{"id":"x:1","name":"Green Lake Park","category":"park","source":"osm","source_id":77,"license":"ODbL","status":"open"}},
          {"type":"Feature","geometry":null,"properties":{"id":"x:2","name":"Nowhere"}},
          {"type":"Feature","geometry":{"type":"Point","coordinates":[0,91]},"properties":{"id":"x:3","name":"Too far north"}},
          {"type":"Feature","geometry":{"type":"Point","coordinates":[1,1]},"properties":{"id":"x:4","name":"Odd","category":"spaceport"}},
          {"type":"Feature","geometry":{"type":"Point","coordinates":[1,1]},"properties":{"id":"x:5"}},
          {"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,1],[2,2]]},"properties":{"id":"x:6","name":"A line"}}
        ]}"#;
        let fields = AssetProperties {
            id: Some("id".into()),
            ..Default::default()
        };
        let p = parse_assets(text, &fields).expect("parse");
        assert_eq!(p.items.len(), 2);
        assert_eq!(
            p.skipped.iter().map(|s| s.0).collect::<Vec<_>>(),
            vec![2, 3, 5, 6]
        );
        let a = &p.items[0];
        assert_eq!(a.fields.category, "parks_recreation");
        assert_eq!(a.fields.source_id.as_deref(), Some("x:1"));
        assert_eq!(a.fields.source.as_deref(), Some("osm"));
        assert_eq!(a.fields.extra["license"], "ODbL");
        assert_eq!(a.fields.extra["file_source_id"], 77);
        assert_eq!(a.fields.extra["file_status"], "open");
        assert_eq!(a.status, Status::Approved);
        assert_eq!(a.fields.extra["source_category"], "park");
        let b = &p.items[1];
        assert_eq!(b.fields.category, "other");
        assert_eq!(b.fields.extra["source_category"], "spaceport");
        assert!(p.warnings.iter().any(|w| w.contains("spaceport")));
    }

    #[test]
    fn several_areas_of_one_school_are_united() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"S":1},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
          {"type":"Feature","properties":{"S":1},"geometry":{"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}},
          {"type":"Feature","properties":{"S":2},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}},
          {"type":"Feature","properties":{"S":3},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}
        ]}"#;
        let schools: HashMap<String, Uuid> = [
            ("1".to_owned(), Uuid::from_u128(1)),
            ("2".to_owned(), Uuid::from_u128(2)),
        ]
        .into();
        let year = SchoolYear::parse("2020-2021").expect("year");
        let p = parse_catchments(text, "S", &year, &schools).expect("parse");
        assert_eq!(p.items.len(), 1, "{:?}", p.skipped);
        assert_eq!(p.items[0].geometry.0.len(), 2);
        assert_eq!(p.skipped.len(), 2, "{:?}", p.skipped);
    }
}
