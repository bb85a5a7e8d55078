//! Community assets: the model, its location type and the rules that keep it valid.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A validated WGS84 position: finite, longitude in [-180, 180], latitude in [-90, 90].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    lon: f64,
    lat: f64,
}

/// Why a position is not a valid WGS84 point.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LocationError {
    #[error("coordinates must be finite numbers")]
    NotFinite,
    #[error("longitude {0} is outside [-180, 180]")]
    Longitude(f64),
    #[error("latitude {0} is outside [-90, 90]")]
    Latitude(f64),
}

impl Location {
    /// Checks and builds a position from longitude and latitude in degrees.
    pub fn new(lon: f64, lat: f64) -> Result<Self, LocationError> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(LocationError::NotFinite);
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(LocationError::Longitude(lon));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(LocationError::Latitude(lat));
        }
        Ok(Self { lon, lat })
    }
    pub fn lon(&self) -> f64 {
        self.lon
    }
    pub fn lat(&self) -> f64 {
        self.lat
    }
}

/// Where an asset stands in review. Only `Approved` assets are public and indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Approved,
    Pending,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Approved => "approved",
            Status::Pending => "pending",
            Status::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(Status::Approved),
            "pending" => Some(Status::Pending),
            "rejected" => Some(Status::Rejected),
            _ => None,
        }
    }
}

/// What an asset says about itself: every field that a client, an importer or
/// a directory (HSDS) sets. The one place the asset's fields are spelled out:
/// [`Asset`] embeds it, validation and every importer produce it, the encoder
/// and both stores read it. A new field goes here, in one migration per store
/// (with its column in each store's row mapping), and in the encoder.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetFields {
    pub name: String,
    /// A taxonomy id (see [`crate::domain::taxonomy`]).
    pub category: String,
    pub description: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// ISO 639-1 codes.
    pub languages: Vec<String>,
    /// A free-text note on the hours ("closed on school holidays").
    pub hours: Option<String>,
    /// The hours as an OpenStreetMap `opening_hours` value, checked by
    /// [`crate::domain::hours::Hours::parse`].
    pub opening_hours: Option<String>,
    pub accessibility: Option<String>,
    pub ages_served: Option<String>,
    /// Free tags for the services offered.
    pub services: Vec<String>,
    /// Provenance: the data set this asset came from.
    pub source: Option<String>,
    /// Provenance: the asset's id in that data set; re-imports are keyed on (source, source_id).
    pub source_id: Option<String>,
    pub last_verified: Option<NaiveDate>,
    pub location: Location,
    /// Properties a source brought that the model does not name; kept and given back.
    pub extra: Map<String, Value>,
    /// The asset's own text in other languages, by ISO 639-1 code.
    pub translations: Translations,
}

/// An asset's name, description and hours note in one other language; what
/// is not given falls back to the original.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
}

/// Translations by ISO 639-1 language code.
pub type Translations = std::collections::BTreeMap<String, Translation>;

/// The fields a translation may carry.
pub const TRANSLATED_FIELDS: &[&str] = &["name", "description", "hours"];

/// An organization's id: a name-based UUID (v5), so every server, export and
/// run gives one organization the same id.
pub fn organization_id(name: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("assetmap:organization:{name}").as_bytes(),
    )
}

impl AssetFields {
    /// The organization that offers it, as directories (HSDS) group listings:
    /// the `organization` a source named, else the data set it came from, else
    /// `assetmap`.
    pub fn organization(&self) -> &str {
        self.extra
            .get("organization")
            .and_then(Value::as_str)
            .or(self.source.as_deref())
            .unwrap_or("assetmap")
    }

    /// Fields with a name, a category and a place, and nothing else.
    pub fn new(name: impl Into<String>, category: impl Into<String>, location: Location) -> Self {
        AssetFields {
            name: name.into(),
            category: category.into(),
            description: None,
            address: None,
            phone: None,
            email: None,
            website: None,
            languages: Vec::new(),
            hours: None,
            opening_hours: None,
            accessibility: None,
            ages_served: None,
            services: Vec::new(),
            source: None,
            source_id: None,
            last_verified: None,
            location,
            extra: Map::new(),
            translations: Translations::new(),
        }
    }
}

/// A community asset: a place that offers something to a school's families.
/// Its identity and review state, around the fields it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    pub id: Uuid,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The stored row's version: 1 when inserted, raised by every committed
    /// change to the asset or its proposal. The ETag of the asset.
    pub version: i64,
    pub fields: AssetFields,
}

impl Asset {
    /// A version of an asset made now (`updated_at` is the current time).
    pub fn new(id: Uuid, fields: AssetFields, status: Status, created_at: DateTime<Utc>) -> Self {
        Asset {
            id,
            status,
            created_at,
            updated_at: Utc::now(),
            version: 1,
            fields,
        }
    }

    /// Where the asset came from, for messages: `source/source_id` when it has
    /// a source id, else its id.
    pub fn provenance(&self) -> String {
        match &self.fields.source_id {
            Some(sid) => format!("{}/{sid}", self.fields.source.as_deref().unwrap_or("")),
            None => self.id.to_string(),
        }
    }
}

/// The property names the model owns in a Feature's `properties`. An incoming
/// property with one of these names that is not used as that field is kept as
/// `file_<name>` so that nothing is silently dropped or overwritten.
/// An extra property of an imported listing whose address could not be
/// placed: it waits, pending, at a stand-in location until an editor moves it
/// to where it is (which clears this); it cannot be approved before.
pub const LOCATION_NEEDED: &str = "location_needed";

/// Whether a listing still waits to be placed on the map.
pub fn location_needed(fields: &AssetFields) -> bool {
    fields.extra.get(LOCATION_NEEDED) == Some(&Value::Bool(true))
}

pub const MODEL_PROPERTIES: &[&str] = &[
    "name",
    "category",
    "description",
    "address",
    "phone",
    "email",
    "website",
    "languages",
    "hours",
    "opening_hours",
    "accessibility",
    "ages_served",
    "services",
    "source",
    "source_id",
    "last_verified",
    "status",
    "created_at",
    "updated_at",
    "translations",
    "distance_m",
];

/// Longest name accepted.
pub const MAX_NAME_CHARS: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_rules() {
        assert!(Location::new(-122.3, 47.6).is_ok());
        assert!(Location::new(180.0, 90.0).is_ok());
        assert!(Location::new(-180.0, -90.0).is_ok());
        assert_eq!(Location::new(0.0, 91.0), Err(LocationError::Latitude(91.0)));
        assert_eq!(
            Location::new(181.0, 0.0),
            Err(LocationError::Longitude(181.0))
        );
        assert_eq!(Location::new(f64::NAN, 0.0), Err(LocationError::NotFinite));
        assert_eq!(
            Location::new(0.0, f64::INFINITY),
            Err(LocationError::NotFinite)
        );
    }

    #[test]
    fn status_round_trip() {
        for s in [Status::Approved, Status::Pending, Status::Rejected] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("public"), None);
    }
}
