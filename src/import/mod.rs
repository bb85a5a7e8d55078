//! Reading GeoJSON files into assets, schools and catchments, and writing them
//! through the store.
//!
//! A real file has flaws: features with null or broken geometry, unknown
//! categories, missing names. Each bad feature is skipped with a one-line
//! reason; everything else goes in. Nothing a file brings is silently dropped:
//! properties the model does not name are kept as extra properties.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use geo::{BooleanOps, MultiPolygon, Orient, orient::Direction};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::asset::{MAX_NAME_CHARS, MODEL_PROPERTIES};
use crate::domain::school::catchment_id;
use crate::domain::taxonomy;
use crate::domain::{Asset, AssetFields, Catchment, Location, School, SchoolYear, Status};

pub mod run;

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

/// Reads assets from a GeoJSON FeatureCollection.
pub fn parse_assets(text_in: &str, fields: &AssetProperties) -> Result<Parsed<Asset>, ImportError> {
    let mut out = Parsed::default();
    let now = Utc::now();
    for (n, f) in numbered(text_in)? {
        let f = match f {
            Ok(f) => f,
            Err(reason) => {
                out.skipped.push((n, reason));
                continue;
            }
        };
        let (location, note) = match point(&f.geometry) {
            Ok(p) => p,
            Err(reason) => {
                out.skipped.push((n, reason));
                continue;
            }
        };
        let mut props = f.properties.unwrap_or_default();
        let Some(name) = props.remove(&fields.name).as_ref().and_then(text) else {
            out.skipped
                .push((n, format!("no name in property {:?}", fields.name)));
            continue;
        };
        if name.chars().count() > MAX_NAME_CHARS {
            out.skipped
                .push((n, format!("name longer than {MAX_NAME_CHARS} characters")));
            continue;
        }
        if let Some(note) = note {
            out.warnings.push(format!("feature {n} ({name}): {note}"));
        }
        let source_id = match &fields.id {
            Some(k) => props.remove(k).as_ref().and_then(text),
            None => f.id.as_ref().and_then(text),
        };
        let raw_category = props.remove(&fields.category).as_ref().and_then(text);
        let mut extra = Map::new();
        let category = match raw_category.as_deref().map(|c| (c, taxonomy::resolve(c))) {
            Some((raw, Some(id))) => {
                if raw != id {
                    extra.insert("source_category".into(), Value::from(raw));
                }
                id
            }
            Some((raw, None)) => {
                out.warnings.push(format!(
                    "feature {n} ({name}): unknown category {raw:?}, imported as \"other\""
                ));
                extra.insert("source_category".into(), Value::from(raw));
                taxonomy::OTHER
            }
            None => {
                out.warnings.push(format!(
                    "feature {n} ({name}): no category, imported as \"other\""
                ));
                taxonomy::OTHER
            }
        };
        let mut take = |k: &str| props.remove(k).as_ref().and_then(text);
        let description = take("description");
        let address = take("address");
        let phone = take("phone");
        let email = take("email");
        let website = take("website");
        let hours = take("hours");
        let accessibility = take("accessibility");
        let ages_served = take("ages_served");
        let source = take("source").unwrap_or_else(|| fields.source.clone());
        let last_verified = match props.remove("last_verified") {
            Some(v) => match text(&v).map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d")) {
                Some(Ok(d)) => Some(d),
                None => None,
                Some(Err(_)) => {
                    keep_extra(&mut extra, "last_verified", v);
                    None
                }
            },
            None => None,
        };
        let languages = props
            .remove("languages")
            .map(|v| list(&v))
            .unwrap_or_default();
        let services = props
            .remove("services")
            .map(|v| list(&v))
            .unwrap_or_default();
        // A file exported by assetmap carries its review status and times; they
        // are taken back when they mean that, and kept as `file_…` otherwise.
        let status = match props.remove("status") {
            Some(v) => match v.as_str().and_then(Status::parse) {
                Some(s) => s,
                None => {
                    keep_extra(&mut extra, "status", v);
                    Status::Approved
                }
            },
            None => Status::Approved,
        };
        let mut time = |key: &str| match props.remove(key) {
            Some(v) => match v.as_str().map(chrono::DateTime::parse_from_rfc3339) {
                Some(Ok(t)) => Some(t.with_timezone(&Utc)),
                _ => {
                    keep_extra(&mut extra, key, v);
                    None
                }
            },
            None => None,
        };
        let created_at = time("created_at").unwrap_or(now);
        let updated_at = time("updated_at").unwrap_or(now);
        for (k, v) in props {
            keep_extra(&mut extra, &k, v);
        }
        out.items.push(Asset {
            id: Uuid::new_v4(),
            status,
            created_at,
            updated_at,
            fields: AssetFields {
                name,
                category: category.to_owned(),
                description,
                address,
                phone,
                email,
                website,
                languages,
                hours,
                accessibility,
                ages_served,
                services,
                source: Some(source),
                source_id,
                last_verified,
                location,
                extra,
            },
        });
    }
    Ok(out)
}

