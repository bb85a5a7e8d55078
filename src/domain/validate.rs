//! Checking an asset sent as a GeoJSON Feature: every problem is found and
//! named by its field, so a client can fix them all at once.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::asset::{
    AssetFields, Location, MAX_NAME_CHARS, MODEL_PROPERTIES, TRANSLATED_FIELDS, Translation,
    Translations,
};
use super::taxonomy;

/// One problem with one field of a Feature (`properties.phone`, `geometry`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub detail: String,
}

pub(super) fn v(field: &str, detail: impl Into<String>) -> Violation {
    Violation {
        field: field.to_owned(),
        detail: detail.into(),
    }
}

/// Properties the server sets; a client may send them back (the shape the API
/// returns) and they are ignored.
const READ_ONLY: &[&str] = &[
    "status",
    "created_at",
    "updated_at",
    "distance_m",
    "id",
    "open_now",
    "open_evenings",
    "open_weekends",
    "hours_text",
];

/// Optional free text of at most `max` characters, trimmed, without control
/// characters (but new lines and tabs); empty is none. The one rule for text
/// fields, wherever they are sent; problems are named `field`.
pub(super) fn text_value(
    value: Option<&Value>,
    field: &str,
    max: usize,
    errors: &mut Vec<Violation>,
) -> Option<String> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            // The length as sent (as `/api`'s maxLength counts it).
            let long = s.chars().count() > max;
            let s = s.trim();
            if long {
                errors.push(v(field, format!("at most {max} characters")));
                None
            } else if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                errors.push(v(field, "must not contain control characters"));
                None
            } else if s.is_empty() {
                None
            } else {
                Some(s.to_owned())
            }
        }
        Some(_) => {
            errors.push(v(field, "must be a string or null"));
            None
        }
    }
}

/// [`text_value`] of a Feature's property, named `properties.{key}`.
pub(super) fn opt_text(
    props: &Map<String, Value>,
    key: &str,
    max: usize,
    errors: &mut Vec<Violation>,
) -> Option<String> {
    text_value(props.get(key), &format!("properties.{key}"), max, errors)
}

/// Most languages one asset may be translated into.
pub const MAX_TRANSLATIONS: usize = 20;

/// Whether a code is an ISO 639-1 language code (two lower-case letters).
pub fn is_language_code(code: &str) -> bool {
    code.len() == 2 && code.chars().all(|c| c.is_ascii_lowercase())
}

/// The translations of a Feature's properties alone (for importers).
pub fn translations_of(props: &Map<String, Value>) -> Result<Translations, Vec<Violation>> {
    let mut errors = Vec::new();
    let t = translations(props.get("translations"), &mut errors);
    if errors.is_empty() {
        Ok(t)
    } else {
        Err(errors)
    }
}

/// `properties.translations`: `{"es": {"name": …, "description": …, "hours": …}}`,
/// each text under the same rule and limit as the original field.
fn translations(value: Option<&Value>, errors: &mut Vec<Violation>) -> Translations {
    let mut out = Translations::new();
    let field = "properties.translations";
    let map = match value {
        None | Some(Value::Null) => return out,
        Some(Value::Object(m)) if m.len() <= MAX_TRANSLATIONS => m,
        Some(Value::Object(_)) => {
            errors.push(v(field, format!("at most {MAX_TRANSLATIONS} languages")));
            return out;
        }
        Some(_) => {
            errors.push(v(
                field,
                "must be an object by language code, e.g. {\"es\": {\"name\": \"…\"}}",
            ));
            return out;
        }
    };
    for (code, t) in map {
        let at = format!("{field}.{code}");
        if !is_language_code(code) {
            errors.push(v(&at, "is not an ISO 639-1 code (two lower-case letters)"));
            continue;
        }
        let Some(t) = t.as_object() else {
            errors.push(v(&at, "must be an object with name, description or hours"));
            continue;
        };
        if let Some(k) = t.keys().find(|k| !TRANSLATED_FIELDS.contains(&k.as_str())) {
            errors.push(v(
                &format!("{at}.{k}"),
                "is not translated: use name, description or hours",
            ));
            continue;
        }
        let tr = Translation {
            name: text_value(t.get("name"), &format!("{at}.name"), MAX_NAME_CHARS, errors),
            description: text_value(
                t.get("description"),
                &format!("{at}.description"),
                4000,
                errors,
            ),
            hours: text_value(t.get("hours"), &format!("{at}.hours"), 1000, errors),
        };
        if tr != Translation::default() {
            out.insert(code.clone(), tr);
        }
    }
    out
}

