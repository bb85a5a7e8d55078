//! Who may write: users, their roles, and their bearer tokens.
//!
//! A token is 32 random bytes shown once, as `am_` and 64 hex digits; only its
//! SHA-256 is stored, so a copy of the database does not hold usable tokens.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// District staff: everything, including users.
    Admin,
    /// School or district staff: create and edit any asset, publish directly.
    Editor,
    /// A community organization: its own listings only, after review.
    Organization,
    /// School staff: the partnerships of their own schools, nothing else.
    School,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Organization => "organization",
            Role::School => "school",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "organization" => Some(Role::Organization),
            "school" => Some(Role::School),
            _ => None,
        }
    }
    /// Whether this role publishes assets directly (no review).
    pub fn publishes(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }
}

/// A user who may write.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// The schools a `school` user works for (empty for every other role).
    pub schools: Vec<Uuid>,
    /// The districts an editor may import for and undo imports of; empty:
    /// every district.
    pub districts: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// When the token stops working, if it was given an expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A user as operators see it: whether revoked, besides the user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub user: User,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A lifetime for a token as people write it: `90d`, `12h`, `30m`.
pub fn parse_lifetime(s: &str) -> Option<chrono::Duration> {
    let s = s.trim();
    // The unit is the last character, whatever its width in bytes.
    let (at, _) = s.char_indices().last()?;
    let (n, unit) = s.split_at(at);
    let n: i64 = n.parse().ok().filter(|n| *n > 0 && *n <= 36_500)?;
    match unit {
        "d" => chrono::Duration::try_days(n),
        "h" => chrono::Duration::try_hours(n),
        "m" => chrono::Duration::try_minutes(n),
        _ => None,
    }
}

impl User {
    /// Whether this user may import a district's schools and areas (and undo
    /// such imports): an editor limited to districts, only for those.
    pub fn works_for_district(&self, district: &str) -> bool {
        self.districts.is_empty() || self.districts.iter().any(|d| d == district)
    }

    /// Whether this user keeps the partnerships of a school: editors and admins
    /// of every school, school staff of their own.
    pub fn manages_school(&self, school: Uuid) -> bool {
        match self.role {
            Role::Admin | Role::Editor => true,
            Role::School => self.schools.contains(&school),
            Role::Organization => false,
        }
    }
}

/// A new random token. Fails only if the operating system has no randomness.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("am_{}", hex::encode(bytes)))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_ne!(a, b);
        assert!(a.starts_with("am_") && a.len() == 67);
        let h = token_hash(&a);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&a[3..]));
        assert_eq!(h, token_hash(&a));
    }

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("90d"), chrono::Duration::try_days(90));
        assert_eq!(parse_lifetime("12h"), chrono::Duration::try_hours(12));
        for bad in ["", "d", "0d", "-1d", "90", "90w", "99999999d", "9ᬝ", "ᬝ"] {
            assert_eq!(parse_lifetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn roles() {
        for r in [Role::Admin, Role::Editor, Role::Organization, Role::School] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Role::Editor.publishes() && !Role::Organization.publishes());
        assert!(!Role::School.publishes());
        let school = Uuid::new_v4();
        let staff = User {
            id: Uuid::new_v4(),
            name: "staff".into(),
            role: Role::School,
            schools: vec![school],
            districts: Vec::new(),
            created_at: Utc::now(),
            expires_at: None,
        };
        assert!(staff.manages_school(school) && !staff.manages_school(Uuid::new_v4()));
        let org = User {
            role: Role::Organization,
            schools: Vec::new(),
            districts: Vec::new(),
            ..staff.clone()
        };
        assert!(!org.manages_school(school));
        let editor = User {
            role: Role::Editor,
            ..org
        };
        assert!(editor.manages_school(school));
    }
}
