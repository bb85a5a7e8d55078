//! Reading school sites and attendance areas from GeoJSON.

use std::collections::HashMap;

use geo::{BooleanOps, MultiPolygon, Orient, orient::Direction};
use uuid::Uuid;

use super::{ImportError, Parsed, SchoolProperties, multipolygon, numbered, point, text};
use crate::domain::school::catchment_id;
use crate::domain::{Catchment, School, SchoolYear};

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
