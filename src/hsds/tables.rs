//! Tabular HSDS: Tabular Data Packages (HSDS 1.1/3.0 CSV) and the older Ohana
//! CSV layout in, a Tabular Data Package out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::Utc;
use serde_json::{Value, json};

use super::{Imported, Loc, Svc, derived, finish};
use crate::domain::organization_id;
use crate::domain::{Asset, taxonomy};
use crate::import::ImportError;

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
    // In id order: a location's services (Ohana names the location on the
    // service) come out the same on every import.
    let services: BTreeMap<String, HashMap<String, String>> =
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
    let schedule_rows = table(
        dir,
        &["regular_schedules.csv", "schedules.csv", "schedule.csv"],
    )?;
    // Every weekly row of a location, as OpenStreetMap rules.
    let mut weekly: HashMap<String, Vec<String>> = HashMap::new();
    for r in &schedule_rows {
        let f = |k: &str| r.get(k).cloned().unwrap_or_default();
        let days = [f("byday"), f("weekday"), f("weekdays")].join(",");
        if let (Some(l), Some(rule)) = (
            r.get("location_id"),
            super::osm_rule(&days, &f("opens_at"), &f("closes_at")),
        ) {
            weekly.entry(l.clone()).or_default().push(rule);
        }
    }
    let schedules = first_by_location(schedule_rows);
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
            if weekly.contains_key(&id) {
                // The rows become `opening_hours`; no note of the first alone.
                return None;
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
            opening_hours: weekly.get(&id).and_then(|rules| super::osm_hours(rules)),
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
    for asset in assets {
        let a = &asset.fields;
        let org = a.organization().to_owned();
        let org_id = organization_id(&org).to_string();
        orgs.insert(org_id.clone(), org);
        // The service, the location and the link between them take the asset's id.
        let svc = asset.id.to_string();
        let id = asset.id.to_string();
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
            id.clone(),
            svc.clone(),
            id.clone(),
        ]);
        if let Some(ad) = &a.address {
            rows.entry("addresses").or_default().push(vec![
                derived(asset.id, "address").to_string(),
                id.clone(),
                ad.clone(),
                "physical".into(),
            ]);
        }
        if let Some(p) = &a.phone {
            rows.entry("phones").or_default().push(vec![
                derived(asset.id, "phone").to_string(),
                id.clone(),
                p.clone(),
            ]);
        }
        for c in &a.languages {
            rows.entry("languages").or_default().push(vec![
                derived(asset.id, &format!("language:{c}")).to_string(),
                svc.clone(),
                id.clone(),
                c.clone(),
            ]);
        }
        if let Some(h) = &a.hours {
            rows.entry("schedules").or_default().push(vec![
                derived(asset.id, "schedule").to_string(),
                id.clone(),
                h.clone(),
            ]);
        }
        if let Some(d) = &a.accessibility {
            rows.entry("accessibility").or_default().push(vec![
                derived(asset.id, "accessibility").to_string(),
                id.clone(),
                d.clone(),
            ]);
        }
        let label = taxonomy::by_id(&a.category)
            .map(|c| c.label)
            .unwrap_or(&a.category);
        rows.entry("attributes").or_default().push(vec![
            derived(asset.id, "attribute").to_string(),
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
            w.write_record(
                r.iter()
                    .map(|c| crate::export::formula_guard(c).into_owned()),
            )
            .map_err(std::io::Error::other)?;
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
    use crate::domain::{AssetFields, Location};

    #[test]
    fn written_tables_never_start_a_formula() {
        let dir = tempfile::tempdir().expect("dir");
        let mut f = AssetFields::new(
            "=HYPERLINK(\"http://evil.example\",\"Food\")",
            "food",
            Location::new(-122.3, 47.6).expect("location"),
        );
        f.address = Some("@SUM(1+1)".into());
        let now = chrono::Utc::now();
        let a = Asset {
            id: uuid::Uuid::new_v4(),
            status: crate::domain::Status::Approved,
            created_at: now,
            updated_at: now,
            version: 1,
            fields: f,
        };
        write_tables(&[a], dir.path()).expect("write");
        for entry in std::fs::read_dir(dir.path()).expect("read") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "csv") {
                let mut r = csv::Reader::from_path(&path).expect("csv");
                for rec in r.records() {
                    for cell in rec.expect("record").iter() {
                        assert!(
                            !cell.starts_with(['=', '@', '+']),
                            "{}: {cell}",
                            path.display()
                        );
                    }
                }
            }
        }
        let locations = std::fs::read_to_string(dir.path().join("locations.csv")).expect("read");
        assert!(locations.contains("'=HYPERLINK"), "{locations}");
    }
}
