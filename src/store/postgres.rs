//! The system of record: PostgreSQL with PostGIS through sqlx.
//!
//! Points are `geometry(Point, 4326)`, areas `geometry(MultiPolygon, 4326)`,
//! each with a GiST index, so the tables are ordinary PostGIS tables that GIS
//! staff query and edit with their own tools. A trigger announces every change
//! on the `assetmap_changes` channel (see [`crate::sync`]).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::types::Json;
use sqlx::{FromRow, Row};
use uuid::Uuid;

use super::{Counts, HistoryEntry, Revision, Store, StoreError, UpsertReport};
use crate::domain::organization::SignUp;
use crate::domain::{Asset, Catchment, Location, School, SchoolYear, Status, User};

/// A PostGIS database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database a `postgres://` URL names.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            // Fail fast when the database is away, so reads keep being served
            // from memory and writes get a prompt 503.
            .acquire_timeout(Duration::from_secs(3))
            .connect(url)
            .await?;
        Ok(Self { pool })
    }

    /// The connection pool (for the change listener and tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[derive(FromRow)]
struct AssetRow {
    id: Uuid,
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
    extra: Json<Map<String, Value>>,
}

fn location(lon: f64, lat: f64) -> Result<Location, StoreError> {
    Location::new(lon, lat).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl TryFrom<AssetRow> for Asset {
    type Error = StoreError;
    fn try_from(r: AssetRow) -> Result<Self, StoreError> {
        Ok(Asset {
            id: r.id,
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
            status: Status::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("status {:?}", r.status)))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
            location: location(r.lon, r.lat)?,
            extra: r.extra.0,
        })
    }
}

#[derive(FromRow)]
struct SchoolRow {
    id: Uuid,
    external_id: String,
    name: String,
    level: Option<String>,
    lon: f64,
    lat: f64,
    extra: Json<Map<String, Value>>,
}

#[derive(FromRow)]
struct CatchmentRow {
    id: Uuid,
    school_id: Uuid,
    year: String,
    geometry: String,
}

const SELECT_ASSETS: &str = "SELECT id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, ST_X(geom) AS lon, ST_Y(geom) AS lat, extra FROM assets";

/// The one INSERT of an asset: its columns bound as $1 … $22 by [`bind_asset`].
macro_rules! insert_asset {
    () => {
        "INSERT INTO assets (id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, geom, extra) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, ST_SetSRID(ST_MakePoint($20, $21), 4326), $22)"
    };
}

/// What an upsert overwrites (provenance aside; id and created_at are kept).
macro_rules! overwrite {
    () => {
        "name = EXCLUDED.name, category = EXCLUDED.category, description = EXCLUDED.description, address = EXCLUDED.address, phone = EXCLUDED.phone, email = EXCLUDED.email, website = EXCLUDED.website, languages = EXCLUDED.languages, hours = EXCLUDED.hours, accessibility = EXCLUDED.accessibility, ages_served = EXCLUDED.ages_served, services = EXCLUDED.services, last_verified = EXCLUDED.last_verified, status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, geom = EXCLUDED.geom, extra = EXCLUDED.extra"
    };
}

const INSERT_ASSET: &str = insert_asset!();

const UPSERT_BY_SOURCE: &str = concat!(
    insert_asset!(),
    " ON CONFLICT ((coalesce(source, '')), source_id) WHERE source_id IS NOT NULL DO UPDATE SET ",
    overwrite!(),
    " RETURNING id, created_at, (xmax = 0) AS inserted"
);

const UPSERT_BY_ID: &str = concat!(
    insert_asset!(),
    " ON CONFLICT (id) DO UPDATE SET source = EXCLUDED.source, source_id = EXCLUDED.source_id, ",
    overwrite!(),
    " RETURNING id, created_at, (xmax = 0) AS inserted"
);

