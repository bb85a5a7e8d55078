//! SQLite rows and domain values: the asset column list, reading rows into
//! assets, schools and catchments, and binding an asset's columns.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use sqlx::sqlite::SqliteArguments;
use uuid::Uuid;

use crate::domain::{Asset, AssetFields, Catchment, Location, School, SchoolYear, Status};
use crate::store::StoreError;
use crate::store::decode::{json_object, multipolygon_from_geojson, string_list};

/// The asset columns after `id`, in the order of [`AssetRow`] and of the
/// parameters `?2 … ?24` that [`bind_asset`] binds.
macro_rules! asset_fields {
    () => {
        "name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, lon, lat, extra, opening_hours, translations"
    };
}

/// Every asset column, for reading: all rows, or by status, id or ids.
macro_rules! select_assets {
    ($($filter:literal)?) => {
        concat!("SELECT id, version, ", asset_fields!(), " FROM assets" $(, " ", $filter)?)
    };
}
pub(super) const SELECT_ASSETS: &str = select_assets!();
pub(super) const SELECT_ASSETS_BY_STATUS: &str = select_assets!("WHERE status = ?1");
/// A keyset page of one status: `?1` status, `?2` the id to start after, `?3` the page size.
pub(super) const SELECT_ASSETS_PAGE: &str =
    select_assets!("WHERE status = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
pub(super) const SELECT_ASSET: &str = select_assets!("WHERE id = ?1");
/// `?1` is a JSON array of ids.
pub(super) const SELECT_ASSETS_BY_IDS: &str =
    select_assets!("WHERE id IN (SELECT value FROM json_each(?1))");

/// A new asset row.
pub(super) const INSERT_ASSET: &str = concat!(
    "INSERT INTO assets (id, ",
    asset_fields!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"
);

/// Every column of an existing asset row.
pub(super) const UPDATE_ASSET: &str = concat!(
    "UPDATE assets SET (",
    asset_fields!(),
    ") = (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) WHERE id = ?1"
);

#[derive(FromRow)]
pub(super) struct AssetRow {
    id: String,
    version: i64,
    name: String,
    category: String,
    description: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    languages: String,
    hours: Option<String>,
    accessibility: Option<String>,
    ages_served: Option<String>,
    services: String,
    source: Option<String>,
    source_id: Option<String>,
    last_verified: Option<String>,
    status: String,
    created_at: String,
    updated_at: String,
    lon: f64,
    lat: f64,
    extra: String,
    opening_hours: Option<String>,
    translations: String,
}

pub(super) fn uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("id {s:?}: {e}")))
}

pub(super) fn time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time {s:?}: {e}")))
}

fn location(lon: f64, lat: f64) -> Result<Location, StoreError> {
    Location::new(lon, lat).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(super) fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

impl AssetRow {
    /// The row's id as stored, for naming a row that does not decode.
    pub(super) fn id_text(&self) -> String {
        self.id.clone()
    }
}

impl TryFrom<AssetRow> for Asset {
    type Error = StoreError;
    fn try_from(r: AssetRow) -> Result<Self, StoreError> {
        let last_verified = r
            .last_verified
            .map(|d| {
                NaiveDate::from_str(&d).map_err(|e| StoreError::Corrupt(format!("date {d:?}: {e}")))
            })
            .transpose()?;
        Ok(Asset {
            id: uuid(&r.id)?,
            status: Status::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("status {:?}", r.status)))?,
            created_at: time(&r.created_at)?,
            updated_at: time(&r.updated_at)?,
            version: r.version,
            fields: AssetFields {
                name: r.name,
                category: r.category,
                description: r.description,
                address: r.address,
                phone: r.phone,
                email: r.email,
                website: r.website,
                languages: string_list(&r.languages)?,
                hours: r.hours,
                accessibility: r.accessibility,
                ages_served: r.ages_served,
                services: string_list(&r.services)?,
                source: r.source,
                source_id: r.source_id,
                last_verified,
                location: location(r.lon, r.lat)?,
                extra: json_object(&r.extra)?,
                opening_hours: r.opening_hours,
                translations: crate::store::decode::translations_text(&r.translations)?,
            },
        })
    }
}

/// Binds an asset's columns as `?1 … ?24`, in the order of [`asset_fields!`].
pub(super) fn bind_asset<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments>,
    a: &Asset,
) -> sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments> {
    let f = &a.fields;
    q.bind(a.id.to_string())
        .bind(f.name.clone())
        .bind(f.category.clone())
        .bind(f.description.clone())
        .bind(f.address.clone())
        .bind(f.phone.clone())
        .bind(f.email.clone())
        .bind(f.website.clone())
        .bind(json_text(&f.languages))
        .bind(f.hours.clone())
        .bind(f.accessibility.clone())
        .bind(f.ages_served.clone())
        .bind(json_text(&f.services))
        .bind(f.source.clone())
        .bind(f.source_id.clone())
        .bind(f.last_verified.map(|d| d.to_string()))
        .bind(a.status.as_str())
        .bind(rfc3339(&a.created_at))
        .bind(rfc3339(&a.updated_at))
        .bind(f.location.lon())
        .bind(f.location.lat())
        .bind(json_text(&f.extra))
        .bind(f.opening_hours.clone())
        .bind(json_text(&f.translations))
}

#[derive(FromRow)]
pub(super) struct SchoolRow {
    district: String,
    id: String,
    external_id: String,
    name: String,
    level: Option<String>,
    lon: f64,
    lat: f64,
    extra: String,
}

impl SchoolRow {
    /// The row's id as stored, for naming a row that does not decode.
    pub(super) fn id_text(&self) -> String {
        self.id.clone()
    }
}

impl TryFrom<SchoolRow> for School {
    type Error = StoreError;
    fn try_from(r: SchoolRow) -> Result<Self, StoreError> {
        Ok(School {
            id: uuid(&r.id)?,
            district: r.district,
            external_id: r.external_id,
            name: r.name,
            level: r.level,
            location: location(r.lon, r.lat)?,
            extra: json_object(&r.extra)?,
        })
    }
}

#[derive(FromRow)]
pub(super) struct CatchmentRow {
    id: String,
    school_id: String,
    year: String,
    geometry: String,
}

impl CatchmentRow {
    /// The row's id as stored, for naming a row that does not decode.
    pub(super) fn id_text(&self) -> String {
        self.id.clone()
    }
    /// The geometry as stored (GeoJSON text).
    pub(super) fn geometry_text(&self) -> &str {
        &self.geometry
    }
}

impl TryFrom<CatchmentRow> for Catchment {
    type Error = StoreError;
    fn try_from(r: CatchmentRow) -> Result<Self, StoreError> {
        Ok(Catchment {
            id: uuid(&r.id)?,
            school_id: uuid(&r.school_id)?,
            year: SchoolYear::parse(&r.year)
                .ok_or_else(|| StoreError::Corrupt(format!("year {:?}", r.year)))?,
            geometry: multipolygon_from_geojson(&r.geometry)?,
        })
    }
}
