//! School–organization partnerships: the status, the contact at the
//! organization, the agreement's dates, what the partner provides (and to which
//! pillars), and the dated log of contacts and visits; with their validation.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::taxonomy::Pillar;
use super::validate::{Violation, check_contacts, text_value, v};

/// Where a partnership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartnershipStatus {
    Prospective,
    Contacted,
    Active,
    Former,
}

impl PartnershipStatus {
    pub const ALL: [PartnershipStatus; 4] = [
        PartnershipStatus::Prospective,
        PartnershipStatus::Contacted,
        PartnershipStatus::Active,
        PartnershipStatus::Former,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PartnershipStatus::Prospective => "prospective",
            PartnershipStatus::Contacted => "contacted",
            PartnershipStatus::Active => "active",
            PartnershipStatus::Former => "former",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The contact person at the partner organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: Option<String>,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// What a school records about one partner; what a PATCH may change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnershipFields {
    pub status: PartnershipStatus,
    /// Whether the public map may show the asset as a partner of the school
    /// (its name and what it provides; never the contact or the log).
    pub public: bool,
    pub contact: Contact,
    pub agreement_start: Option<NaiveDate>,
    pub agreement_end: Option<NaiveDate>,
    /// What the partner provides to this school, in words.
    pub provides: Option<String>,
    /// The pillars that provision serves.
    pub pillars: Vec<Pillar>,
}

/// One contact or visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The day it happened.
    pub date: NaiveDate,
    /// Who met or spoke (free text: "Principal Ortiz and the food bank's director").
    pub who: String,
    pub note: String,
    /// The user who wrote the entry.
    pub by: Option<Uuid>,
    /// When it was written.
    pub at: DateTime<Utc>,
}

/// A school's partnership with the organization behind one asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Partnership {
    pub id: Uuid,
    pub school_id: Uuid,
    pub asset_id: Uuid,
    #[serde(flatten)]
    pub fields: PartnershipFields,
    /// Contacts and visits, oldest first.
    pub log: Vec<LogEntry>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Longest free text of a partnership or a log entry's note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;
const MAX_SHORT_CHARS: usize = 200;

/// The keys a body may set; `asset_id` only when creating.
const KEYS: &[&str] = &[
    "status",
    "public",
    "contact",
    "agreement_start",
    "agreement_end",
    "provides",
    "pillars",
];
/// Keys the server sets; a client may send them back and they are ignored.
const READ_ONLY: &[&str] = &[
    "id",
    "school_id",
    "log",
    "created_at",
    "updated_at",
    "asset",
    "distance_m",
];

/// Whether text holds something that reads as an HTML tag (`<b`, `</`, `<!`).
fn has_markup(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// Optional plain text: the rule for every text field, and no markup.
fn text(
    value: Option<&Value>,
    field: &str,
    max: usize,
    errors: &mut Vec<Violation>,
) -> Option<String> {
    let s = text_value(value, field, max, errors)?;
    if has_markup(&s) {
        errors.push(v(field, "must be plain text, not markup (an HTML tag)"));
        return None;
    }
    Some(s)
}

fn date(value: Option<&Value>, field: &str, errors: &mut Vec<Violation>) -> Option<NaiveDate> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(v(field, "must be a date as YYYY-MM-DD"));
                None
            }
        },
        Some(_) => {
            errors.push(v(field, "must be a date as YYYY-MM-DD, or null"));
            None
        }
    }
}

fn unknown_keys(
    obj: &Map<String, Value>,
    allowed: &[&str],
    prefix: &str,
    errors: &mut Vec<Violation>,
) {
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) && !READ_ONLY.contains(&k.as_str()) {
            errors.push(v(
                &format!("{prefix}{}", k.chars().take(64).collect::<String>()),
                format!("unknown field; expected one of: {}", allowed.join(", ")),
            ));
        }
    }
}

