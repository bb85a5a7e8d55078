//! Schools and their attendance areas (catchments) by school year.

use geo::MultiPolygon;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::asset::Location;

/// A school site.
#[derive(Debug, Clone, PartialEq)]
pub struct School {
    pub id: Uuid,
    /// The district it belongs to: a short code (`SEA`); empty for the
    /// default district, so a service of one district never names it.
    pub district: String,
    /// The district's own code for the school (e.g. Seattle's `SchoolID`),
    /// unique within its district.
    pub external_id: String,
    pub name: String,
    /// elementary, middle, high, k-8, option, ... as the district says it.
    pub level: Option<String>,
    pub location: Location,
    /// Properties the source brought that the model does not name.
    pub extra: Map<String, Value>,
}

/// How a request names a school, parsed once at the edge: the API's id, or the
/// district's own id (`external_id`), as `DISTRICT:ID` when several districts
/// share the service (a plain id that two districts use is ambiguous). Every
/// route that takes a school takes all of these.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SchoolRef {
    Id(Uuid),
    District(String),
}

impl SchoolRef {
    /// Parses a reference: surrounding white space is ignored; a UUID is the
    /// API's id, anything else the district's id; empty text names nothing.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("must not be empty");
        }
        Ok(match Uuid::parse_str(raw) {
            Ok(id) => SchoolRef::Id(id),
            Err(_) => SchoolRef::District(raw.to_owned()),
        })
    }
}

impl std::fmt::Display for SchoolRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchoolRef::Id(id) => write!(f, "{id}"),
            SchoolRef::District(s) => f.write_str(s),
        }
    }
}

/// A school's attendance area for one school year. Several areas of one school in
/// one year are stored as their union.
#[derive(Debug, Clone, PartialEq)]
pub struct Catchment {
    pub id: Uuid,
    pub school_id: Uuid,
    pub year: SchoolYear,
    pub geometry: MultiPolygon<f64>,
}

/// A school year written `YYYY-YYYY` where the second year follows the first.
/// Ordering is chronological, so the newest year is the maximum.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchoolYear(String);

impl SchoolYear {
    /// Parses `2020-2021`; rejects anything else.
    /// `2024-2025`, or the short form `2024-25` (kept as `2024-2025`).
    pub fn parse(s: &str) -> Option<Self> {
        let (a, b) = s.trim().split_once(['-', '/'])?;
        if a.len() != 4 || !(b.len() == 4 || b.len() == 2) {
            return None;
        }
        let a: u16 = a.parse().ok()?;
        let b: u16 = b.parse().ok()?;
        let b = if b < 100 {
            a - a % 100 + b + if b < a % 100 { 100 } else { 0 }
        } else {
            b
        };
        (b == a + 1).then(|| Self(format!("{a}-{b}")))
    }
    /// A school year as a query names it: `2024-2025` or `2024-25`, exactly.
    /// Years that do not follow one another are kept as written: no area has
    /// them, so the query finds none (a school-year label, not an error).
    pub fn parse_query(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let shaped =
            (b.len() == 9 || b.len() == 7) && b[4] == b'-' && digits(0..4) && digits(5..b.len());
        if !shaped {
            return None;
        }
        Some(Self::parse(s).unwrap_or_else(|| Self(s.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SchoolYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The stable id of the catchment of a school in a year, so re-imports replace
/// rather than duplicate and both stores agree on it.
pub fn catchment_id(school_id: Uuid, year: &SchoolYear) -> Uuid {
    Uuid::new_v5(&school_id, year.as_str().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_years() {
        assert!(SchoolYear::parse("2020-2021").is_some());
        assert!(SchoolYear::parse("2020-2022").is_none());
        assert!(SchoolYear::parse("2020").is_none());
        assert!(SchoolYear::parse("20-21").is_none());
        assert!(SchoolYear::parse("2020-2021") < SchoolYear::parse("2021-2022"));
    }
}
