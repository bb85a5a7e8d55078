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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::{NaiveDate, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::taxonomy;
use crate::domain::{Asset, Location, Status};
use crate::import::ImportError;

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
struct Svc {
    name: String,
    description: Option<String>,
    url: Option<String>,
    email: Option<String>,
    terms: Vec<String>,
    eligibility: Option<String>,
    assured_date: Option<String>,
}

/// A location gathered from any of the layouts.
#[derive(Debug, Default)]
struct Loc {
    id: String,
    name: Option<String>,
    description: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    address: Option<String>,
    phone: Option<String>,
    languages: Vec<String>,
    accessibility: Option<String>,
    hours: Option<String>,
    transportation: Option<String>,
    organization: Option<String>,
    org_url: Option<String>,
    org_email: Option<String>,
    services: Vec<Svc>,
}

/// ISO 639-1 codes for the language names directories use most.
const LANGUAGES: &[(&str, &str)] = &[
    ("english", "en"),
    ("spanish", "es"),
    ("chinese", "zh"),
    ("mandarin", "zh"),
    ("cantonese", "zh"),
    ("tagalog", "tl"),
    ("filipino", "tl"),
    ("vietnamese", "vi"),
    ("korean", "ko"),
    ("russian", "ru"),
    ("arabic", "ar"),
    ("french", "fr"),
    ("german", "de"),
    ("italian", "it"),
    ("portuguese", "pt"),
    ("japanese", "ja"),
    ("hindi", "hi"),
    ("urdu", "ur"),
    ("punjabi", "pa"),
    ("somali", "so"),
    ("amharic", "am"),
    ("tigrinya", "ti"),
    ("oromo", "om"),
    ("farsi", "fa"),
    ("persian", "fa"),
    ("ukrainian", "uk"),
    ("polish", "pl"),
    ("khmer", "km"),
    ("lao", "lo"),
    ("thai", "th"),
    ("hmong", "hmn"),
    ("samoan", "sm"),
    ("tongan", "to"),
    ("swahili", "sw"),
    ("haitian creole", "ht"),
    ("bengali", "bn"),
    ("gujarati", "gu"),
    ("nepali", "ne"),
    ("turkish", "tr"),
    ("hebrew", "he"),
    ("greek", "el"),
    ("romanian", "ro"),
    ("dari", "fa"),
    ("pashto", "ps"),
    ("burmese", "my"),
];

/// A language code from a code or a name ("Spanish", "Chinese (Mandarin)", "es", "eng").
fn language_code(raw: &str) -> Option<String> {
    let t = raw.trim().to_lowercase();
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_lowercase()) {
        return Some(t);
    }
    let head = t.split(['(', ',']).next().unwrap_or("").trim().to_owned();
    LANGUAGES
        .iter()
        .find(|(name, _)| *name == head || *name == t)
        .map(|(_, code)| (*code).to_owned())
        .filter(|c| c.len() == 2)
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().trim_matches('"').to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The fields of an HSDS object assetmap reads; the rest are reported as unmapped.
fn note_unmapped(
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

fn service_from_json(s: &Map<String, Value>, unmapped: &mut BTreeSet<String>) -> Svc {
    note_unmapped(
        s,
        "service",
        &[
            "id",
            "name",
            "description",
            "url",
            "email",
            "attributes",
            "eligibility_description",
            "assured_date",
            "organization",
            "service_at_locations",
            "languages",
            "status",
        ],
        unmapped,
    );
    let terms = s
        .get("attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| text(a.get("taxonomy_term").and_then(|t| t.get("name"))))
        .collect();
    Svc {
        name: text(s.get("name")).unwrap_or_default(),
        description: text(s.get("description")),
        url: text(s.get("url")),
        email: text(s.get("email")),
        terms,
        eligibility: text(s.get("eligibility_description")),
        assured_date: text(s.get("assured_date")),
    }
}

fn location_from_json(l: &Map<String, Value>, unmapped: &mut BTreeSet<String>) -> Loc {
    note_unmapped(
        l,
        "location",
        &[
            "id",
            "name",
            "description",
            "latitude",
            "longitude",
            "addresses",
            "phones",
            "languages",
            "accessibility",
            "schedules",
            "transportation",
            "location_type",
        ],
        unmapped,
    );
    let first = |key: &str| {
        l.get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .cloned()
    };
    let address = first("addresses").and_then(|a| {
        let parts: Vec<String> = [
            "address_1",
            "address_2",
            "city",
            "state_province",
            "postal_code",
        ]
        .iter()
        .filter_map(|k| text(a.get(*k)))
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    Loc {
        id: text(l.get("id")).unwrap_or_default(),
        name: text(l.get("name")),
        description: text(l.get("description")),
        lat: number(l.get("latitude")),
        lon: number(l.get("longitude")),
        address,
        phone: first("phones").and_then(|p| text(p.get("number"))),
        languages: l
            .get("languages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| text(x.get("code")).or_else(|| text(x.get("name"))))
            .collect(),
        accessibility: first("accessibility").and_then(|a| text(a.get("description"))),
        hours: first("schedules")
            .and_then(|s| text(s.get("description")).or_else(|| text(s.get("notes")))),
        transportation: text(l.get("transportation")),
        ..Loc::default()
    }
}

/// Reads HSDS 3.0 JSON: a service, an organization, a service_at_location or a
/// location, with their nested objects, or an array of any of them.
pub fn from_json(v: &Value, source: &str) -> Imported {
    let mut unmapped = BTreeSet::new();
    let mut locs: Vec<Loc> = Vec::new();
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    for item in items {
        let Some(o) = item.as_object() else { continue };
        let org = o.get("organization").and_then(Value::as_object);
        let org_name = org.and_then(|g| text(g.get("name")));
        if let Some(sals) = o.get("service_at_locations").and_then(Value::as_array) {
            // A service with the locations where it is offered.
            let svc = service_from_json(o, &mut unmapped);
            for sal in sals {
                if let Some(l) = sal.get("location").and_then(Value::as_object) {
                    let mut loc = location_from_json(l, &mut unmapped);
                    loc.services.push(svc.clone());
                    loc.organization = org_name.clone();
                    loc.org_url = org.and_then(|g| text(g.get("website")));
                    loc.org_email = org.and_then(|g| text(g.get("email")));
                    locs.push(loc);
                }
            }
        } else if let (Some(l), Some(s)) = (
            o.get("location").and_then(Value::as_object),
            o.get("service").and_then(Value::as_object),
        ) {
            // A service at a location.
            let mut loc = location_from_json(l, &mut unmapped);
            loc.services.push(service_from_json(s, &mut unmapped));
            locs.push(loc);
        } else if let Some(ls) = o.get("locations").and_then(Value::as_array) {
            // An organization with its locations and services.
            note_unmapped(
                o,
                "organization",
                &[
                    "id",
                    "name",
                    "description",
                    "email",
                    "website",
                    "locations",
                    "services",
                ],
                &mut unmapped,
            );
            let services: Vec<Svc> = o
                .get("services")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .map(|s| service_from_json(s, &mut unmapped))
                .collect();
            for l in ls.iter().filter_map(Value::as_object) {
                let mut loc = location_from_json(l, &mut unmapped);
                loc.services = services.clone();
                loc.organization = text(o.get("name"));
                loc.org_url = text(o.get("website"));
                loc.org_email = text(o.get("email"));
                locs.push(loc);
            }
        } else if o.contains_key("latitude") || o.contains_key("longitude") {
            locs.push(location_from_json(o, &mut unmapped));
        }
    }
    finish(locs, source, unmapped)
}

/// Reads a CSV file into rows of column → value; a missing file is no rows.
fn table(dir: &Path, names: &[&str]) -> Result<Vec<HashMap<String, String>>, ImportError> {
    let Some(path) = names.iter().map(|n| dir.join(n)).find(|p| p.exists()) else {
        return Ok(Vec::new());
    };
    let io = |e: csv::Error| ImportError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .map_err(io)?;
    let headers = reader.headers().map_err(io)?.clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(io)?;
        rows.push(
            headers
                .iter()
                .zip(record.iter())
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(h, v)| (h.to_owned(), v.trim().to_owned()))
                .collect(),
        );
    }
    Ok(rows)
}

/// Reads an HSDS Tabular Data Package (HSDS 1.x or 3.0 CSV files with a
/// `datapackage.json`) or the older Ohana CSV layout from a directory.
pub fn from_tables(dir: &Path, source: &str) -> Result<Imported, ImportError> {
    let mut unmapped = BTreeSet::new();
    let get = |r: &HashMap<String, String>, k: &str| r.get(k).cloned();
    let orgs: HashMap<String, HashMap<String, String>> =
        table(dir, &["organizations.csv", "organization.csv"])?
            .into_iter()
            .filter_map(|r| r.get("id").cloned().map(|id| (id, r)))
            .collect();
    let services: HashMap<String, HashMap<String, String>> =
        table(dir, &["services.csv", "service.csv"])?
            .into_iter()
            .filter_map(|r| r.get("id").cloned().map(|id| (id, r)))
            .collect();
    // Taxonomy terms linked to services (HSDS 3.0 `attributes`).
    let mut terms: HashMap<String, Vec<String>> = HashMap::new();
    for r in table(dir, &["attributes.csv", "attribute.csv"])? {
        if let Some(link) = get(&r, "link_id") {
            let t = terms.entry(link).or_default();
            t.extend(get(&r, "taxonomy_term_code"));
            t.extend(get(&r, "taxonomy_term_name"));
        }
    }
    let mut by_location: HashMap<String, Vec<String>> = HashMap::new();
    for r in table(
        dir,
        &[
            "services_at_location.csv",
            "service_at_location.csv",
            "service_at_locations.csv",
        ],
    )? {
        if let (Some(s), Some(l)) = (get(&r, "service_id"), get(&r, "location_id")) {
            by_location.entry(l).or_default().push(s);
        }
    }
    // Ohana: services name their location directly.
    for (id, s) in &services {
        if let Some(l) = s.get("location_id") {
            by_location.entry(l.clone()).or_default().push(id.clone());
        }
    }
    let first_by_location =
        |rows: Vec<HashMap<String, String>>| -> HashMap<String, HashMap<String, String>> {
            let mut m = HashMap::new();
            for r in rows {
                if let Some(l) = r.get("location_id").cloned() {
                    m.entry(l).or_insert(r);
                }
            }
            m
        };
    let addresses = first_by_location(table(
        dir,
        &["physical_addresses.csv", "addresses.csv", "address.csv"],
    )?);
    let phones = first_by_location(table(dir, &["phones.csv", "phone.csv"])?);
    let accessibility = first_by_location(table(
        dir,
        &["accessibility_for_disabilities.csv", "accessibility.csv"],
    )?);
    let schedules = first_by_location(table(
        dir,
        &["regular_schedules.csv", "schedules.csv", "schedule.csv"],
    )?);
    let mut languages: HashMap<String, Vec<String>> = HashMap::new();
    for r in table(dir, &["languages.csv", "language.csv"])? {
        if let (Some(l), Some(lang)) = (
            get(&r, "location_id"),
            get(&r, "language")
                .or_else(|| get(&r, "code"))
                .or_else(|| get(&r, "name")),
        ) {
            languages.entry(l).or_default().push(lang);
        }
    }
    for present in [
        "contacts.csv",
        "funding.csv",
        "eligibility.csv",
        "payments_accepted.csv",
        "programs.csv",
        "required_documents.csv",
        "service_areas.csv",
        "holiday_schedules.csv",
        "postal_addresses.csv",
        "mail_addresses.csv",
        "metadata.csv",
        "taxonomy.csv",
    ] {
        if dir.join(present).exists() {
            unmapped.insert(present.trim_end_matches(".csv").to_owned());
        }
    }
    let mut locs = Vec::new();
    for r in table(dir, &["locations.csv", "location.csv"])? {
        let id = get(&r, "id").unwrap_or_default();
        let org = get(&r, "organization_id").and_then(|o| orgs.get(&o));
        let address = addresses.get(&id).map(|a| {
            [
                "address_1",
                "address_2",
                "city",
                "state_province",
                "postal_code",
            ]
            .iter()
            .filter_map(|k| a.get(*k).cloned())
            .collect::<Vec<_>>()
            .join(", ")
        });
        let mut langs: Vec<String> = languages.remove(&id).unwrap_or_default();
        if let Some(l) = get(&r, "languages") {
            langs.extend(
                l.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty()),
            );
        }
        let svcs: Vec<Svc> = by_location
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|s| services.get(s).map(|row| (s, row)))
            .map(|(sid, s)| Svc {
                name: s.get("name").cloned().unwrap_or_default(),
                description: s.get("description").cloned(),
                url: s.get("url").or_else(|| s.get("website")).cloned(),
                email: s.get("email").cloned(),
                terms: terms
                    .get(sid)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(
                        s.get("keywords")
                            .into_iter()
                            .flat_map(|k| k.split(',').map(|t| t.trim().to_owned())),
                    )
                    .collect(),
                eligibility: s.get("eligibility").cloned(),
                assured_date: None,
            })
            .collect();
        let accessibility = accessibility
            .get(&id)
            .and_then(|a| {
                a.get("accessibility")
                    .or_else(|| a.get("description"))
                    .cloned()
            })
            .or_else(|| get(&r, "accessibility"));
        let hours = schedules.get(&id).and_then(|s| {
            if let Some(d) = s.get("description") {
                return Some(d.clone());
            }
            let f = |k: &str| s.get(k).cloned().unwrap_or_default();
            let days = if f("weekday").is_empty() {
                f("weekdays")
            } else {
                f("weekday")
            };
            let (opens, closes) = (f("opens_at"), f("closes_at"));
            let text = if opens.is_empty() && closes.is_empty() {
                days
            } else {
                format!("{days} {opens}-{closes}")
            };
            let text = text.trim().to_owned();
            (!text.is_empty()).then_some(text)
        });
        locs.push(Loc {
            name: get(&r, "name"),
            description: get(&r, "description").or_else(|| get(&r, "short_desc")),
            lat: get(&r, "latitude").and_then(|v| v.parse().ok()),
            lon: get(&r, "longitude").and_then(|v| v.parse().ok()),
            address: address.filter(|a| !a.is_empty()),
            phone: phones.get(&id).and_then(|p| p.get("number").cloned()),
            languages: langs,
            accessibility,
            hours,
            transportation: get(&r, "transportation"),
            organization: org.and_then(|o| o.get("name").cloned()),
            org_url: org.and_then(|o| o.get("url").or_else(|| o.get("website")).cloned()),
            org_email: org.and_then(|o| o.get("email").cloned()),
            services: svcs,
            id,
        });
    }
    Ok(finish(locs, source, unmapped))
}

/// Turns gathered locations into assets.
fn finish(locs: Vec<Loc>, source: &str, unmapped: BTreeSet<String>) -> Imported {
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
        out.assets.push(Asset {
            id: Uuid::new_v4(),
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
            status: Status::Approved,
            created_at: now,
            updated_at: now,
            location,
            extra,
        });
    }
    out
}

fn derived(id: Uuid, what: &str) -> Uuid {
    Uuid::new_v5(&id, what.as_bytes())
}

fn organization_id(name: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("assetmap:organization:{name}").as_bytes(),
    )
}