impl PartnershipFields {
    /// A partnership as the JSON a client sends (a whole record; a PATCH is
    /// merged onto the stored one first). Every problem is reported at once,
    /// each named by its field. `extra` names keys allowed beside the fields
    /// (`asset_id` on creation).
    pub fn from_json(body: &Value, extra: &[&str]) -> Result<Self, Vec<Violation>> {
        let mut errors = Vec::new();
        let Some(obj) = body.as_object() else {
            return Err(vec![v("body", "must be a JSON object")]);
        };
        let allowed: Vec<&str> = KEYS.iter().chain(extra).copied().collect();
        unknown_keys(obj, &allowed, "", &mut errors);
        let status = match obj.get("status") {
            None | Some(Value::Null) => Some(PartnershipStatus::Prospective),
            Some(Value::String(s)) => PartnershipStatus::parse(s.trim()).or_else(|| {
                errors.push(v(
                    "status",
                    "must be one of prospective, contacted, active, former",
                ));
                None
            }),
            Some(_) => {
                errors.push(v(
                    "status",
                    "must be one of prospective, contacted, active, former",
                ));
                None
            }
        };
        let public = match obj.get("public") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                errors.push(v("public", "must be true or false"));
                false
            }
        };
        let contact = match obj.get("contact") {
            None | Some(Value::Null) => Contact::default(),
            Some(Value::Object(c)) => {
                unknown_keys(
                    c,
                    &["name", "role", "email", "phone"],
                    "contact.",
                    &mut errors,
                );
                let contact = Contact {
                    name: text(c.get("name"), "contact.name", MAX_SHORT_CHARS, &mut errors),
                    role: text(c.get("role"), "contact.role", MAX_SHORT_CHARS, &mut errors),
                    email: text(c.get("email"), "contact.email", 254, &mut errors),
                    phone: text(c.get("phone"), "contact.phone", 40, &mut errors),
                };
                check_contacts(
                    "contact.",
                    contact.phone.as_deref(),
                    contact.email.as_deref(),
                    None,
                    &mut errors,
                );
                contact
            }
            Some(_) => {
                errors.push(v(
                    "contact",
                    "must be an object with name, role, email, phone",
                ));
                Contact::default()
            }
        };
        let agreement_start = date(obj.get("agreement_start"), "agreement_start", &mut errors);
        let agreement_end = date(obj.get("agreement_end"), "agreement_end", &mut errors);
        if let (Some(s), Some(e)) = (agreement_start, agreement_end)
            && e < s
        {
            errors.push(v(
                "agreement_end",
                format!("must not be before agreement_start ({s})"),
            ));
        }
        let provides = text(obj.get("provides"), "provides", MAX_NOTE_CHARS, &mut errors);
        let mut pillars = Vec::new();
        match obj.get("pillars") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.len() <= Pillar::ALL.len() * 2 => {
                for item in items {
                    match item.as_str().and_then(Pillar::parse) {
                        Some(p) if !pillars.contains(&p) => pillars.push(p),
                        Some(_) => {}
                        None => {
                            errors.push(v(
                                "pillars",
                                format!(
                                    "must be a list of pillars: {}",
                                    Pillar::ALL.map(Pillar::id).join(", ")
                                ),
                            ));
                            break;
                        }
                    }
                }
            }
            Some(_) => errors.push(v(
                "pillars",
                format!(
                    "must be a list of pillars: {}",
                    Pillar::ALL.map(Pillar::id).join(", ")
                ),
            )),
        }
        match status {
            Some(status) if errors.is_empty() => Ok(PartnershipFields {
                status,
                public,
                contact,
                agreement_start,
                agreement_end,
                provides,
                pillars,
            }),
            _ => Err(errors),
        }
    }

    /// The fields as the JSON a client sends, for merging a PATCH onto.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl LogEntry {
    /// A log entry from a client's body (`date`, `who`, `note`).
    pub fn from_json(body: &Value, by: Uuid, at: DateTime<Utc>) -> Result<Self, Vec<Violation>> {
        let mut errors = Vec::new();
        let Some(obj) = body.as_object() else {
            return Err(vec![v("body", "must be a JSON object")]);
        };
        for k in obj.keys() {
            if !["date", "who", "note"].contains(&k.as_str()) {
                errors.push(v(
                    &k.chars().take(64).collect::<String>(),
                    "unknown field; expected one of: date, who, note",
                ));
            }
        }
        let date = match obj.get("date") {
            None | Some(Value::Null) => {
                errors.push(v(
                    "date",
                    "the day of the contact or visit is required (YYYY-MM-DD)",
                ));
                None
            }
            d => date(d, "date", &mut errors),
        };
        if date.is_some_and(|d| d > at.date_naive() + chrono::Days::new(1)) {
            errors.push(v("date", "must not be in the future"));
        }
        let who = text(obj.get("who"), "who", MAX_SHORT_CHARS, &mut errors);
        let note = text(obj.get("note"), "note", MAX_NOTE_CHARS, &mut errors);
        if note.is_none() && !errors.iter().any(|e| e.field == "note") {
            errors.push(v("note", "a note of 1 to 4000 characters is required"));
        }
        match (date, note) {
            (Some(date), Some(note)) if errors.is_empty() => Ok(LogEntry {
                date,
                who: who.unwrap_or_default(),
                note,
                by: Some(by),
                at,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_whole_record_passes_and_round_trips() {
        let body = json!({
            "status": "active", "public": true,
            "contact": {"name": "Ana Ruiz", "role": "Director", "email": "ana@example.org", "phone": "206-555-0100"},
            "agreement_start": "2026-09-01", "agreement_end": "2027-06-30",
            "provides": "Weekend food bags for 40 families",
            "pillars": ["integrated_student_supports", "family_and_community_engagement"],
        });
        let f = PartnershipFields::from_json(&body, &[]).expect("valid");
        assert_eq!(f.status, PartnershipStatus::Active);
        assert_eq!(f.pillars.len(), 2);
        assert_eq!(PartnershipFields::from_json(&f.to_json(), &[]), Ok(f));
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let body = json!({
            "status": "friends", "public": "yes",
            "contact": {"email": "not-an-address", "fax": "1"},
            "agreement_start": "2027-06-30", "agreement_end": "2026-09-01",
            "provides": "<script>alert(1)</script>",
            "pillars": ["sports"], "colour": "red",
        });
        let errors = PartnershipFields::from_json(&body, &[]).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "status",
            "public",
            "contact.email",
            "contact.fax",
            "agreement_end",
            "provides",
            "pillars",
            "colour",
        ] {
            assert!(fields.contains(&f), "{f} not named in {fields:?}");
        }
    }

    #[test]
    fn log_entries_need_a_date_and_a_plain_note() {
        let now = Utc::now();
        let by = Uuid::new_v4();
        let ok = LogEntry::from_json(&json!({"date": "2026-10-01", "who": "Ms. Lee", "note": "Met at the fair; ages < 5 welcome"}), by, now)
            .expect("valid");
        assert_eq!(ok.who, "Ms. Lee");
        let big = "x".repeat(MAX_NOTE_CHARS + 1);
        for (body, field) in [
            (json!({"note": "hi"}), "date"),
            (json!({"date": "2026-10-01"}), "note"),
            (json!({"date": "2026-10-01", "note": big}), "note"),
            (
                json!({"date": "2026-10-01", "note": "<img src=x onerror=alert(1)>"}),
                "note",
            ),
            (json!({"date": "01/10/2026", "note": "x"}), "date"),
        ] {
            let e = LogEntry::from_json(&body, by, now).expect_err("invalid");
            assert!(e.iter().any(|e| e.field == field), "{field}: {e:?}");
        }
    }
}
