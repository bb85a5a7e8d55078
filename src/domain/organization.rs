//! A community organization's sign-up: who they are and how to reach them.

use serde::Deserialize;
use serde_json::Value;

use super::validate::Violation;

/// A checked sign-up.
#[derive(Debug, Clone, PartialEq)]
pub struct SignUp {
    pub name: String,
    pub contact_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub website: Option<String>,
}

#[derive(Deserialize)]
struct Raw {
    name: Option<Value>,
    contact_name: Option<Value>,
    email: Option<Value>,
    phone: Option<Value>,
    website: Option<Value>,
}

fn string(
    v: &Option<Value>,
    field: &str,
    required: bool,
    max: usize,
    errors: &mut Vec<Violation>,
) -> Option<String> {
    match v {
        None | Some(Value::Null) => {
            if required {
                errors.push(Violation {
                    field: field.into(),
                    detail: "is required".into(),
                });
            }
            None
        }
        Some(Value::String(raw)) => {
            let s = raw.trim();
            if s.is_empty() && required {
                errors.push(Violation {
                    field: field.into(),
                    detail: "is required".into(),
                });
                None
            } else if raw.chars().count() > max {
                errors.push(Violation {
                    field: field.into(),
                    detail: format!("at most {max} characters"),
                });
                None
            } else if s.chars().any(char::is_control) || s.contains('<') || s.contains('>') {
                errors.push(Violation {
                    field: field.into(),
                    detail: "must be plain text".into(),
                });
                None
            } else {
                (!s.is_empty()).then(|| s.to_owned())
            }
        }
        Some(_) => {
            errors.push(Violation {
                field: field.into(),
                detail: "must be a string".into(),
            });
            None
        }
    }
}

/// Checks a sign-up body; every problem is reported at once.
pub fn sign_up(body: &Value) -> Result<SignUp, Vec<Violation>> {
    let raw: Raw = match serde_json::from_value(body.clone()) {
        Ok(r) => r,
        Err(_) => {
            return Err(vec![Violation {
                field: "body".into(),
                detail: "must be a JSON object".into(),
            }]);
        }
    };
    let mut errors = Vec::new();
    let name = string(&raw.name, "name", true, 200, &mut errors);
    let contact_name = string(&raw.contact_name, "contact_name", true, 200, &mut errors);
    let email = string(&raw.email, "email", true, 254, &mut errors);
    let phone = string(&raw.phone, "phone", false, 40, &mut errors);
    let website = string(&raw.website, "website", false, 2000, &mut errors);
    // The same rules as an asset's contact fields.
    super::validate::check_contacts(
        "",
        phone.as_deref(),
        email.as_deref(),
        website.as_deref(),
        &mut errors,
    );
    match (errors.is_empty(), name, contact_name, email) {
        (true, Some(name), Some(contact_name), Some(email)) => Ok(SignUp {
            name,
            contact_name,
            email,
            phone,
            website,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sign_up_rules() {
        let ok = sign_up(
            &json!({"name": "Rainier Food Bank", "contact_name": "Ana", "email": "ana@example.org", "website": "https://example.org"}),
        );
        assert!(ok.is_ok());
        let bad = sign_up(&json!({"name": "", "email": "nope", "website": "ftp://x", "phone": 5}))
            .expect_err("bad");
        let fields: Vec<&str> = bad.iter().map(|v| v.field.as_str()).collect();
        for f in ["name", "contact_name", "email", "website", "phone"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }
}
