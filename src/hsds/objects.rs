//! HSDS 3.0 objects made from assets, shaped as Open Referral's schema defines
//! them: no `null` members (a member left out is unknown), every id a UUID,
//! the enumerations respected, the members each object requires present. The
//! API (`/hsds/…`) and the exports both write these.
//!
//! One asset is one service offered at one location: the service, the
//! location and the service_at_location linking them all take the asset's id
//! (each HSDS table has its own ids); the rows hanging off them (addresses,
//! phones, languages, schedules, attributes) take ids derived from it.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::derived;
use crate::domain::taxonomy::{self, Category};
use crate::domain::{Asset, organization_id};

/// The taxonomy every asset's category comes from.
pub const TAXONOMY_NAME: &str = "assetmap";

/// The id of assetmap's taxonomy.
pub fn taxonomy_id() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"assetmap:taxonomy")
}

/// The id of a category's taxonomy term.
pub fn term_id(category: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("assetmap:taxonomy_term:{category}").as_bytes(),
    )
}

/// The category whose term has this id.
pub fn category_of_term(id: Uuid) -> Option<&'static Category> {
    taxonomy::CATEGORIES.iter().find(|c| term_id(c.id) == id)
}

/// An object built member by member; `None` values are left out.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    fn put(mut self, key: &str, v: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), v.into());
        self
    }
    fn opt<V: Into<Value>>(self, key: &str, v: Option<V>) -> Self {
        match v {
            Some(v) => self.put(key, v),
            None => self,
        }
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

fn id(u: Uuid) -> Value {
    Value::from(u.to_string())
}

/// assetmap's taxonomy as an HSDS `taxonomy`.
pub fn taxonomy() -> Value {
    Obj::default()
        .put("id", id(taxonomy_id()))
        .put("name", TAXONOMY_NAME)
        .put(
            "description",
            "assetmap's categories of community assets, each tied to the community-schools \
             pillars it serves and to a need domain.",
        )
        .put("version", env!("CARGO_PKG_VERSION"))
        .done()
}

/// A category as an HSDS `taxonomy_term`.
pub fn taxonomy_term(c: &Category) -> Value {
    let pillars: Vec<&str> = c.pillars.iter().map(|p| p.label()).collect();
    let mut description = format!("Community assets of the kind \"{}\".", c.label);
    if let Some(d) = c.domain {
        description.push_str(&format!(" Need domain: {}.", d.label()));
    }
    if !pillars.is_empty() {
        description.push_str(&format!(
            " Community-schools pillars: {}.",
            pillars.join(", ")
        ));
    }
    Obj::default()
        .put("id", id(term_id(c.id)))
        .put("code", c.id)
        .put("name", c.label)
        .put("description", description)
        .put("taxonomy", TAXONOMY_NAME)
        .put("taxonomy_id", id(taxonomy_id()))
        .put("language", "en")
        .done()
}

/// An organization as HSDS lists it: its one-to-one members. assetmap knows
/// an organization only by the name its listings carry, so its description
/// is empty (HSDS requires the member).
pub fn organization_brief(name: &str) -> Value {
    Obj::default()
        .put("id", id(organization_id(name)))
        .put("name", name)
        .put("description", "")
        .done()
}

/// An organization with its services (one-to-one members, or whole with
/// `full_service`) and its locations.
pub fn organization_full(name: &str, assets: &[Asset], full_service: bool) -> Value {
    let services: Vec<Value> = assets
        .iter()
        .map(|a| {
            if full_service {
                service(a, false, true)
            } else {
                service_flat(a)
            }
        })
        .collect();
    let locations: Vec<Value> = assets.iter().map(location_full).collect();
    let Value::Object(mut o) = organization_brief(name) else {
        unreachable!("an object")
    };
    o.insert("services".into(), Value::Array(services));
    o.insert("locations".into(), Value::Array(locations));
    Value::Object(o)
}

/// A service's name: its first service tag, else the asset's name.
fn service_name(a: &Asset) -> String {
    let f = &a.fields;
    f.services
        .first()
        .cloned()
        .unwrap_or_else(|| f.name.clone())
}

fn last_modified(a: &Asset) -> String {
    a.updated_at
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A service as `minimal=true` lists it: id, name, status, last_modified.
pub fn service_minimal(a: &Asset) -> Value {
    Obj::default()
        .put("id", id(a.id))
        .put("name", service_name(a))
        .put("status", "active")
        .put("last_modified", last_modified(a))
        .done()
}

/// A service's one-to-one members.
fn service_obj(a: &Asset) -> Obj {
    let f = &a.fields;
    Obj::default()
        .put("id", id(a.id))
        .put("organization_id", id(organization_id(f.organization())))
        .put("name", service_name(a))
        .opt("description", f.description.clone())
        .opt("url", f.website.clone())
        .opt("email", f.email.clone())
        .put("status", "active")
        .opt("eligibility_description", f.ages_served.clone())
        .opt("assured_date", f.last_verified.map(|d| d.to_string()))
        .put("last_modified", last_modified(a))
}

/// A service's one-to-one members only (inside a service_at_location of a list).
pub fn service_flat(a: &Asset) -> Value {
    service_obj(a).done()
}

/// A service as `/services` lists it: its one-to-one members and its
/// organization.
pub fn service_brief(a: &Asset) -> Value {
    service_obj(a)
        .put("organization", organization_brief(a.fields.organization()))
        .done()
}

/// A whole service: its languages, its category as an attribute, and, as
/// asked, its organization and the service_at_location with its location.
pub fn service(a: &Asset, with_organization: bool, with_locations: bool) -> Value {
    let sid = a.id;
    let term = taxonomy::by_id(&a.fields.category);
    let mut o = service_obj(a)
        .put("languages", languages(a, "service_id", sid))
        .put(
            "attributes",
            vec![
                Obj::default()
                    .put("id", id(derived(a.id, "attribute")))
                    .put("link_id", id(sid))
                    .put("link_type", "category")
                    .put("link_entity", "service")
                    .put("taxonomy_term_id", id(term_id(&a.fields.category)))
                    .put(
                        "taxonomy_term",
                        match term {
                            Some(c) => taxonomy_term(c),
                            // A category this build does not know (an older
                            // row): the term as far as it is known.
                            None => Obj::default()
                                .put("id", id(term_id(&a.fields.category)))
                                .put("code", a.fields.category.as_str())
                                .put("name", a.fields.category.as_str())
                                .put("description", "")
                                .put("taxonomy", TAXONOMY_NAME)
                                .done(),
                        },
                    )
                    .done(),
            ],
        );
    if with_organization {
        o = o.put("organization", organization_brief(a.fields.organization()));
    }
    if with_locations {
        o = o.put(
            "service_at_locations",
            vec![sal_obj(a).put("location", location_full(a)).done()],
        );
    }
    o.done()
}

fn sal_obj(a: &Asset) -> Obj {
    Obj::default()
        .put("id", id(a.id))
        .put("service_id", id(a.id))
        .put("location_id", id(a.id))
}

/// A service_at_location as `/service_at_locations` lists it: the link with
/// the one-to-one members of its service and its location.
pub fn service_at_location_brief(a: &Asset) -> Value {
    sal_obj(a)
        .put("service", service_flat(a))
        .put("location", location_obj(a).done())
        .done()
}

/// A whole service_at_location: the link, its service (with its
/// organization) and its location.
pub fn service_at_location_full(a: &Asset) -> Value {
    sal_obj(a)
        .put("service", service(a, true, false))
        .put("location", location_full(a))
        .done()
}

/// A location's one-to-one members.
fn location_obj(a: &Asset) -> Obj {
    let f = &a.fields;
    Obj::default()
        .put("id", id(a.id))
        .put("location_type", "physical")
        .put("organization_id", id(organization_id(f.organization())))
        .put("name", f.name.as_str())
        .opt("description", f.description.clone())
        .opt(
            "transportation",
            f.extra
                .get("transportation")
                .and_then(Value::as_str)
                .map(str::to_owned),
        )
        .put("latitude", f.location.lat())
        .put("longitude", f.location.lon())
}

/// A whole location: addresses, phones, languages, accessibility, schedules.
pub fn location_full(a: &Asset) -> Value {
    let (f, lid) = (&a.fields, a.id);
    let addresses: Vec<Value> = f
        .address
        .as_deref()
        .map(|text| {
            let p = address_parts(text);
            Obj::default()
                .put("id", id(derived(lid, "address")))
                .put("location_id", id(lid))
                .put("address_1", p.address_1)
                .opt("address_2", p.address_2)
                .put("city", p.city)
                .put("state_province", p.state_province)
                .put("postal_code", p.postal_code)
                .put("country", p.country)
                .put("address_type", "physical")
                .done()
        })
        .into_iter()
        .collect();
    let phones: Vec<Value> = f
        .phone
        .as_deref()
        .map(|n| {
            Obj::default()
                .put("id", id(derived(lid, "phone")))
                .put("location_id", id(lid))
                .put("number", n)
                .put("type", "voice")
                .done()
        })
        .into_iter()
        .collect();
    let accessibility: Vec<Value> = f
        .accessibility
        .as_deref()
        .map(|d| {
            Obj::default()
                .put("id", id(derived(lid, "accessibility")))
                .put("location_id", id(lid))
                .put("description", d)
                .done()
        })
        .into_iter()
        .collect();
    location_obj(a)
        .put("languages", languages(a, "location_id", lid))
        .put("addresses", addresses)
        .put("phones", phones)
        .put("accessibility", accessibility)
        .put("schedules", schedules(a))
        .done()
}

/// The languages spoken, each linked to its service or location.
fn languages(a: &Asset, link: &str, to: Uuid) -> Vec<Value> {
    a.fields
        .languages
        .iter()
        .map(|c| {
            Obj::default()
                .put("id", id(derived(a.id, &format!("{link}:language:{c}"))))
                .put(link, id(to))
                .opt("name", super::languages::name_of(c))
                .put("code", c.as_str())
                .done()
        })
        .collect()
}

/// The opening hours as HSDS schedules: one weekly schedule per opening
/// (`freq` WEEKLY, `byday`, `opens_at`, `closes_at`, local time) when the
/// `opening_hours` value is plain weekly hours; the first also carries the
/// note on the hours (or the value itself) as `description` and the exact
/// value in `notes`. Hours that are not plain weekly ones (holidays, months,
/// "off") give a single schedule with the description and the value.
fn schedules(a: &Asset) -> Vec<Value> {
    let f = &a.fields;
    let Some(description) = f.hours.as_ref().or(f.opening_hours.as_ref()) else {
        return Vec::new();
    };
    let notes = f
        .opening_hours
        .as_ref()
        .map(|oh| format!("opening_hours={oh}"));
    let weekly = f.opening_hours.as_deref().and_then(weekly_openings);
    let base = |n: usize| {
        Obj::default()
            .put("id", id(derived(a.id, &format!("schedule:{n}"))))
            .put("location_id", id(a.id))
    };
    match weekly {
        Some(openings) if !openings.is_empty() => openings
            .into_iter()
            .enumerate()
            .map(|(n, o)| {
                let mut s = base(n)
                    .put("freq", "WEEKLY")
                    .put("wkst", "MO")
                    .put("byday", o.byday)
                    .put("opens_at", o.opens)
                    .put("closes_at", o.closes);
                if n == 0 {
                    s = s
                        .put("description", description.as_str())
                        .opt("notes", notes.clone());
                }
                s.done()
            })
            .collect(),
        _ => vec![
            base(0)
                .put("description", description.as_str())
                .opt("notes", notes)
                .done(),
        ],
    }
}

/// One weekly opening: the days (`MO,TU`) and the times (`HH:MM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub byday: String,
    pub opens: String,
    pub closes: String,
}

const DAYS: [(&str, &str); 7] = [
    ("Mo", "MO"),
    ("Tu", "TU"),
    ("We", "WE"),
    ("Th", "TH"),
    ("Fr", "FR"),
    ("Sa", "SA"),
    ("Su", "SU"),
];

/// Plain weekly `opening_hours` (`Mo-Fr 09:00-17:00; Sa 10:00-14:00`: days,
/// day ranges and times, a later rule replacing the days it names) as
/// openings, days with the same times grouped; `None` for anything else.
pub fn weekly_openings(oh: &str) -> Option<Vec<Opening>> {
    let day = |d: &str| DAYS.iter().position(|(o, _)| *o == d);
    let time = |t: &str| {
        let (h, m) = t.split_once(':')?;
        let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then(|| format!("{h:02}:{m:02}"))
    };
    let mut week: [Option<Vec<(String, String)>>; 7] = Default::default();
    for rule in oh.split(';').map(str::trim).filter(|r| !r.is_empty()) {
        let (days, times) = match rule.split_once(' ') {
            Some((d, t)) if d.starts_with(|c: char| c.is_ascii_alphabetic()) => (Some(d), t),
            _ => (None, rule),
        };
        let mut on = [days.is_none(); 7];
        for part in days.into_iter().flat_map(|d| d.split(',')) {
            match part.split_once('-') {
                Some((from, to)) => {
                    let (from, to) = (day(from)?, day(to)?);
                    let mut d = from;
                    loop {
                        on[d] = true;
                        if d == to {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => on[day(part)?] = true,
            }
        }
        let mut ranges = Vec::new();
        for r in times.trim().split(',') {
            let (o, c) = r.trim().split_once('-')?;
            ranges.push((time(o)?, time(c)?));
        }
        for (d, set) in on.iter().enumerate() {
            if *set {
                week[d] = Some(ranges.clone());
            }
        }
    }
    let mut out: Vec<Opening> = Vec::new();
    let mut done = [false; 7];
    for d in 0..7 {
        let Some(ranges) = &week[d] else { continue };
        if done[d] {
            continue;
        }
        let same: Vec<usize> = (d..7)
            .filter(|&e| week[e].as_ref() == Some(ranges))
            .collect();
        for &e in &same {
            done[e] = true;
        }
        let byday = same
            .iter()
            .map(|&e| DAYS[e].1)
            .collect::<Vec<_>>()
            .join(",");
        for (o, c) in ranges {
            out.push(Opening {
                byday: byday.clone(),
                opens: o.clone(),
                closes: c.clone(),
            });
        }
    }
    Some(out)
}

/// A one-line address in HSDS's parts. HSDS requires every part but the
/// second line; a part the text does not give is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressParts {
    pub address_1: String,
    pub address_2: Option<String>,
    pub city: String,
    pub state_province: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2: `US` when the state or the ZIP code is a US one.
    pub country: String,
}

const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP",
];

fn is_zip(s: &str) -> bool {
    let b = s.as_bytes();
    let five = |b: &[u8]| b.len() == 5 && b.iter().all(u8::is_ascii_digit);
    five(b)
        || (b.len() == 10 && five(&b[..5]) && b[5] == b'-' && b[6..].iter().all(u8::is_ascii_digit))
}

fn is_state(s: &str) -> bool {
    US_STATES.contains(&s.to_ascii_uppercase().as_str())
}

/// Reads `2600 Middlefield Road, Redwood City, CA 94063` (or `…, CA, 94063`,
/// with or without a trailing `USA`) into parts: the first comma-separated
/// part is the street line, then from the end the country, the ZIP code, the
/// state and the city; what remains in between is the second line.
pub fn address_parts(text: &str) -> AddressParts {
    let mut parts: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = AddressParts::default();
    if parts.is_empty() {
        return out;
    }
    out.address_1 = parts.remove(0).to_owned();
    let mut us = false;
    if parts.last().is_some_and(|p| {
        matches!(
            p.to_ascii_uppercase().as_str(),
            "US" | "USA" | "U.S.A." | "UNITED STATES" | "UNITED STATES OF AMERICA"
        )
    }) {
        parts.pop();
        us = true;
    }
    if let Some(last) = parts.last().copied() {
        let words: Vec<&str> = last.split_whitespace().collect();
        if is_zip(last) {
            out.postal_code = last.to_owned();
            parts.pop();
        } else if let [st, zip] = words.as_slice()
            && is_state(st)
            && is_zip(zip)
        {
            out.state_province = st.to_ascii_uppercase();
            out.postal_code = (*zip).to_owned();
            parts.pop();
        }
    }
    if out.state_province.is_empty()
        && let Some(last) = parts.last().copied()
        && is_state(last)
    {
        out.state_province = last.to_ascii_uppercase();
        parts.pop();
    }
    if let Some(city) = parts.pop() {
        out.city = city.to_owned();
    }
    if !parts.is_empty() {
        out.address_2 = Some(parts.join(", "));
    }
    if us || !out.state_province.is_empty() || is_zip(&out.postal_code) {
        out.country = "US".into();
    }
    out
}

/// A page of an HSDS list, as Open Referral's API reference defines it
/// (`total_items`, `total_pages`, `page_number`, `size`, `first_page`,
/// `last_page`, `empty`, `contents`), with `page` and `per_page` as the
/// reference's earlier revision names them.
pub fn page(contents: Vec<Value>, total_items: usize, page: usize, per_page: usize) -> Value {
    let total_pages = total_items.div_ceil(per_page.max(1));
    json!({
        "total_items": total_items,
        "total_pages": total_pages,
        "page_number": page,
        "page": page,
        "per_page": per_page,
        "size": contents.len(),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(byday: &str, opens: &str, closes: &str) -> Opening {
        Opening {
            byday: byday.into(),
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    #[test]
    fn weekly_hours_become_openings() {
        assert_eq!(
            weekly_openings("Mo-Fr 09:00-17:00; Sa 10:00-14:00"),
            Some(vec![
                o("MO,TU,WE,TH,FR", "09:00", "17:00"),
                o("SA", "10:00", "14:00")
            ])
        );
        // A later rule replaces the days it names; split days give two openings.
        assert_eq!(
            weekly_openings("Mo-Fr 09:00-12:00,13:00-17:00; Fr 09:00-12:00"),
            Some(vec![
                o("MO,TU,WE,TH", "09:00", "12:00"),
                o("MO,TU,WE,TH", "13:00", "17:00"),
                o("FR", "09:00", "12:00"),
            ])
        );
        // Ranges wrap around the week; a rule without days is every day.
        assert_eq!(
            weekly_openings("Sa-Mo 10:00-16:00"),
            Some(vec![o("MO,SA,SU", "10:00", "16:00")])
        );
        assert_eq!(
            weekly_openings("08:00-20:00").map(|v| v[0].byday.clone()),
            Some("MO,TU,WE,TH,FR,SA,SU".into())
        );
        for other in [
            "Mo-Fr 09:00-17:00; PH off",
            "24/7",
            "Jan-Mar Mo 10:00-12:00",
            "Mo 25:00-26:00",
        ] {
            assert_eq!(weekly_openings(other), None, "{other}");
        }
    }

    #[test]
    fn addresses_split_into_parts() {
        let p = address_parts("2600 Middlefield Road, Redwood City, CA, 94063");
        assert_eq!(
            p,
            AddressParts {
                address_1: "2600 Middlefield Road".into(),
                address_2: None,
                city: "Redwood City".into(),
                state_province: "CA".into(),
                postal_code: "94063".into(),
                country: "US".into(),
            }
        );
        let p = address_parts("400 Broadway, Suite 3, Seattle, wa 98122-5311, USA");
        assert_eq!(p.address_2.as_deref(), Some("Suite 3"));
        assert_eq!(
            (
                p.city.as_str(),
                p.state_province.as_str(),
                p.postal_code.as_str()
            ),
            ("Seattle", "WA", "98122-5311")
        );
        // A street line alone: the other parts are unknown (empty).
        let p = address_parts("3801 S Pilgrim St");
        assert_eq!(p.address_1, "3801 S Pilgrim St");
        assert_eq!((p.city.as_str(), p.country.as_str()), ("", ""));
        let p = address_parts("10 Rue de la Paix, Paris");
        assert_eq!((p.city.as_str(), p.country.as_str()), ("Paris", ""));
    }

    #[test]
    fn pages_count_and_flag() {
        let p = page(vec![json!(1), json!(2)], 5, 1, 2);
        assert_eq!(p["total_pages"], 3);
        assert_eq!(
            (p["first_page"].as_bool(), p["last_page"].as_bool()),
            (Some(true), Some(false))
        );
        let p = page(vec![], 0, 1, 50);
        assert_eq!(
            (
                p["total_pages"].as_u64(),
                p["empty"].as_bool(),
                p["last_page"].as_bool()
            ),
            (Some(0), Some(true), Some(true))
        );
    }
}
