//! Open Referral HSDS: importing HSDS 3.0 JSON, HSDS Tabular Data Packages and
//! the older Ohana CSV layout into assets, and exporting assets as HSDS 3.0 JSON
//! and as a Tabular Data Package.
//!
//! The mapping: an asset is a place, so each HSDS `location` with coordinates
//! becomes one asset; the services offered there give its category (through the
//! taxonomy), its service tags and, where the location has none, its website
//! and e-mail; the organization's name is kept as the `organization` property.
//! On export each asset becomes one organization (shared by name), one
//! location, one service and the service_at_location that links them. What
//! HSDS carries that assetmap does not (contacts, funding, fees, …) is reported
//! by name, never silently dropped from the report.
//!
//! Files: `json` (HSDS 3.0 JSON in and out), `tables` (Tabular Data Packages
//! and the Ohana CSV layout in, a Tabular Data Package out), `languages`
//! (language names to ISO 639-1); here, what every layout shares.

use std::collections::BTreeSet;

use chrono::{NaiveDate, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::taxonomy;
use crate::domain::{Asset, AssetFields, Location, Status};

mod json;
mod languages;
pub mod objects;
mod tables;

pub use json::{from_json, service_json, to_json};
pub use tables::{from_tables, write_tables};

use languages::language_code;

/// What an HSDS import produced.
#[derive(Debug, Default)]
pub struct Imported {
    pub assets: Vec<Asset>,
    /// (location id, reason) for each location left out.
    pub skipped: Vec<(String, String)>,
    /// HSDS fields or files that have no place in assetmap's model.
    pub unmapped: BTreeSet<String>,
    pub warnings: Vec<String>,
}

/// A service offered at a location, as far as assetmap uses it.
#[derive(Debug, Default, Clone)]
pub(super) struct Svc {
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) url: Option<String>,
    pub(super) email: Option<String>,
    pub(super) terms: Vec<String>,
    pub(super) eligibility: Option<String>,
    pub(super) assured_date: Option<String>,
}

/// A location gathered from any of the layouts.
#[derive(Debug, Default)]
pub(super) struct Loc {
    pub(super) id: String,
    pub(super) name: Option<String>,
    pub(super) description: Option<String>,
    pub(super) lat: Option<f64>,
    pub(super) lon: Option<f64>,
    pub(super) address: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) languages: Vec<String>,
    pub(super) accessibility: Option<String>,
    pub(super) hours: Option<String>,
    /// The weekly schedules as an OpenStreetMap `opening_hours` value.
    pub(super) opening_hours: Option<String>,
    pub(super) transportation: Option<String>,
    pub(super) organization: Option<String>,
    pub(super) org_url: Option<String>,
    pub(super) org_email: Option<String>,
    pub(super) services: Vec<Svc>,
}

/// One weekly HSDS schedule as an OpenStreetMap rule: days as HSDS 3's
/// `byday` (`MO,TU`) or HSDS 1's `weekday` (`Monday`), `opens_at`, `closes_at`
/// (`09:00` or `09:00:00`). `None` when it is not a plain weekly opening.
pub(super) fn osm_rule(days: &str, opens: &str, closes: &str) -> Option<String> {
    let mut out = Vec::new();
    for d in days
        .split([',', ' '])
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let lower = d.to_ascii_lowercase();
        let code = match lower.get(..2)? {
            "mo" => "Mo",
            "tu" => "Tu",
            "we" => "We",
            "th" => "Th",
            "fr" => "Fr",
            "sa" => "Sa",
            "su" => "Su",
            _ => return None,
        };
        out.push(code);
    }
    let hhmm = |t: &str| -> Option<String> {
        let mut parts = t.trim().split(':');
        let (h, m) = (
            parts.next()?.parse::<u8>().ok()?,
            parts.next()?.parse::<u8>().ok()?,
        );
        (h <= 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
    };
    let (o, c) = (hhmm(opens)?, hhmm(closes)?);
    Some(if out.is_empty() {
        format!("{o}-{c}")
    } else {
        format!("{} {o}-{c}", out.join(","))
    })
}

/// Rules joined into one `opening_hours` value, if the whole parses.
pub(super) fn osm_hours(rules: &[String]) -> Option<String> {
    if rules.is_empty() {
        return None;
    }
    let value = rules.join("; ");
    crate::domain::hours::Hours::parse(&value)
        .ok()
        .map(|h| h.as_str().to_owned())
}

pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().trim_matches('"').to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The fields of an HSDS object assetmap reads; the rest are reported as unmapped.
pub(super) fn note_unmapped(
    obj: &Map<String, Value>,
    entity: &str,
    used: &[&str],
    out: &mut BTreeSet<String>,
) {
    for (k, v) in obj {
        let empty = v.is_null()
            || v.as_array().is_some_and(Vec::is_empty)
            || v.as_str().is_some_and(str::is_empty);
        if !used.contains(&k.as_str()) && !empty {
            out.insert(format!("{entity}.{k}"));
        }
    }
}

/// Turns gathered locations into assets.
pub(super) fn finish(locs: Vec<Loc>, source: &str, unmapped: BTreeSet<String>) -> Imported {
    let mut out = Imported {
        unmapped,
        ..Imported::default()
    };
    let now = Utc::now();
    for loc in locs {
        let (Some(lat), Some(lon)) = (loc.lat, loc.lon) else {
            out.skipped.push((loc.id, "no coordinates".into()));
            continue;
        };
        let location = match Location::new(lon, lat) {
            Ok(l) => l,
            Err(e) => {
                out.skipped
                    .push((loc.id, format!("invalid coordinates: {e}")));
                continue;
            }
        };
        let first = loc.services.first();
        let Some(name) = loc
            .name
            .clone()
            .or_else(|| first.map(|s| s.name.clone()))
            .filter(|n| !n.is_empty())
        else {
            out.skipped.push((loc.id, "no name".into()));
            continue;
        };
        let category = loc
            .services
            .iter()
            .flat_map(|s| s.terms.iter().chain(std::iter::once(&s.name)))
            .find_map(|t| taxonomy::resolve(t))
            .or_else(|| {
                loc.services
                    .iter()
                    .flat_map(|s| s.terms.iter().chain(std::iter::once(&s.name)))
                    .chain(loc.name.iter())
                    .find_map(|t| taxonomy::infer(t))
            })
            .unwrap_or_else(|| {
                out.warnings.push(format!(
                    "location {} ({name}): no category found, imported as \"other\"",
                    loc.id
                ));
                taxonomy::OTHER
            });
        let mut languages = Vec::new();
        let mut extra = Map::new();
        for l in &loc.languages {
            match language_code(l) {
                Some(c) if !languages.contains(&c) => languages.push(c),
                Some(_) => {}
                None => {
                    let list = extra
                        .entry("languages_unmapped")
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(a) = list {
                        a.push(Value::from(l.clone()));
                    }
                }
            }
        }
        if let Some(o) = &loc.organization {
            extra.insert("organization".into(), Value::from(o.clone()));
        }
        if let Some(t) = &loc.transportation {
            extra.insert("transportation".into(), Value::from(t.clone()));
        }
        let service_descriptions: Vec<Value> = loc
            .services
            .iter()
            .filter_map(|s| s.description.clone())
            .map(Value::from)
            .collect();
        if loc.description.is_none() && service_descriptions.len() > 1 {
            extra.insert(
                "service_descriptions".into(),
                Value::Array(service_descriptions),
            );
        }
        let pick = |f: &dyn Fn(&Svc) -> Option<String>| loc.services.iter().find_map(f);
        let mut fields = AssetFields {
            name: name.chars().take(200).collect(),
            category: category.to_owned(),
            description: loc
                .description
                .clone()
                .or_else(|| pick(&|s| s.description.clone())),
            address: loc.address.clone(),
            phone: loc.phone.clone(),
            email: pick(&|s| s.email.clone()).or_else(|| loc.org_email.clone()),
            website: pick(&|s| s.url.clone()).or_else(|| loc.org_url.clone()),
            languages,
            hours: loc.hours.clone(),
            opening_hours: loc.opening_hours.clone(),
            accessibility: loc.accessibility.clone(),
            ages_served: pick(&|s| s.eligibility.clone()),
            services: loc
                .services
                .iter()
                .map(|s| s.name.clone())
                .filter(|n| !n.is_empty())
                .collect(),
            source: Some(source.to_owned()),
            source_id: Some(loc.id.clone()),
            last_verified: loc.services.iter().find_map(|s| {
                s.assured_date
                    .as_deref()
                    .and_then(|d| d.get(..10))
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            }),
            location,
            extra,
            translations: Default::default(),
        };
        for d in crate::domain::validate::clean_contacts(&mut fields) {
            out.warnings
                .push(format!("location {} ({name}): {d}", loc.id));
        }
        out.assets.push(Asset {
            id: Uuid::new_v4(),
            status: Status::Approved,
            created_at: now,
            updated_at: now,
            version: 1,
            fields,
        });
    }
    out
}

pub(super) fn derived(id: Uuid, what: &str) -> Uuid {
    Uuid::new_v5(&id, what.as_bytes())
}
