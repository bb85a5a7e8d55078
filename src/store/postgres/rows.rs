//! PostGIS rows and domain values: the asset column list, reading rows into
//! assets, schools and catchments, and binding an asset's columns.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use sqlx::FromRow;
use sqlx::postgres::PgArguments;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::{Asset, AssetFields, Catchment, Location, School, SchoolYear, Status};
use crate::store::StoreError;
use crate::store::decode::multipolygon_from_geojson;

/// The asset columns a write sets, in the order of [`bind_asset`]'s `$1 … $24`
/// (`geom` takes two: longitude and latitude).
macro_rules! asset_columns {
    () => {
        "id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, geom, extra, opening_hours, translations"
    };
}

/// The values of [`asset_columns!`].
macro_rules! asset_values {
    () => {
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, ST_SetSRID(ST_MakePoint($20, $21), 4326), $22, $23, $24"
    };
}

/// Every asset column, for reading (in the order of [`AssetRow`]): all rows,
/// or by status, id or ids.
macro_rules! select_assets {
    ($($filter:literal)?) => {
        concat!(
            "SELECT id, version, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, ST_X(geom) AS lon, ST_Y(geom) AS lat, extra, opening_hours, translations FROM assets"
            $(, " ", $filter)?
        )
    };
}
pub(super) const SELECT_ASSETS: &str = select_assets!();
pub(super) const SELECT_ASSETS_BY_STATUS: &str = select_assets!("WHERE status = $1");
/// A keyset page of one status: `$1` status, `$2` the id to start after, `$3` the page size.
pub(super) const SELECT_ASSETS_PAGE: &str =
    select_assets!("WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3");
pub(super) const SELECT_ASSET: &str = select_assets!("WHERE id = $1");
/// An asset by its provenance: `$1` source (or null), `$2` the source's id.
pub(super) const SELECT_ASSET_BY_SOURCE: &str =
    select_assets!("WHERE coalesce(source, '') = coalesce($1, '') AND source_id = $2");
pub(super) const SELECT_ASSETS_BY_IDS: &str = select_assets!("WHERE id = ANY($1)");

/// A new asset row.
pub(super) const INSERT_ASSET: &str = concat!(
    "INSERT INTO assets (",
    asset_columns!(),
    ") VALUES (",
    asset_values!(),
    ")"
);

/// Every column of an existing asset row.
pub(super) const UPDATE_ASSET: &str = concat!(
    "UPDATE assets SET (",
    asset_columns!(),
    ") = (",
    asset_values!(),
    ") WHERE id = $1"
);

/// What an upsert overwrites (provenance aside; id and created_at are kept).
macro_rules! overwrite {
    () => {
        "name = EXCLUDED.name, category = EXCLUDED.category, description = EXCLUDED.description, address = EXCLUDED.address, phone = EXCLUDED.phone, email = EXCLUDED.email, website = EXCLUDED.website, languages = EXCLUDED.languages, hours = EXCLUDED.hours, accessibility = EXCLUDED.accessibility, ages_served = EXCLUDED.ages_served, services = EXCLUDED.services, last_verified = EXCLUDED.last_verified, status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, geom = EXCLUDED.geom, extra = EXCLUDED.extra, opening_hours = EXCLUDED.opening_hours, translations = EXCLUDED.translations, version = assets.version + 1"
    };
}

/// An import updates only rows that no organization owns: it never adopts a
/// listing it did not create. A refused update returns no row.
macro_rules! not_owned {
    () => {
        " WHERE NOT EXISTS (SELECT 1 FROM asset_owners o WHERE o.asset_id = assets.id)"
    };
}

/// An import's asset that matches a stored one by provenance.
pub(super) const UPSERT_BY_SOURCE: &str = concat!(
    "INSERT INTO assets (",
    asset_columns!(),
    ") VALUES (",
    asset_values!(),
    ") ON CONFLICT ((coalesce(source, '')), source_id) WHERE source_id IS NOT NULL DO UPDATE SET ",
    overwrite!(),
    not_owned!(),
    " RETURNING id, created_at, (xmax = 0) AS inserted, version"
);

/// An import's asset without provenance, matched by id.
pub(super) const UPSERT_BY_ID: &str = concat!(
    "INSERT INTO assets (",
    asset_columns!(),
    ") VALUES (",
    asset_values!(),
    ") ON CONFLICT (id) DO UPDATE SET source = EXCLUDED.source, source_id = EXCLUDED.source_id, ",
    overwrite!(),
    not_owned!(),
    " RETURNING id, created_at, (xmax = 0) AS inserted, version"
);