/// Binds an asset's columns as $1 … $22, in the order of the INSERT and UPDATE above.
fn bind_asset<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    a: &Asset,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    q.bind(a.id)
        .bind(a.name.clone())
        .bind(a.category.clone())
        .bind(a.description.clone())
        .bind(a.address.clone())
        .bind(a.phone.clone())
        .bind(a.email.clone())
        .bind(a.website.clone())
        .bind(a.languages.clone())
        .bind(a.hours.clone())
        .bind(a.accessibility.clone())
        .bind(a.ages_served.clone())
        .bind(a.services.clone())
        .bind(a.source.clone())
        .bind(a.source_id.clone())
        .bind(a.last_verified)
        .bind(a.status.as_str())
        .bind(a.created_at)
        .bind(a.updated_at)
        .bind(a.location.lon())
        .bind(a.location.lat())
        .bind(Json(a.extra.clone()))
}

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(StoreError::Migrate)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let (assets, schools, catchments): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM assets), (SELECT count(*) FROM schools), (SELECT count(*) FROM catchments)",
        )
        .fetch_one(&self.pool)
        .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(Counts {
            assets: n(assets),
            schools: n(schools),
            catchments: n(catchments),
        })
    }

    async fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        let rows: Vec<AssetRow> = sqlx::query_as(SELECT_ASSETS).fetch_all(&self.pool).await?;
        rows.into_iter().map(Asset::try_from).collect()
    }

    async fn assets_with_status(&self, status: Status) -> Result<Vec<Asset>, StoreError> {
        const Q: &str = "SELECT id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, ST_X(geom) AS lon, ST_Y(geom) AS lat, extra FROM assets WHERE status = $1";
        let rows: Vec<AssetRow> = sqlx::query_as(Q)
            .bind(status.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Asset::try_from).collect()
    }

    async fn assets_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Asset>, StoreError> {
        const Q: &str = "SELECT id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, ST_X(geom) AS lon, ST_Y(geom) AS lat, extra FROM assets WHERE id = ANY($1)";
        let rows: Vec<AssetRow> = sqlx::query_as(Q).bind(ids).fetch_all(&self.pool).await?;
        rows.into_iter().map(Asset::try_from).collect()
    }

    async fn asset(&self, id: Uuid) -> Result<Asset, StoreError> {
        const Q: &str = "SELECT id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, ST_X(geom) AS lon, ST_Y(geom) AS lat, extra FROM assets WHERE id = $1";
        let row: AssetRow = sqlx::query_as(Q).bind(id).fetch_one(&self.pool).await?;
        row.try_into()
    }

    async fn upsert_assets(
        &self,
        assets: &[Asset],
    ) -> Result<(Vec<Asset>, UpsertReport), StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(assets.len());
        let mut report = UpsertReport::default();
        for a in assets {
            let sql = if a.source_id.is_some() {
                UPSERT_BY_SOURCE
            } else {
                UPSERT_BY_ID
            };
            let row = bind_asset(sqlx::query(sql), a).fetch_one(&mut *tx).await?;
            let id: Uuid = row.try_get("id")?;
            let created_at: DateTime<Utc> = row.try_get("created_at")?;
            let inserted: bool = row.try_get("inserted")?;
            if inserted {
                report.inserted += 1;
            } else {
                report.updated += 1;
            }
            let mut stored = a.clone();
            stored.id = id;
            stored.created_at = created_at;
            out.push(stored);
        }
        tx.commit().await?;
        Ok((out, report))
    }

    async fn insert_asset(&self, a: &Asset) -> Result<(), StoreError> {
        bind_asset(sqlx::query(INSERT_ASSET), a)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn replace_asset(&self, a: &Asset) -> Result<(), StoreError> {
        const Q: &str = "UPDATE assets SET name = $2, category = $3, description = $4, address = $5, phone = $6, email = $7, website = $8, languages = $9, hours = $10, accessibility = $11, ages_served = $12, services = $13, source = $14, source_id = $15, last_verified = $16, status = $17, created_at = $18, updated_at = $19, geom = ST_SetSRID(ST_MakePoint($20, $21), 4326), extra = $22 WHERE id = $1";
        let done = bind_asset(sqlx::query(Q), a).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_asset(&self, id: Uuid) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM assets WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn schools(&self) -> Result<Vec<School>, StoreError> {
        let rows: Vec<SchoolRow> = sqlx::query_as(
            "SELECT id, external_id, name, level, ST_X(geom) AS lon, ST_Y(geom) AS lat, extra FROM schools",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(School {
                    id: r.id,
                    external_id: r.external_id,
                    name: r.name,
                    level: r.level,
                    location: location(r.lon, r.lat)?,
                    extra: r.extra.0,
                })
            })
            .collect()
    }

    async fn upsert_schools(
        &self,
        schools: &[School],
    ) -> Result<(Vec<School>, UpsertReport), StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(schools.len());
        let mut report = UpsertReport::default();
        for s in schools {
            let (id, inserted): (Uuid, bool) = sqlx::query_as(
                "INSERT INTO schools (id, external_id, name, level, geom, extra) VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), $7) \
                 ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, geom = EXCLUDED.geom, extra = EXCLUDED.extra \
                 RETURNING id, (xmax = 0) AS inserted",
            )
            .bind(s.id)
            .bind(&s.external_id)
            .bind(&s.name)
            .bind(&s.level)
            .bind(s.location.lon())
            .bind(s.location.lat())
            .bind(Json(&s.extra))
            .fetch_one(&mut *tx)
            .await?;
            if inserted {
                report.inserted += 1;
            } else {
                report.updated += 1;
            }
            let mut stored = s.clone();
            stored.id = id;
            out.push(stored);
        }
        tx.commit().await?;
        Ok((out, report))
    }

    async fn catchments(&self) -> Result<Vec<Catchment>, StoreError> {
        let rows: Vec<CatchmentRow> = sqlx::query_as(
            "SELECT id, school_id, year, ST_AsGeoJSON(geom) AS geometry FROM catchments",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Catchment {
                    id: r.id,
                    school_id: r.school_id,
                    year: SchoolYear::parse(&r.year)
                        .ok_or_else(|| StoreError::Corrupt(format!("year {:?}", r.year)))?,
                    geometry: super::multipolygon_from_geojson(&r.geometry)?,
                })
            })
            .collect()
    }

    async fn create_user(&self, user: &User, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO users (id, name, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user.id)
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(token_hash)
            .bind(user.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_organization(
        &self,
        user: &User,
        token_hash: &str,
        d: &SignUp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO users (id, name, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user.id)
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(token_hash)
            .bind(user.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO organizations (user_id, name, contact_name, email, phone, website, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(user.id)
            .bind(&d.name)
            .bind(&d.contact_name)
            .bind(&d.email)
            .bind(&d.phone)
            .bind(&d.website)
            .bind(user.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_owner(&self, asset: Uuid, owner: Uuid) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO asset_owners (asset_id, owner_id) VALUES ($1, $2) ON CONFLICT (asset_id) DO UPDATE SET owner_id = EXCLUDED.owner_id")
            .bind(asset)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn owner_of(&self, asset: Uuid) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(Uuid,)> =
            sqlx::query_as("SELECT owner_id FROM asset_owners WHERE asset_id = $1")
                .bind(asset)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.0))
    }

    async fn put_revision(&self, asset: Uuid, by: Uuid, feature: &Value) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO asset_revisions (asset_id, submitted_by, feature, submitted_at) VALUES ($1, $2, $3, now()) ON CONFLICT (asset_id) DO UPDATE SET submitted_by = EXCLUDED.submitted_by, feature = EXCLUDED.feature, submitted_at = EXCLUDED.submitted_at")
            .bind(asset)
            .bind(by)
            .bind(Json(feature))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn revisions(&self) -> Result<Vec<Revision>, StoreError> {
        let rows: Vec<(Uuid, Uuid, Json<Value>, DateTime<Utc>)> =
            sqlx::query_as("SELECT asset_id, submitted_by, feature, submitted_at FROM asset_revisions ORDER BY submitted_at")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(asset, by, f, at)| Revision {
                asset,
                by,
                feature: f.0,
                at,
            })
            .collect())
    }

    async fn delete_revision(&self, asset: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM asset_revisions WHERE asset_id = $1")
            .bind(asset)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn record(
        &self,
        asset: Uuid,
        user: Option<Uuid>,
        action: &str,
        changes: &Value,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO asset_history (asset_id, user_id, at, action, changes) VALUES ($1, $2, now(), $3, $4)")
            .bind(asset)
            .bind(user)
            .bind(action)
            .bind(Json(changes))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn history(&self, asset: Uuid) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<(Option<Uuid>, DateTime<Utc>, String, Json<Value>)> =
            sqlx::query_as("SELECT user_id, at, action, changes FROM asset_history WHERE asset_id = $1 ORDER BY id")
                .bind(asset)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(user, at, action, c)| HistoryEntry {
                at,
                user,
                action,
                changes: c.0,
            })
            .collect())
    }

    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let row: Option<(Uuid, String, String, DateTime<Utc>)> =
            sqlx::query_as("SELECT id, name, role, created_at FROM users WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(id, name, role, created)| super::user(id, name, &role, created))
            .transpose()
    }

    async fn upsert_catchments(
        &self,
        catchments: &[Catchment],
    ) -> Result<UpsertReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut report = UpsertReport::default();
        for c in catchments {
            let mut geometry = Vec::new();
            crate::encode::write_multipolygon(&mut geometry, &c.geometry);
            let geometry =
                String::from_utf8(geometry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let (inserted,): (bool,) = sqlx::query_as(
                "INSERT INTO catchments (id, school_id, year, geom) VALUES ($1, $2, $3, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($4), 4326))) \
                 ON CONFLICT (school_id, year) DO UPDATE SET id = EXCLUDED.id, geom = EXCLUDED.geom \
                 RETURNING (xmax = 0) AS inserted",
            )
            .bind(c.id)
            .bind(c.school_id)
            .bind(c.year.as_str())
            .bind(geometry)
            .fetch_one(&mut *tx)
            .await?;
            if inserted {
                report.inserted += 1;
            } else {
                report.updated += 1;
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}