fn organization_name(a: &Asset) -> String {
    a.extra
        .get("organization")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| a.source.clone())
        .unwrap_or_else(|| "assetmap".to_owned())
}

/// One asset as an HSDS 3.0 service with its organization and its
/// service_at_location and location nested (the `service_full` shape).
pub fn service_json(a: &Asset) -> Value {
    let sal = derived(a.id, "service_at_location");
    let svc = derived(a.id, "service");
    let org = organization_name(a);
    let languages: Vec<Value> = a
        .languages
        .iter()
        .map(|c| json!({"id": derived(a.id, &format!("language:{c}")), "code": c}))
        .collect();
    let category = taxonomy::by_id(&a.category);
    json!({
        "id": svc,
        "name": a.services.first().cloned().unwrap_or_else(|| a.name.clone()),
        "description": a.description,
        "url": a.website,
        "email": a.email,
        "status": "active",
        "eligibility_description": a.ages_served,
        "assured_date": a.last_verified.map(|d| d.to_string()),
        "languages": languages,
        "attributes": [{
            "id": derived(a.id, "attribute"),
            "link_type": "category",
            "link_entity": "service",
            "taxonomy_term": {"id": derived(a.id, "term"), "code": a.category, "name": category.map(|c| c.label).unwrap_or(&a.category), "taxonomy": "assetmap"},
        }],
        "organization": {"id": organization_id(&org), "name": org},
        "service_at_locations": [{
            "id": sal,
            "service_id": svc,
            "location_id": a.id,
            "location": {
                "id": a.id,
                "location_type": "physical",
                "name": a.name,
                "description": a.description,
                "latitude": a.location.lat(),
                "longitude": a.location.lon(),
                "transportation": a.extra.get("transportation"),
                "addresses": a.address.as_ref().map(|ad| vec![json!({"id": derived(a.id, "address"), "location_id": a.id, "address_1": ad, "address_type": "physical"})]).unwrap_or_default(),
                "phones": a.phone.as_ref().map(|p| vec![json!({"id": derived(a.id, "phone"), "location_id": a.id, "number": p})]).unwrap_or_default(),
                "languages": languages,
                "accessibility": a.accessibility.as_ref().map(|d| vec![json!({"id": derived(a.id, "accessibility"), "location_id": a.id, "description": d})]).unwrap_or_default(),
                "schedules": a.hours.as_ref().map(|h| vec![json!({"id": derived(a.id, "schedule"), "location_id": a.id, "description": h})]).unwrap_or_default(),
            },
        }],
    })
}

