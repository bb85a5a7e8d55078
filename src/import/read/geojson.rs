//! GeoJSON in its three shapes: a FeatureCollection (with an old-style `crs`
//! member honoured), one Feature per line, and a plain JSON array (of
//! Features, or of objects read like the rows of a table).

use geo::Geometry;
use serde_json::{Map, Value};

use super::{Declared, Format, Raw, ReadOptions, Row, refuse, tabular};
use crate::crs::Crs;
use crate::import::ImportError;

pub(super) fn read(
    bytes: &[u8],
    file: &str,
    format: Format,
    options: &ReadOptions,
) -> Result<Raw, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        refuse(
            file,
            format!(
                "not UTF-8 text at byte {} (JSON is always UTF-8): save it as UTF-8",
                e.valid_up_to()
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if format == Format::GeoJsonSeq {
        return lines(text, file);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        // A file of one Feature per line read as plain GeoJSON.
        if text.trim_start().starts_with('\u{1e}')
            || (e.is_data() || e.is_syntax()) && looks_like_lines(text)
        {
            refuse(file, "holds one Feature per line: pass --format geojsonseq")
        } else {
            ImportError::NotFeatureCollection(format!("{file}: {e}"))
        }
    })?;
    match value {
        Value::Object(mut o) => match o.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => {
                let declared = match o.remove("crs") {
                    Some(crs) if !crs.is_null() => declared_crs(&crs, file)?,
                    _ => Declared::Wgs84("GeoJSON is WGS84 (RFC 7946)"),
                };
                let features = match o.remove("features") {
                    Some(Value::Array(f)) => f,
                    _ => {
                        return Err(ImportError::NotFeatureCollection(format!(
                            "{file}: a FeatureCollection without a features array"
                        )));
                    }
                };
                Ok(features_of(features, declared))
            }
            Some("Feature") => Ok(features_of(
                vec![Value::Object(o)],
                Declared::Wgs84("GeoJSON is WGS84 (RFC 7946)"),
            )),
            other => Err(ImportError::NotFeatureCollection(format!(
                "{file}: expected a GeoJSON FeatureCollection, a Feature or a JSON array of objects; found an object of type {}",
                other.map_or("(none)".to_owned(), |t| format!("{t:?}"))
            ))),
        },
        Value::Array(items) => {
            let features = items
                .iter()
                .all(|v| v.get("type").and_then(Value::as_str) == Some("Feature"));
            if features && !items.is_empty() {
                Ok(features_of(
                    items,
                    Declared::Wgs84("GeoJSON is WGS84 (RFC 7946)"),
                ))
            } else {
                tabular::from_objects(items, file, options)
            }
        }
        other => Err(ImportError::NotFeatureCollection(format!(
            "{file}: expected a GeoJSON FeatureCollection, a Feature or a JSON array of objects; found {}",
            kind(&other)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn looks_like_lines(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().map(str::trim);
    let second = lines.next().map(str::trim);
    matches!((first, second), (Some(a), Some(b)) if a.starts_with('{') && a.ends_with('}') && b.starts_with('{'))
}

/// The system an old-style GeoJSON `crs` member names.
fn declared_crs(crs: &Value, file: &str) -> Result<Declared, ImportError> {
    let name = crs
        .pointer("/properties/name")
        .and_then(Value::as_str)
        .ok_or_else(|| refuse(file, format!("its crs member {crs} names no system")))?;
    let found = Crs::parse(name).map_err(|e| refuse(file, format!("its crs member: {e}")))?;
    Ok(Declared::Named(Box::new(found), "its crs member".into()))
}

fn lines(text: &str, file: &str) -> Result<Raw, ImportError> {
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{1e}').trim();
        if line.is_empty() {
            continue;
        }
        let n = rows.len() + 1;
        match serde_json::from_str::<Value>(line) {
            Ok(v) => rows.push(feature(n, v, &mut warnings)),
            Err(e) => {
                return Err(refuse(
                    file,
                    format!("line {}: not a JSON Feature: {e}", i + 1),
                ));
            }
        }
    }
    Ok(Raw {
        unit: "feature",
        declared: Declared::Wgs84("GeoJSON is WGS84 (RFC 7946)"),
        rows,
        warnings,
    })
}

fn features_of(features: Vec<Value>, declared: Declared) -> Raw {
    let mut warnings = Vec::new();
    let rows = features
        .into_iter()
        .enumerate()
        .map(|(i, f)| feature(i + 1, f, &mut warnings))
        .collect();
    Raw {
        unit: "feature",
        declared,
        rows,
        warnings,
    }
}

fn feature(n: usize, v: Value, warnings: &mut Vec<String>) -> Row {
    let Value::Object(mut f) = v else {
        return Row {
            n,
            id: None,
            geometry: Err(format!("not a Feature: {}", kind(&v))),
            properties: Map::new(),
        };
    };
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Row {
            n,
            id: None,
            geometry: Err("not a Feature: its type is not \"Feature\"".into()),
            properties: Map::new(),
        };
    }
    let properties = match f.remove("properties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    let geometry = match f.remove("geometry") {
        None | Some(Value::Null) => Ok(None),
        Some(g) => geometry(g, n, warnings).map(Some),
    };
    Row {
        n,
        id: f.remove("id"),
        geometry,
        properties,
    }
}

/// A GeoJSON geometry, its rings checked as RFC 7946 requires; a part of a
/// MultiPolygon too small to be an area is dropped with a warning.
fn geometry(g: Value, n: usize, warnings: &mut Vec<String>) -> Result<Geometry<f64>, String> {
    let mut g: ::geojson::Geometry =
        serde_json::from_value(g).map_err(|e| format!("invalid geometry: {e}"))?;
    use ::geojson::GeometryValue as G;
    match &mut g.value {
        G::Polygon { coordinates } => check_rings(coordinates)?,
        G::MultiPolygon { coordinates } => {
            let before = coordinates.len();
            let mut k = 0;
            coordinates.retain(|rings| {
                k += 1;
                let keep = rings.first().is_some_and(|r| r.len() >= 4);
                if !keep {
                    warnings.push(format!(
                        "feature {n}: part {k} of the MultiPolygon has fewer than 4 positions (a point, not an area); dropped"
                    ));
                }
                keep
            });
            if coordinates.is_empty() && before > 0 {
                return Err("no part of the MultiPolygon is an area".into());
            }
            for rings in coordinates.iter() {
                check_rings(rings)?;
            }
        }
        G::Point { coordinates } if coordinates.len() < 2 => {
            return Err("a Point needs two coordinates".into());
        }
        _ => {}
    }
    Geometry::<f64>::try_from(&g.value).map_err(|e| format!("invalid geometry: {e}"))
}

fn check_rings(rings: &[Vec<::geojson::Position>]) -> Result<(), String> {
    if rings.is_empty() {
        return Err("a polygon needs an exterior ring".into());
    }
    for ring in rings {
        if ring.len() < 4 {
            return Err("a polygon ring needs at least 4 positions".into());
        }
        if ring.first() != ring.last() {
            return Err("a polygon ring is not closed".into());
        }
        if ring.iter().any(|p| p.len() < 2) {
            return Err("a position needs two coordinates".into());
        }
    }
    Ok(())
}