/// Reads school sites from a GeoJSON FeatureCollection.
pub fn parse_schools(
    text_in: &str,
    fields: &SchoolProperties,
) -> Result<Parsed<School>, ImportError> {
    let mut out = Parsed::default();
    let mut seen = HashMap::new();
    for (n, f) in numbered(text_in)? {
        let f = match f {
            Ok(f) => f,
            Err(reason) => {
                out.skipped.push((n, reason));
                continue;
            }
        };
        let location = match point(&f.geometry) {
            Ok((l, _)) => l,
            Err(reason) => {
                out.skipped.push((n, reason));
                continue;
            }
        };
        let mut props = f.properties.unwrap_or_default();
        let Some(external_id) = props.remove(&fields.id).as_ref().and_then(text) else {
            out.skipped
                .push((n, format!("no school id in property {:?}", fields.id)));
            continue;
        };
        let Some(name) = props.remove(&fields.name).as_ref().and_then(text) else {
            out.skipped
                .push((n, format!("no name in property {:?}", fields.name)));
            continue;
        };
        if let Some(first) = seen.insert(external_id.clone(), n) {
            out.skipped.push((
                n,
                format!("school id {external_id} repeats feature {first}"),
            ));
            continue;
        }
        let level = fields
            .level
            .as_ref()
            .and_then(|k| props.remove(k))
            .as_ref()
            .and_then(text);
        out.items.push(School {
            id: Uuid::new_v4(),
            external_id,
            name,
            level,
            location,
            extra: props,
        });
    }
    Ok(out)
}

/// An area read from a file: the number of its (first) feature, its key, its shape.
pub type KeyedArea = (usize, String, MultiPolygon<f64>);

/// Reads areas keyed by a property (a school's district id), merging several
/// areas with the same key into their union. Keys come in file order.
pub fn parse_areas(text_in: &str, key_field: &str) -> Result<Parsed<KeyedArea>, ImportError> {
    let mut out: Parsed<KeyedArea> = Parsed::default();
    for (n, f) in numbered(text_in)? {
        let f = match f {
            Ok(f) => f,
            Err(reason) => {
                out.skipped.push((n, reason));
                continue;
            }
        };
        let props = f.properties.unwrap_or_default();
        let Some(key) = props.get(key_field).and_then(text) else {
            out.skipped
                .push((n, format!("no school id in property {key_field:?}")));
            continue;
        };
        let geometry = match f.geometry.as_ref().filter(|g| !g.is_null()) {
            None => Err("null geometry".to_owned()),
            Some(g) => serde_json::from_value::<geojson::Geometry>(g.clone())
                .map_err(|e| format!("invalid geometry: {e}"))
                .and_then(|g| multipolygon(&g.value)),
        };
        let mp = match geometry {
            Ok(mp) => mp,
            Err(reason) => {
                out.skipped.push((n, reason));
                continue;
            }
        };
        match out.items.iter_mut().find(|(_, k, _)| *k == key) {
            Some((_, _, acc)) => {
                out.warnings.push(format!(
                    "feature {n}: school {key} has several areas; using their union"
                ));
                *acc = acc.union(&mp).orient(Direction::Default);
            }
            None => out.items.push((n, key, mp)),
        }
    }
    Ok(out)
}

/// Reads attendance areas for one school year. `schools` maps a school's external
/// id to its id. Several areas of one school are merged into their union.
pub fn parse_catchments(
    text_in: &str,
    school_field: &str,
    year: &SchoolYear,
    schools: &HashMap<String, Uuid>,
) -> Result<Parsed<Catchment>, ImportError> {
    let areas = parse_areas(text_in, school_field)?;
    let mut out = Parsed {
        items: Vec::new(),
        skipped: areas.skipped,
        warnings: areas.warnings,
    };
    for (n, key, geometry) in areas.items {
        match schools.get(&key) {
            Some(&school_id) => out.items.push(Catchment {
                id: catchment_id(school_id, year),
                school_id,
                year: year.clone(),
                geometry,
            }),
            None => out.skipped.push((
                n,
                format!("no school with id {key}: import the schools first"),
            )),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
