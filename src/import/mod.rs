//! Reading GeoJSON files into assets, schools and catchments (`assets`,
//! `areas`), and writing them through the service and the store (`run`).
//!
//! A real file has flaws: features with null or broken geometry, unknown
//! categories, missing names. Each bad feature is skipped with a one-line
//! reason; everything else goes in. Nothing a file brings is silently dropped:
//! properties the model does not name are kept as extra properties.

use geo::{Area, Geometry, MultiPolygon, Orient, orient::Direction};
use serde_json::{Map, Value};

use crate::domain::Location;
use crate::domain::asset::MODEL_PROPERTIES;

mod areas;
mod assets;
pub mod job;
pub mod names;
pub mod read;
pub mod run;

pub use areas::{AreaKey, KeyedArea, parse_areas, parse_catchments, parse_schools};
pub use assets::parse_assets;
pub use read::{Format, ReadOptions, Table, read, read_geojson_text};

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
    /// What is wrong with a file as a whole: the file, then the row and reason.
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    #[error("school year {0:?} is not of the form YYYY-YYYY (or YYYY-YY)")]
    Year(String),
    #[error(transparent)]
    Geocode(#[from] crate::geocode::GeocodeError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The result of reading a file: the values, the rows skipped and why, and
/// warnings about values that went in changed.
#[derive(Debug)]
pub struct Parsed<T> {
    pub items: Vec<T>,
    /// (row or feature number, reason)
    pub skipped: Vec<(usize, String)>,
    pub warnings: Vec<String>,
    /// What a row is called in the report: "feature", "row", "item".
    pub unit: &'static str,
    /// What else the report says (how addresses were placed).
    pub notes: Vec<String>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            unit: "feature",
            notes: Vec::new(),
        }
    }
}

impl<T> Parsed<T> {
    /// An empty result for a table: its unit and its file-wide warnings.
    fn of(table: &Table) -> Self {
        Self {
            items: Vec::new(),
            skipped: Vec::new(),
            warnings: table.warnings.clone(),
            unit: table.unit,
            notes: Vec::new(),
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
    /// Column holding the street address, placed when a row has no coordinates.
    pub address: String,
    /// Where a row whose address could not be placed waits, pending, for an
    /// editor (set by the importer: the middle of what was placed, or of the
    /// district's schools); `None` skips such rows.
    pub unplaced_at: Option<Location>,
}

impl Default for AssetProperties {
    fn default() -> Self {
        Self {
            name: "name".into(),
            category: "category".into(),
            id: None,
            source: "import".into(),
            address: "address".into(),
            unplaced_at: None,
        }
    }
}

/// How to read a schools file.
#[derive(Debug, Clone)]
pub struct SchoolProperties {
    /// The district's school id; `None` derives a stable id from the name.
    pub id: Option<String>,
    pub name: String,
    pub level: Option<String>,
    /// The district the schools belong to ('' for the default district).
    pub district: String,
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

/// A point from a row's geometry; polygons are reduced to an interior point.
fn point(
    geometry: &Result<Option<Geometry<f64>>, String>,
) -> Result<(Location, Option<&'static str>), String> {
    let g = match geometry {
        Err(e) => return Err(e.clone()),
        Ok(None) => return Err("null geometry".into()),
        Ok(Some(g)) => g,
    };
    let (lon, lat, note) = match g {
        Geometry::Point(p) => (p.x(), p.y(), None),
        Geometry::MultiPoint(mp) if mp.0.len() == 1 => (mp.0[0].x(), mp.0[0].y(), None),
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            use geo::InteriorPoint;
            let (mp, _) = multipolygon(g)?;
            let p = mp.interior_point().ok_or("empty polygon")?;
            (p.x(), p.y(), Some("polygon reduced to an interior point"))
        }
        other => return Err(format!("a {} cannot locate an asset", type_name(other))),
    };
    Location::new(lon, lat)
        .map(|l| (l, note))
        .map_err(|e| format!("invalid coordinates: {e}"))
}

fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// A MultiPolygon from a Polygon or MultiPolygon, its coordinates checked and
/// oriented per RFC 7946 (exteriors counter-clockwise). A part without area
/// (a point or a line drawn as a polygon) is dropped, and said.
fn multipolygon(g: &Geometry<f64>) -> Result<(MultiPolygon<f64>, Vec<String>), String> {
    let polygons: Vec<geo::Polygon<f64>> = match g {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(mp) => mp.0.clone(),
        Geometry::GeometryCollection(gc)
            if !gc.0.is_empty() && gc.0.iter().all(|g| matches!(g, Geometry::Polygon(_))) =>
        {
            gc.0.iter()
                .filter_map(|g| geo::Polygon::try_from(g.clone()).ok())
                .collect()
        }
        other => return Err(format!("a {} is not an area", type_name(other))),
    };
    if polygons.is_empty() {
        return Err("empty polygon".into());
    }
    let several = polygons.len() > 1;
    let mut warnings = Vec::new();
    let mut kept = Vec::with_capacity(polygons.len());
    for (k, p) in polygons.into_iter().enumerate() {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            for c in ring.coords() {
                Location::new(c.x, c.y).map_err(|e| format!("invalid coordinates: {e}"))?;
            }
        }
        if p.exterior().0.len() < 4 || p.unsigned_area() == 0.0 {
            if several {
                warnings.push(format!(
                    "part {} of the MultiPolygon has no area (a point or a line); dropped",
                    k + 1
                ));
                continue;
            }
            return Err("the polygon has no area (a point or a line)".into());
        }
        kept.push(p);
    }
    if kept.is_empty() {
        return Err("no part of the MultiPolygon is an area".into());
    }
    Ok((MultiPolygon(kept).orient(Direction::Default), warnings))
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
        let p = parse_assets(read_geojson_text("t.geojson", text).expect("read"), &fields);
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
        let table = read_geojson_text("t.geojson", text).expect("read");
        let p = parse_catchments(table, &AreaKey::Id("S".into()), &year, &schools);
        assert_eq!(p.items.len(), 1, "{:?}", p.skipped);
        assert_eq!(p.items[0].geometry.0.len(), 2);
        assert_eq!(p.skipped.len(), 2, "{:?}", p.skipped);
    }
}