/// Every asset as HSDS 3.0 JSON: an array of services in the `service_full` shape.
pub fn to_json(assets: &[Asset]) -> Value {
    Value::Array(assets.iter().map(service_json).collect())
}

/// Writes assets as an HSDS 3.0 Tabular Data Package: one CSV a table and a
/// `datapackage.json` describing them.
pub fn write_tables(assets: &[Asset], dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tables: Vec<(&str, Vec<&str>)> = vec![
        ("organizations", vec!["id", "name"]),
        (
            "services",
            vec![
                "id",
                "organization_id",
                "name",
                "description",
                "url",
                "email",
                "status",
                "eligibility_description",
                "assured_date",
            ],
        ),
        (
            "locations",
            vec![
                "id",
                "organization_id",
                "location_type",
                "name",
                "description",
                "latitude",
                "longitude",
                "transportation",
            ],
        ),
        (
            "service_at_locations",
            vec!["id", "service_id", "location_id"],
        ),
        (
            "addresses",
            vec!["id", "location_id", "address_1", "address_type"],
        ),
        ("phones", vec!["id", "location_id", "number"]),
        ("languages", vec!["id", "service_id", "location_id", "code"]),
        ("schedules", vec!["id", "location_id", "description"]),
        ("accessibility", vec!["id", "location_id", "description"]),
        (
            "attributes",
            vec![
                "id",
                "link_id",
                "link_type",
                "link_entity",
                "taxonomy_term_code",
                "taxonomy_term_name",
            ],
        ),
    ];
    let mut rows: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
    let mut orgs = BTreeMap::new();
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    for a in assets {
        let org = organization_name(a);
        let org_id = organization_id(&org).to_string();
        orgs.insert(org_id.clone(), org);
        let svc = derived(a.id, "service").to_string();
        let id = a.id.to_string();
        rows.entry("services").or_default().push(vec![
            svc.clone(),
            org_id.clone(),
            a.services
                .first()
                .cloned()
                .unwrap_or_else(|| a.name.clone()),
            s(&a.description),
            s(&a.website),
            s(&a.email),
            "active".into(),
            s(&a.ages_served),
            a.last_verified.map(|d| d.to_string()).unwrap_or_default(),
        ]);
        rows.entry("locations").or_default().push(vec![
            id.clone(),
            org_id,
            "physical".into(),
            a.name.clone(),
            s(&a.description),
            a.location.lat().to_string(),
            a.location.lon().to_string(),
            a.extra
                .get("transportation")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        ]);
        rows.entry("service_at_locations").or_default().push(vec![
            derived(a.id, "service_at_location").to_string(),
            svc.clone(),
            id.clone(),
        ]);
        if let Some(ad) = &a.address {
            rows.entry("addresses").or_default().push(vec![
                derived(a.id, "address").to_string(),
                id.clone(),
                ad.clone(),
                "physical".into(),
            ]);
        }
        if let Some(p) = &a.phone {
            rows.entry("phones").or_default().push(vec![
                derived(a.id, "phone").to_string(),
                id.clone(),
                p.clone(),
            ]);
        }
        for c in &a.languages {
            rows.entry("languages").or_default().push(vec![
                derived(a.id, &format!("language:{c}")).to_string(),
                svc.clone(),
                id.clone(),
                c.clone(),
            ]);
        }
        if let Some(h) = &a.hours {
            rows.entry("schedules").or_default().push(vec![
                derived(a.id, "schedule").to_string(),
                id.clone(),
                h.clone(),
            ]);
        }
        if let Some(d) = &a.accessibility {
            rows.entry("accessibility").or_default().push(vec![
                derived(a.id, "accessibility").to_string(),
                id.clone(),
                d.clone(),
            ]);
        }
        let label = taxonomy::by_id(&a.category)
            .map(|c| c.label)
            .unwrap_or(&a.category);
        rows.entry("attributes").or_default().push(vec![
            derived(a.id, "attribute").to_string(),
            svc,
            "category".into(),
            "service".into(),
            a.category.clone(),
            label.to_owned(),
        ]);
    }
    rows.insert(
        "organizations",
        orgs.into_iter().map(|(id, name)| vec![id, name]).collect(),
    );
    let mut resources = Vec::new();
    for (name, columns) in &tables {
        let path = dir.join(format!("{name}.csv"));
        let mut w = csv::Writer::from_path(&path).map_err(std::io::Error::other)?;
        w.write_record(columns).map_err(std::io::Error::other)?;
        for r in rows.get(name).into_iter().flatten() {
            w.write_record(r).map_err(std::io::Error::other)?;
        }
        w.flush()?;
        resources.push(json!({
            "name": name,
            "path": format!("{name}.csv"),
            "format": "csv",
            "mediatype": "text/csv",
            "profile": "tabular-data-resource",
            "schema": {"fields": columns.iter().map(|c| json!({"name": c, "type": if matches!(*c, "latitude" | "longitude") { "number" } else { "string" }})).collect::<Vec<_>>(), "primaryKey": "id"},
        }));
    }
    let package = json!({
        "name": "assetmap-hsds",
        "title": "Community assets as Open Referral HSDS 3.0",
        "profile": "tabular-data-package",
        "created": Utc::now().to_rfc3339(),
        "resources": resources,
    });
    std::fs::write(
        dir.join("datapackage.json"),
        serde_json::to_vec_pretty(&package).map_err(std::io::Error::other)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_names_become_codes() {
        assert_eq!(language_code("Spanish").as_deref(), Some("es"));
        assert_eq!(language_code("Chinese (Mandarin)").as_deref(), Some("zh"));
        assert_eq!(language_code("es").as_deref(), Some("es"));
        assert_eq!(language_code("Klingon"), None);
    }
}
