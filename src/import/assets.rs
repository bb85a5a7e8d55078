//! Reading community assets from GeoJSON: name, category (through the
//! taxonomy), the model's properties, and every other property kept.

use chrono::{NaiveDate, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{AssetProperties, Parsed, Table, keep_extra, list, point, text};
use crate::domain::asset::MAX_NAME_CHARS;
use crate::domain::taxonomy;
use crate::domain::{Asset, AssetFields, Status};

/// Reads assets from the rows of a file.
pub fn parse_assets(table: Table, fields: &AssetProperties) -> Parsed<Asset> {
    let mut out = Parsed::of(&table);
    let mut derived = 0usize;
    let now = Utc::now();
    let unit = table.unit;
    for f in table.rows {
        let n = f.n;
        let unplaced = matches!(f.geometry, Ok(None))
            && f.properties
                .get(crate::geocode::QUALITY)
                .and_then(Value::as_str)
                == Some("none");
        let (location, note) = match (point(&f.geometry), fields.unplaced_at) {
            (Ok(p), _) => p,
            // Kept, pending, for an editor to place on the map.
            (Err(_), Some(at)) if unplaced => (at, None),
            (Err(_), None) if unplaced => {
                out.skipped.push((
                    n,
                    "the address could not be found, and there is nowhere to keep it pending"
                        .into(),
                ));
                continue;
            }
            (Err(reason), _) => {
                out.skipped.push((n, reason));
                continue;
            }
        };
        let mut props = f.properties;
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
            out.warnings.push(format!("{unit} {n} ({name}): {note}"));
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
                    "{unit} {n} ({name}): unknown category {raw:?}, imported as \"other\""
                ));
                extra.insert("source_category".into(), Value::from(raw));
                taxonomy::OTHER
            }
            None => {
                out.warnings.push(format!(
                    "{unit} {n} ({name}): no category, imported as \"other\""
                ));
                taxonomy::OTHER
            }
        };
        let mut a = AssetFields::new(name, category, location);
        let mut take = |k: &str| props.remove(k).as_ref().and_then(text);
        a.description = take("description");
        a.address = take(&fields.address);
        a.phone = take("phone");
        a.email = take("email");
        a.website = take("website");
        for d in crate::domain::validate::clean_contacts(&mut a) {
            out.warnings.push(format!("{unit} {n} ({}): {d}", a.name));
        }
        a.hours = take("hours");
        let opening_hours = take("opening_hours");
        let name = a.name.clone();
        (a.hours, a.opening_hours) = read_hours(a.hours.take(), opening_hours, |w| {
            out.warnings.push(format!("{unit} {n} ({name}): {w}"))
        });
        a.translations = read_translations(&mut props, |w| {
            out.warnings.push(format!("{unit} {n} ({name}): {w}"))
        });
        // Worked out when served; a file exported by assetmap carries them.
        for computed in ["open_now", "open_evenings", "open_weekends", "hours_text"] {
            props.remove(computed);
        }
        let mut take = |k: &str| props.remove(k).as_ref().and_then(text);
        a.accessibility = take("accessibility");
        a.ages_served = take("ages_served");
        a.source = Some(take("source").unwrap_or_else(|| fields.source.clone()));
        // A row without an id is known by its name and address (or place),
        // so that importing the same spreadsheet again changes nothing.
        a.source_id = source_id.or_else(|| {
            derived += 1;
            Some(derived_id(&a.name, a.address.as_deref(), a.location))
        });
        a.last_verified = match props.remove("last_verified") {
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
        a.languages = props
            .remove("languages")
            .map(|v| list(&v))
            .unwrap_or_default();
        a.services = props
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
        let status = if unplaced {
            out.warnings.push(format!(
                "{unit} {n} ({}): the address {:?} could not be found; kept as a pending listing for an editor to place on the map",
                a.name,
                a.address.as_deref().unwrap_or("")
            ));
            extra.insert(
                crate::domain::asset::LOCATION_NEEDED.into(),
                Value::Bool(true),
            );
            Status::Pending
        } else {
            status
        };
        a.extra = extra;
        out.items.push(Asset {
            id: Uuid::new_v4(),
            status,
            created_at,
            updated_at,
            version: 1,
            fields: a,
        });
    }
    if derived > 0 {
        out.notes.push(format!(
            "{derived} {unit}s have no id: each is known by its name and address (or place), so a re-import of them changes nothing"
        ));
    }
    out
}

/// The id of a row without one: its name and its address (or where it is),
/// in lower case with only letters and digits.
fn derived_id(name: &str, address: Option<&str>, at: crate::domain::Location) -> String {
    let slug = |s: &str| {
        s.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    };
    match address.map(slug).filter(|a| !a.is_empty()) {
        Some(a) => format!("{}@{a}", slug(name)),
        None => format!("{}@{:.6},{:.6}", slug(name), at.lon(), at.lat()),
    }
}

/// The hours note and the `opening_hours` value of an imported feature. An
/// `opening_hours` that does not parse is kept as the note (reported, never
/// dropped); a note that is itself a valid `opening_hours` value becomes one.
fn read_hours(
    note: Option<String>,
    osm: Option<String>,
    mut warn: impl FnMut(String),
) -> (Option<String>, Option<String>) {
    use crate::domain::hours::Hours;
    match osm {
        Some(raw) => match Hours::parse(&raw) {
            Ok(h) => (note, Some(h.as_str().to_owned())),
            Err(reason) => {
                warn(format!(
                    "opening_hours {raw:?} {reason}; kept as the hours note"
                ));
                let note = match note {
                    Some(n) if n != raw => Some(format!("{n}; {raw}")),
                    _ => Some(raw),
                };
                (note, None)
            }
        },
        None => match note.as_deref().map(Hours::parse) {
            Some(Ok(h)) => (None, Some(h.as_str().to_owned())),
            _ => (note, None),
        },
    }
}

/// Translations from `name_es`, `description_es`, `hours_es` … properties, and
/// from a `translations` object (as assetmap exports it). What does not pass
/// the API's rules is reported and left out.
fn read_translations(
    props: &mut Map<String, Value>,
    mut warn: impl FnMut(String),
) -> crate::domain::Translations {
    use crate::domain::asset::TRANSLATED_FIELDS;
    use crate::domain::validate::is_language_code;
    let mut object = match props.remove("translations") {
        Some(Value::Object(m)) => m,
        Some(Value::Null) | None => Map::new(),
        Some(other) => {
            warn(format!("translations {other} is not an object; left out"));
            Map::new()
        }
    };
    let suffixed: Vec<String> = props
        .keys()
        .filter(|k| {
            k.rsplit_once('_').is_some_and(|(field, code)| {
                TRANSLATED_FIELDS.contains(&field) && is_language_code(code)
            })
        })
        .cloned()
        .collect();
    for key in suffixed {
        let Some((field, code)) = key.rsplit_once('_') else {
            continue;
        };
        if let Some(v) = props.remove(&key).filter(|v| !v.is_null()) {
            let entry = object
                .entry(code.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(m) = entry.as_object_mut() {
                m.entry(field.to_owned()).or_insert(v);
            }
        }
    }
    if object.is_empty() {
        return Default::default();
    }
    let mut wrapper = Map::new();
    wrapper.insert("translations".into(), Value::Object(object));
    match crate::domain::validate::translations_of(&wrapper) {
        Ok(t) => t,
        Err(problems) => {
            for p in problems {
                warn(format!("{}: {}; left out", p.field, p.detail));
            }
            Default::default()
        }
    }
}
