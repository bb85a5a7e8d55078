//! The record of imports and what each changed, so that one can be undone whole.
//!
//! Every import is an [`ImportRecord`] (who, when, which file, the counts).
//! Each row it inserts or changes is journalled, in the same transaction as the
//! write, with the row as it was before (a [`Snapshot`] in JSON; nothing for a
//! row it inserted). Undoing an import deletes what it inserted and puts back
//! what it changed, in one transaction, in both stores alike.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{Asset, AssetFields, Catchment, Location, School, SchoolYear, Status};

/// One import: who ran it, when, on which file, and what it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRecord {
    pub id: Uuid,
    /// What was imported: `assets`, `schools`, `catchments` or `hsds`.
    pub kind: String,
    /// The file's name (never a path on the importer's machine beyond it).
    pub file: String,
    /// Who ran it: a user's name, or `command line`.
    pub by: String,
    pub at: DateTime<Utc>,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub skipped: i64,
    pub warnings: i64,
    /// When it was undone, if it was.
    pub undone_at: Option<DateTime<Utc>>,
    /// The district whose schools or areas it brought ('' for the default
    /// district and for assets, which belong to no district).
    pub district: String,
}

impl ImportRecord {
    /// A new record of an import starting now, with nothing counted yet.
    pub fn new(kind: &str, file: &str, by: &str) -> Self {
        ImportRecord {
            id: Uuid::new_v4(),
            kind: kind.to_owned(),
            file: file.to_owned(),
            by: by.to_owned(),
            at: Utc::now(),
            inserted: 0,
            updated: 0,
            unchanged: 0,
            skipped: 0,
            warnings: 0,
            undone_at: None,
            district: String::new(),
        }
    }
}

/// What undoing an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Undone {
    /// Assets the import inserted, now deleted.
    pub deleted: Vec<Uuid>,
    /// Assets the import changed, as they are again now.
    pub restored: Vec<Asset>,
    /// Schools deleted or put back.
    pub schools: usize,
    /// Attendance areas deleted or put back.
    pub catchments: usize,
    /// Assets left as they are, each with why (changed since the import, or
    /// now in a partnership).
    pub kept: Vec<String>,
}

/// The kinds of row an import journals, as stored.
pub const ASSET: &str = "asset";
pub const SCHOOL: &str = "school";
pub const CATCHMENT: &str = "catchment";

/// A row as it was before an import changed it, kept as JSON in the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Snapshot {
    Asset(Box<AssetSnapshot>),
    School(SchoolSnapshot),
    Catchment(CatchmentSnapshot),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetSnapshot {
    id: Uuid,
    /// The row's version then: an undo that puts it back hands the import
    /// that wrote this version the new one, so that it can be undone in turn.
    #[serde(default)]
    version: i64,
    status: Status,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    name: String,
    category: String,
    description: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    languages: Vec<String>,
    hours: Option<String>,
    opening_hours: Option<String>,
    accessibility: Option<String>,
    ages_served: Option<String>,
    services: Vec<String>,
    source: Option<String>,
    source_id: Option<String>,
    last_verified: Option<NaiveDate>,
    lon: f64,
    lat: f64,
    extra: Map<String, Value>,
    translations: crate::domain::Translations,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchoolSnapshot {
    id: Uuid,
    #[serde(default)]
    district: String,
    external_id: String,
    name: String,
    level: Option<String>,
    lon: f64,
    lat: f64,
    extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatchmentSnapshot {
    id: Uuid,
    school_id: Uuid,
    year: String,
    /// GeoJSON MultiPolygon.
    geometry: Value,
}

impl From<&Asset> for Snapshot {
    fn from(a: &Asset) -> Self {
        let f = a.fields.clone();
        Snapshot::Asset(Box::new(AssetSnapshot {
            id: a.id,
            version: a.version,
            status: a.status,
            created_at: a.created_at,
            updated_at: a.updated_at,
            name: f.name,
            category: f.category,
            description: f.description,
            address: f.address,
            phone: f.phone,
            email: f.email,
            website: f.website,
            languages: f.languages,
            hours: f.hours,
            opening_hours: f.opening_hours,
            accessibility: f.accessibility,
            ages_served: f.ages_served,
            services: f.services,
            source: f.source,
            source_id: f.source_id,
            last_verified: f.last_verified,
            lon: f.location.lon(),
            lat: f.location.lat(),
            extra: f.extra,
            translations: f.translations,
        }))
    }
}

impl From<&School> for Snapshot {
    fn from(s: &School) -> Self {
        Snapshot::School(SchoolSnapshot {
            id: s.id,
            district: s.district.clone(),
            external_id: s.external_id.clone(),
            name: s.name.clone(),
            level: s.level.clone(),
            lon: s.location.lon(),
            lat: s.location.lat(),
            extra: s.extra.clone(),
        })
    }
}

impl From<&Catchment> for Snapshot {
    fn from(c: &Catchment) -> Self {
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&c.geometry));
        Snapshot::Catchment(CatchmentSnapshot {
            id: c.id,
            school_id: c.school_id,
            year: c.year.as_str().to_owned(),
            geometry: serde_json::to_value(geometry).unwrap_or(Value::Null),
        })
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("import journal: {e}"))
}

