//! HSDS 3.0 JSON: services, organizations, service_at_locations and locations
//! in (nested or as arrays), and every asset out as a `service_full`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{Imported, Loc, Svc, finish, note_unmapped, number, text};
use crate::domain::Asset;

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
            "last_modified",
            "organization_id",
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
            "organization_id",
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
        opening_hours: super::osm_hours(
            &l.get("schedules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|s| text(s.get("freq")).is_none_or(|f| f.eq_ignore_ascii_case("weekly")))
                .filter_map(|s| {
                    super::osm_rule(
                        &text(s.get("byday")).unwrap_or_default(),
                        &text(s.get("opens_at"))?,
                        &text(s.get("closes_at"))?,
                    )
                })
                .collect::<Vec<_>>(),
        ),
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

/// One asset as an HSDS 3.0 service with its organization and its
/// service_at_location and location nested (the `service_full` shape).
pub fn service_json(asset: &Asset) -> Value {
    super::objects::service(asset, true, true)
}

/// Every asset as HSDS 3.0 JSON: an array of services in the `service_full` shape.
pub fn to_json(assets: &[Asset]) -> Value {
    Value::Array(assets.iter().map(service_json).collect())
}