fn string_list(props: &Map<String, Value>, key: &str, errors: &mut Vec<Violation>) -> Vec<String> {
    let field = format!("properties.{key}");
    match props.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= 50 => {
            let mut out = Vec::new();
            for item in items {
                match item.as_str().map(str::trim) {
                    Some(s)
                        if !s.is_empty()
                            && s.chars().count() <= 100
                            && !s.chars().any(char::is_control) =>
                    {
                        out.push(s.to_owned())
                    }
                    _ => {
                        errors.push(v(
                            &field,
                            "must be a list of non-empty strings of at most 100 characters, without control characters",
                        ));
                        return Vec::new();
                    }
                }
            }
            out
        }
        Some(_) => {
            errors.push(v(&field, "must be a list of at most 50 strings"));
            Vec::new()
        }
    }
}

fn well_formed_phone(s: &str) -> bool {
    !s.is_empty() && super::patterns::phone(s)
}

fn well_formed_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.chars().count() <= 254
        && super::patterns::email(s)
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
        && !domain.contains('@')
}

fn well_formed_website(s: &str) -> bool {
    !s.is_empty()
        && super::patterns::website(s)
        && url::Url::parse(s).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
}

/// The rules for a phone number, an e-mail address and a website, wherever
/// they are given (an asset, an organization's sign-up); fields are named
/// `{prefix}phone` and so on.
pub fn check_contacts(
    prefix: &str,
    phone: Option<&str>,
    email: Option<&str>,
    website: Option<&str>,
    errors: &mut Vec<Violation>,
) {
    if phone.is_some_and(|p| !well_formed_phone(p)) {
        errors.push(v(
            &format!("{prefix}phone"),
            "must be a phone number (7 to 20 digits, with + - ( ) . or spaces)",
        ));
    }
    if email.is_some_and(|e| !well_formed_email(e)) {
        errors.push(v(&format!("{prefix}email"), "must be an e-mail address"));
    }
    if website.is_some_and(|w| !well_formed_website(w)) {
        errors.push(v(
            &format!("{prefix}website"),
            "must be an http or https URL",
        ));
    }
}

/// An imported asset's phone, e-mail and website held to the API's rules: a
/// value that breaks them (a `javascript:` URL, an address without `@`) is
/// dropped, and each drop is described for the import's report.
pub fn clean_contacts(fields: &mut AssetFields) -> Vec<String> {
    let mut dropped = Vec::new();
    let mut check = |what: &str, slot: &mut Option<String>, ok: fn(&str) -> bool, rule: &str| {
        if let Some(v) = slot.as_deref()
            && !ok(v)
        {
            let shown: String = v.chars().take(80).collect();
            dropped.push(format!("{what} {shown:?} dropped: {rule}"));
            *slot = None;
        }
    };
    check(
        "phone",
        &mut fields.phone,
        well_formed_phone,
        "not a phone number",
    );
    check(
        "e-mail",
        &mut fields.email,
        well_formed_email,
        "not an e-mail address",
    );
    check(
        "website",
        &mut fields.website,
        well_formed_website,
        "not an http or https URL",
    );
    dropped
}

fn location(feature: &Map<String, Value>, errors: &mut Vec<Violation>) -> Option<Location> {
    let Some(g) = feature.get("geometry").filter(|g| !g.is_null()) else {
        errors.push(v("geometry", "a Point geometry is required"));
        return None;
    };
    if g.get("type").and_then(Value::as_str) != Some("Point") {
        errors.push(v("geometry", "must be a Point"));
        return None;
    }
    let coords = g.get("coordinates").and_then(Value::as_array);
    match coords
        .map(|c| c.iter().map(Value::as_f64).collect::<Vec<_>>())
        .as_deref()
    {
        Some([Some(lon), Some(lat)]) | Some([Some(lon), Some(lat), Some(_)]) => {
            match Location::new(*lon, *lat) {
                Ok(l) => Some(l),
                Err(e) => {
                    errors.push(v("geometry.coordinates", e.to_string()));
                    None
                }
            }
        }
        _ => {
            errors.push(v(
                "geometry.coordinates",
                "must be [longitude, latitude] numbers",
            ));
            None
        }
    }
}