fn location(lon: f64, lat: f64) -> Result<Location, StoreError> {
    Location::new(lon, lat).map_err(corrupt)
}

impl Snapshot {
    /// The JSON kept in the journal.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".into())
    }

    /// A snapshot read back from the journal.
    pub fn from_json(raw: &str) -> Result<Self, StoreError> {
        serde_json::from_str(raw).map_err(corrupt)
    }

    /// The asset it was, with the version it had then.
    pub fn asset(self) -> Result<Asset, StoreError> {
        let Snapshot::Asset(s) = self else {
            return Err(corrupt("not an asset"));
        };
        let s = *s;
        Ok(Asset {
            id: s.id,
            status: s.status,
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
            fields: AssetFields {
                name: s.name,
                category: s.category,
                description: s.description,
                address: s.address,
                phone: s.phone,
                email: s.email,
                website: s.website,
                languages: s.languages,
                hours: s.hours,
                opening_hours: s.opening_hours,
                accessibility: s.accessibility,
                ages_served: s.ages_served,
                services: s.services,
                source: s.source,
                source_id: s.source_id,
                last_verified: s.last_verified,
                location: location(s.lon, s.lat)?,
                extra: s.extra,
                translations: s.translations,
            },
        })
    }

    /// The school it was.
    pub fn school(self) -> Result<School, StoreError> {
        let Snapshot::School(s) = self else {
            return Err(corrupt("not a school"));
        };
        Ok(School {
            id: s.id,
            district: s.district,
            external_id: s.external_id,
            name: s.name,
            level: s.level,
            location: location(s.lon, s.lat)?,
            extra: s.extra,
        })
    }

    /// The attendance area it was.
    pub fn catchment(self) -> Result<Catchment, StoreError> {
        let Snapshot::Catchment(c) = self else {
            return Err(corrupt("not an attendance area"));
        };
        let geometry = super::decode::multipolygon_from_geojson(&c.geometry.to_string())?;
        Ok(Catchment {
            id: c.id,
            school_id: c.school_id,
            year: SchoolYear::parse(&c.year).ok_or_else(|| corrupt("year"))?,
            geometry,
        })
    }
}

/// Why an asset an import wrote is left alone by its undo, if it is.
pub fn keep_reason(
    version_now: i64,
    version_written: i64,
    partnerships: i64,
) -> Option<&'static str> {
    if version_now != version_written {
        Some("changed since the import; left as it is")
    } else if partnerships > 0 {
        Some("a school has a partnership with it; left as it is")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_give_back_what_they_took() {
        let mut f = AssetFields::new(
            "Library",
            "libraries",
            Location::new(-122.3, 47.6).expect("location"),
        );
        f.languages = vec!["es".into()];
        f.extra.insert("k".into(), Value::from(1));
        f.last_verified = NaiveDate::from_ymd_opt(2026, 1, 2);
        let a = Asset::new(Uuid::new_v4(), f, Status::Approved, Utc::now());
        let back = Snapshot::from_json(&Snapshot::from(&a).to_json())
            .and_then(Snapshot::asset)
            .expect("asset");
        assert_eq!(back.fields, a.fields);
        assert_eq!(
            (back.id, back.status, back.created_at),
            (a.id, a.status, a.created_at)
        );

        let c = Catchment {
            id: Uuid::new_v4(),
            school_id: Uuid::new_v4(),
            year: SchoolYear::parse("2024-25").expect("year"),
            geometry: geo::MultiPolygon(vec![geo::Polygon::new(
                geo::LineString::from(vec![(0., 0.), (1., 0.), (1., 1.), (0., 0.)]),
                vec![],
            )]),
        };
        let back = Snapshot::from_json(&Snapshot::from(&c).to_json())
            .and_then(Snapshot::catchment)
            .expect("catchment");
        assert_eq!(back, c);
        assert!(Snapshot::from(&c).asset().is_err());
    }
}
