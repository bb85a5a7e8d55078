//! A family's suggestion of a missing asset: a Feature with the few fields a
//! family knows, how they know the place, and an optional contact for
//! follow-up that is never published. A filled honeypot field marks a bot.

use serde_json::Value;

use super::AssetFields;
use super::validate::{self, Violation, opt_text};

/// The properties a suggestion may carry.
pub const PROPERTIES: &[&str] = &[
    "name",
    "category",
    "address",
    "website",
    "phone",
    "description",
    HOW_KNOWN,
    CONTACT,
    HONEYPOT,
];
const HOW_KNOWN: &str = "how_known";
const CONTACT: &str = "contact";
/// A field the form hides from people; only bots fill it in.
pub const HONEYPOT: &str = "nickname";

/// What a family suggested.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub fields: AssetFields,
    /// How the family knows the place (for the reviewer).
    pub how_known: Option<String>,
    /// Who to ask back (for the reviewer; never published).
    pub contact: Option<String>,
}

/// Reads a suggestion; `Ok(None)` when the honeypot is filled (a bot, to be
/// dropped without a word). Every problem is named by its field at once.
pub fn suggestion(body: &Value) -> Result<Option<Suggestion>, Vec<Violation>> {
    let Some(props) = body.get("properties").and_then(Value::as_object) else {
        return Err(validate::feature(body).err().unwrap_or_else(|| {
            vec![Violation {
                field: "properties".into(),
                detail: "must be an object".into(),
            }]
        }));
    };
    if props
        .get(HONEYPOT)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
    {
        return Ok(None);
    }
    let mut errors = Vec::new();
    for k in props.keys() {
        if !PROPERTIES.contains(&k.as_str()) {
            errors.push(Violation {
                field: format!("properties.{}", k.chars().take(64).collect::<String>()),
                detail: format!(
                    "unknown field; a suggestion has {}",
                    PROPERTIES[..PROPERTIES.len() - 1].join(", ")
                ),
            });
        }
    }
    let how_known = opt_text(props, HOW_KNOWN, 1000, &mut errors);
    let contact = opt_text(props, CONTACT, 200, &mut errors);
    let mut feature = body.clone();
    if let Some(p) = feature["properties"].as_object_mut() {
        for k in [HOW_KNOWN, CONTACT, HONEYPOT] {
            p.remove(k);
        }
        p.retain(|k, _| PROPERTIES.contains(&k.as_str()));
    }
    let fields = validate::feature(&feature).map_err(|mut e| {
        e.append(&mut errors);
        e
    });
    match fields {
        Ok(fields) if errors.is_empty() => Ok(Some(Suggestion {
            fields,
            how_known,
            contact,
        })),
        Ok(_) => Err(errors),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(props: Value) -> Value {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [-122.3, 47.6]}, "properties": props})
    }

    #[test]
    fn a_suggestion_keeps_its_private_parts_apart() {
        let s = suggestion(&body(json!({"name": "Corner pantry", "category": "food", "how_known": "We go there", "contact": "ana@example.org"})))
            .expect("valid")
            .expect("not a bot");
        assert_eq!(s.fields.name, "Corner pantry");
        assert_eq!(s.contact.as_deref(), Some("ana@example.org"));
        assert!(s.fields.extra.is_empty(), "{:?}", s.fields.extra);
    }

    #[test]
    fn bots_and_bad_fields() {
        assert_eq!(
            suggestion(&body(
                json!({"name": "x", "category": "food", "nickname": "bot"})
            )),
            Ok(None)
        );
        let e = suggestion(&body(
            json!({"category": "food", "source": "211", "contact": "x".repeat(201)}),
        ))
        .expect_err("invalid");
        let fields: Vec<&str> = e.iter().map(|v| v.field.as_str()).collect();
        for f in ["properties.name", "properties.source", "properties.contact"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }
}