#[derive(FromRow)]
pub(super) struct AssetRow {
    id: Uuid,
    version: i64,
    name: String,
    category: String,
    description: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    languages: Vec<String>,
    hours: Option<String>,
    accessibility: Option<String>,
    ages_served: Option<String>,
    services: Vec<String>,
    source: Option<String>,
    source_id: Option<String>,
    last_verified: Option<NaiveDate>,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    lon: f64,
    lat: f64,
    extra: Json<Value>,
    opening_hours: Option<String>,
    translations: Json<Value>,
}

/// Extra properties must be a JSON object; `null` or an array set from psql
/// or QGIS is a row that does not decode.
fn object(v: Value) -> Result<Map<String, Value>, StoreError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(StoreError::Corrupt(format!(
            "extra properties: expected a JSON object, found {}",
            match other {
                Value::Null => "null",
                Value::Array(_) => "an array",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                _ => "a boolean",
            }
        ))),
    }
}

fn location(lon: f64, lat: f64) -> Result<Location, StoreError> {
    Location::new(lon, lat).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl AssetRow {
    /// The row's id as stored, for naming a row that does not decode.
    pub(super) fn id_text(&self) -> String {
        self.id.to_string()
    }
}

impl TryFrom<AssetRow> for Asset {
    type Error = StoreError;
    fn try_from(r: AssetRow) -> Result<Self, StoreError> {
        Ok(Asset {
            id: r.id,
            status: Status::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("status {:?}", r.status)))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            fields: AssetFields {
                name: r.name,
                category: r.category,
                description: r.description,
                address: r.address,
                phone: r.phone,
                email: r.email,
                website: r.website,
                languages: r.languages,
                hours: r.hours,
                accessibility: r.accessibility,
                ages_served: r.ages_served,
                services: r.services,
                source: r.source,
                source_id: r.source_id,
                last_verified: r.last_verified,
                location: location(r.lon, r.lat)?,
                extra: object(r.extra.0)?,
                opening_hours: r.opening_hours,
                translations: crate::store::decode::translations_value(r.translations.0)?,
            },
        })
    }
}

/// Binds an asset's columns as `$1 … $24`, in the order of [`asset_columns!`].
pub(super) fn bind_asset<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, PgArguments>,
    a: &Asset,
) -> sqlx::query::Query<'q, sqlx::Postgres, PgArguments> {
    let f = &a.fields;
    q.bind(a.id)
        .bind(f.name.clone())
        .bind(f.category.clone())
        .bind(f.description.clone())
        .bind(f.address.clone())
        .bind(f.phone.clone())
        .bind(f.email.clone())
        .bind(f.website.clone())
        .bind(f.languages.clone())
        .bind(f.hours.clone())
        .bind(f.accessibility.clone())
        .bind(f.ages_served.clone())
        .bind(f.services.clone())
        .bind(f.source.clone())
        .bind(f.source_id.clone())
        .bind(f.last_verified)
        .bind(a.status.as_str())
        .bind(a.created_at)
        .bind(a.updated_at)
        .bind(f.location.lon())
        .bind(f.location.lat())
        .bind(Json(f.extra.clone()))
        .bind(f.opening_hours.clone())
        .bind(Json(f.translations.clone()))
}

#[derive(FromRow)]
pub(super) struct SchoolRow {
    district: String,
    id: Uuid,
    external_id: String,
    name: String,
    level: Option<String>,
    lon: f64,
    lat: f64,
    extra: Json<Value>,
}

impl SchoolRow {
    /// The row's id as stored, for naming a row that does not decode.
    pub(super) fn id_text(&self) -> String {
        self.id.to_string()
    }
}

impl TryFrom<SchoolRow> for School {
    type Error = StoreError;
    fn try_from(r: SchoolRow) -> Result<Self, StoreError> {
        Ok(School {
            id: r.id,
            district: r.district,
            external_id: r.external_id,
            name: r.name,
            level: r.level,
            location: location(r.lon, r.lat)?,
            extra: object(r.extra.0)?,
        })
    }
}

#[derive(FromRow)]
pub(super) struct CatchmentRow {
    id: Uuid,
    school_id: Uuid,
    year: String,
    geometry: String,
}

impl CatchmentRow {
    /// The row's id as stored, for naming a row that does not decode.
    pub(super) fn id_text(&self) -> String {
        self.id.to_string()
    }
}

impl TryFrom<CatchmentRow> for Catchment {
    type Error = StoreError;
    fn try_from(r: CatchmentRow) -> Result<Self, StoreError> {
        Ok(Catchment {
            id: r.id,
            school_id: r.school_id,
            year: SchoolYear::parse(&r.year)
                .ok_or_else(|| StoreError::Corrupt(format!("year {:?}", r.year)))?,
            geometry: multipolygon_from_geojson(&r.geometry)?,
        })
    }
}
