//! Reading school sites and attendance areas from the rows of a file:
//! schools keyed by the district's id (or an id derived from the name), areas
//! matched to schools by id or by name.

use std::collections::HashMap;

use geo::{BooleanOps, MultiPolygon, Orient, orient::Direction};
use uuid::Uuid;

use super::names::{Match, Names};
use super::{Parsed, SchoolProperties, Table, multipolygon, point, text};
use crate::domain::school::catchment_id;
use crate::domain::{Catchment, School, SchoolYear};

/// Reads school sites from the rows of a file.
pub fn parse_schools(table: Table, fields: &SchoolProperties) -> Parsed<School> {
    let mut out = Parsed::of(&table);
    let mut seen = HashMap::new();
    let mut derived = 0;
    for f in table.rows {
        let n = f.n;
        let location = match point(&f.geometry) {
            Ok((l, _)) => l,
            Err(reason) => {
                out.skipped.push((n, reason));
                continue;
            }
        };
        let mut props = f.properties;
        let external_id = match &fields.id {
            Some(id_field) => match props.remove(id_field).as_ref().and_then(text) {
                Some(id) => Some(id),
                None => {
                    out.skipped
                        .push((n, format!("no school id in property {id_field:?}")));
                    continue;
                }
            },
            None => None,
        };
        let Some(name) = props.remove(&fields.name).as_ref().and_then(text) else {
            out.skipped
                .push((n, format!("no name in property {:?}", fields.name)));
            continue;
        };
        let external_id = match external_id {
            Some(id) => id,
            None => {
                derived += 1;
                super::names::normalize(&name).replace(' ', "-")
            }
        };
        if let Some(first) = seen.insert(external_id.clone(), n) {
            out.skipped.push((
                n,
                format!("school id {external_id} repeats {} {first}", out.unit),
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
            district: fields.district.clone(),
            external_id,
            name,
            level,
            location,
            extra: props,
        });
    }
    if derived > 0 {
        out.warnings.push(format!(
            "no --id-field: {derived} school ids derived from the names (e.g. {}); re-imports of the same names keep them",
            out.items
                .iter()
                .take(3)
                .map(|s| format!("{:?} for {}", s.external_id, s.name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}

/// How an area names its school.
pub enum AreaKey {
    /// A property holding the school's district id.
    Id(String),
    /// A property holding the school's name, matched by [`Names`].
    Name { field: String, names: Names },
}

/// An area read from a file: the number of its (first) row, the school's
/// district id, its shape.
pub type KeyedArea = (usize, String, MultiPolygon<f64>);

/// Reads areas keyed by school, merging several areas of one school into
/// their union. Keys come in file order.
pub fn parse_areas(table: Table, key: &AreaKey) -> Parsed<KeyedArea> {
    let mut out: Parsed<KeyedArea> = Parsed::of(&table);
    let unit = table.unit;
    for f in table.rows {
        let n = f.n;
        let field = match key {
            AreaKey::Id(field) | AreaKey::Name { field, .. } => field,
        };
        let Some(value) = f.properties.get(field).and_then(text) else {
            let what = match key {
                AreaKey::Id(_) => "school id",
                AreaKey::Name { .. } => "school name",
            };
            out.skipped
                .push((n, format!("no {what} in property {field:?}")));
            continue;
        };
        let school = match key {
            AreaKey::Id(_) => value,
            AreaKey::Name { names, .. } => match names.find(&value) {
                Match::One(k) => k,
                Match::Ambiguous(several) => {
                    out.skipped.push((
                        n,
                        format!(
                            "the name {value:?} fits several schools ({}); say which with --school-map",
                            several
                                .iter()
                                .map(|(k, name)| format!("{name} [{k}]"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                    continue;
                }
                Match::Unknown(closest) => {
                    out.skipped.push((
                        n,
                        format!(
                            "no school is named {value:?}; the closest names: {}",
                            closest.join(", ")
                        ),
                    ));
                    continue;
                }
            },
        };
        let mp = match f
            .geometry
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|g| g.as_ref().ok_or_else(|| "null geometry".to_owned()))
            .and_then(multipolygon)
        {
            Ok((mp, warnings)) => {
                for w in warnings {
                    out.warnings.push(format!("{unit} {n}: {w}"));
                }
                mp
            }
            Err(reason) => {
                out.skipped.push((n, reason));
                continue;
            }
        };
        match out.items.iter_mut().find(|(_, k, _)| *k == school) {
            Some((_, _, acc)) => {
                out.warnings.push(format!(
                    "{unit} {n}: school {school} has several areas; using their union"
                ));
                *acc = acc.union(&mp).orient(Direction::Default);
            }
            None => out.items.push((n, school, mp)),
        }
    }
    out
}

/// Reads attendance areas for one school year. `schools` maps a school's
/// district id to its id. Several areas of one school are merged into their
/// union.
pub fn parse_catchments(
    table: Table,
    key: &AreaKey,
    year: &SchoolYear,
    schools: &HashMap<String, Uuid>,
) -> Parsed<Catchment> {
    let areas = parse_areas(table, key);
    let mut out = Parsed {
        items: Vec::new(),
        skipped: areas.skipped,
        warnings: areas.warnings,
        unit: areas.unit,
        notes: areas.notes,
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
    out.skipped.sort_by_key(|(n, _)| *n);
    out
}