/// Checks a Feature and returns the asset's fields, or every problem found.
pub fn feature(body: &Value) -> Result<AssetFields, Vec<Violation>> {
    let mut errors = Vec::new();
    let Some(feature) = body.as_object() else {
        return Err(vec![v("body", "must be a GeoJSON Feature object")]);
    };
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        errors.push(v("type", "must be \"Feature\""));
    }
    let location = location(feature, &mut errors);
    let empty = Map::new();
    let props = match feature.get("properties") {
        Some(Value::Object(p)) => p,
        _ => {
            errors.push(v("properties", "must be an object"));
            &empty
        }
    };
    let name = match props.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            let long = s.chars().count() > MAX_NAME_CHARS;
            let s = s.trim();
            if long {
                errors.push(v(
                    "properties.name",
                    format!("at most {MAX_NAME_CHARS} characters"),
                ));
            } else if s.chars().any(char::is_control) {
                errors.push(v("properties.name", "must not contain control characters"));
            } else if s.contains('<') || s.contains('>') {
                errors.push(v("properties.name", "must not contain markup (< or >)"));
            }
            s.to_owned()
        }
        Some(Value::String(_)) | None | Some(Value::Null) => {
            errors.push(v("properties.name", "is required"));
            String::new()
        }
        Some(_) => {
            errors.push(v("properties.name", "must be a string"));
            String::new()
        }
    };
    let category = match props.get("category").and_then(Value::as_str) {
        Some(c) => match taxonomy::by_id(c)
            .or_else(|| taxonomy::CATEGORIES.iter().find(|k| k.aliases.contains(&c)))
            .map(|c| c.id)
        {
            Some(id) => id,
            None => {
                errors.push(v(
                    "properties.category",
                    format!("unknown category {c:?}; see /categories"),
                ));
                taxonomy::OTHER
            }
        },
        None => {
            errors.push(v(
                "properties.category",
                "is required: one of the ids in /categories",
            ));
            taxonomy::OTHER
        }
    };
    let description = opt_text(props, "description", 4000, &mut errors);
    let address = opt_text(props, "address", 500, &mut errors);
    let phone = opt_text(props, "phone", 40, &mut errors);
    let email = opt_text(props, "email", 254, &mut errors);
    let website = opt_text(props, "website", 2000, &mut errors);
    check_contacts(
        "properties.",
        phone.as_deref(),
        email.as_deref(),
        website.as_deref(),
        &mut errors,
    );
    let languages = string_list(props, "languages", &mut errors);
    if let Some(bad) = languages
        .iter()
        .find(|l| l.len() != 2 || !l.chars().all(|c| c.is_ascii_lowercase()))
    {
        errors.push(v(
            "properties.languages",
            format!("{bad:?} is not an ISO 639-1 code (two lower-case letters)"),
        ));
    }
    let hours = opt_text(props, "hours", 1000, &mut errors);
    let opening_hours = opt_text(props, "opening_hours", 1000, &mut errors).and_then(|raw| {
        match crate::domain::hours::Hours::parse(&raw) {
            Ok(h) => Some(h.as_str().to_owned()),
            Err(reason) => {
                errors.push(v("properties.opening_hours", reason));
                None
            }
        }
    });
    let translations = translations(props.get("translations"), &mut errors);
    let accessibility = opt_text(props, "accessibility", 1000, &mut errors);
    let ages_served = opt_text(props, "ages_served", 200, &mut errors);
    let services = string_list(props, "services", &mut errors);
    let source = opt_text(props, "source", 200, &mut errors);
    let source_id = opt_text(props, "source_id", 200, &mut errors);
    let last_verified = opt_text(props, "last_verified", 10, &mut errors).and_then(|d| {
        match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(v("properties.last_verified", "must be a date, YYYY-MM-DD"));
                None
            }
        }
    });
    let extra: Map<String, Value> = props
        .iter()
        .filter(|(k, _)| {
            !MODEL_PROPERTIES.contains(&k.as_str()) && !READ_ONLY.contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    check_extra(&extra, &mut errors);
    match (errors.is_empty(), location) {
        (true, Some(location)) => Ok(AssetFields {
            name,
            category: category.to_owned(),
            description,
            address,
            phone,
            email,
            website,
            languages,
            hours,
            opening_hours,
            accessibility,
            ages_served,
            services,
            source,
            source_id,
            last_verified,
            location,
            extra,
            translations,
        }),
        _ => Err(errors),
    }
}

/// Most extra properties of one asset.
pub const MAX_EXTRA_KEYS: usize = 100;
/// Largest the extra properties of one asset may be, as JSON.
pub const MAX_EXTRA_BYTES: usize = 16 * 1024;
/// Deepest nesting of arrays and objects inside one extra property.
pub const MAX_EXTRA_DEPTH: usize = 4;

/// How deep a value nests, and whether any of its text (keys included) holds
/// U+0000, which PostgreSQL's jsonb cannot store.
fn shape(v: &Value) -> (usize, bool) {
    match v {
        Value::Array(items) => items
            .iter()
            .map(shape)
            .fold((1, false), |(d, n), (d2, n2)| (d.max(d2 + 1), n || n2)),
        Value::Object(m) => m.iter().fold((1, false), |(d, n), (k, v)| {
            let (d2, n2) = shape(v);
            (d.max(d2 + 1), n || n2 || k.contains('\0'))
        }),
        Value::String(s) => (0, s.contains('\0')),
        _ => (0, false),
    }
}

/// The extra properties a Feature brings besides the model's: bounded in
/// number, size and depth, so that a listing cannot grow without end once
/// parsed and stored.
fn check_extra(extra: &Map<String, Value>, errors: &mut Vec<Violation>) {
    if extra.len() > MAX_EXTRA_KEYS {
        errors.push(v(
            "properties",
            format!("at most {MAX_EXTRA_KEYS} extra properties"),
        ));
        return;
    }
    let size = serde_json::to_vec(extra)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    if size > MAX_EXTRA_BYTES {
        errors.push(v(
            "properties",
            format!("the extra properties may be at most {MAX_EXTRA_BYTES} bytes of JSON together; these are {size}"),
        ));
    }
    for (k, val) in extra {
        let field = format!("properties.{}", k.chars().take(64).collect::<String>());
        if k.chars().count() > 64 {
            errors.push(v(
                &field,
                "an extra property's name may be at most 64 characters",
            ));
        }
        let (depth, nul) = shape(val);
        if depth > MAX_EXTRA_DEPTH {
            errors.push(v(
                &field,
                format!("nests {depth} deep; at most {MAX_EXTRA_DEPTH}"),
            ));
        }
        if nul || k.contains('\0') {
            errors.push(v(&field, "must not contain the character U+0000"));
        }
    }
}

/// Applies an RFC 7396 JSON Merge Patch to `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [-122.3, 47.6]},
               "properties": {"name": "Rainier Food Bank", "category": "food", "phone": "(206) 555-0100",
                              "email": "info@example.org", "website": "https://example.org/", "languages": ["en", "es"],
                              "status": "approved", "funding": "city"}})
    }

    #[test]
    fn a_good_feature_passes_and_keeps_extras() {
        let d = feature(&good()).expect("valid");
        assert_eq!(d.category, "food");
        assert_eq!(d.extra.get("funding"), Some(&json!("city")));
        assert!(!d.extra.contains_key("status"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 91]},
            "properties": {"name": "", "category": "spaceport", "phone": "call us", "email": "nope", "website": "ftp://x", "languages": ["english"]}});
        let errors = feature(&bad).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "geometry.coordinates",
            "properties.name",
            "properties.category",
            "properties.phone",
            "properties.email",
            "properties.website",
            "properties.languages",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn extras_are_bounded_in_number_size_depth_and_text() {
        let with = |extra: Value| {
            let mut f = good();
            for (k, val) in extra.as_object().expect("object") {
                f["properties"][k] = val.clone();
            }
            feature(&f)
        };
        assert!(with(json!({"funding": "county", "tags": [1, [2, [3]]]})).is_ok());
        // The 1 MiB body of zeros that grew 40x once parsed.
        let zeros = vec![0; 200_000];
        let e = with(json!({"x": zeros})).expect_err("too big");
        assert!(
            e.iter()
                .any(|e| e.field == "properties" && e.detail.contains("bytes")),
            "{e:?}"
        );
        let deep = json!({"a": [[[[[1]]]]]});
        let e = with(deep).expect_err("too deep");
        assert!(e.iter().any(|e| e.field == "properties.a"), "{e:?}");
        let e = with(json!({"note": "a\u{0}b"})).expect_err("nul");
        assert!(e.iter().any(|e| e.field == "properties.note"), "{e:?}");
        let e = with(json!({"k".repeat(65): 1})).expect_err("long name");
        assert!(
            e.iter().any(|e| e.detail.contains("64 characters")),
            "{e:?}"
        );
        let mut f = good();
        f["properties"]["services"] = json!(["meals\u{0}"]);
        assert!(feature(&f).is_err());
    }

    #[test]
    fn imported_contacts_follow_the_api_rules() {
        let mut f = feature(&good()).expect("valid");
        f.website = Some("javascript:alert(document.cookie)".into());
        f.email = Some("not an address".into());
        f.phone = Some("206-555-0100".into());
        let dropped = clean_contacts(&mut f);
        assert_eq!(dropped.len(), 2, "{dropped:?}");
        assert!(dropped[1].contains("javascript:"));
        assert_eq!((f.website, f.email), (None, None));
        assert_eq!(f.phone.as_deref(), Some("206-555-0100"));
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
    }
}
