//! The embedded store: SQLite through sqlx, in WAL mode with `synchronous=FULL`
//! so that a committed transaction survives a crash or power loss.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{FromRow, Sqlite, Transaction};
use uuid::Uuid;

use super::{
    Counts, HistoryEntry, Revision, Store, StoreError, UpsertReport, json_object, string_list,
};
use crate::domain::organization::SignUp;
use crate::domain::{Asset, Catchment, Location, School, SchoolYear, Status, User};

/// A SQLite database file (or an in-memory database for tests).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database a `sqlite:` URL names.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: the WAL is fsynced at every commit, so an acknowledged write
            // survives SIGKILL and power loss alike.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // An in-memory database lives only as long as its one connection.
        let max = if url.contains(":memory:") { 1 } else { 4 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(opts)
            .await?;
        Ok(Self { pool })
    }
}

#[derive(FromRow)]
struct AssetRow {
    id: String,
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
}

fn uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("id {s:?}: {e}")))
}

fn time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time {s:?}: {e}")))
}

fn location(lon: f64, lat: f64) -> Result<Location, StoreError> {
    Location::new(lon, lat).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl TryFrom<AssetRow> for Asset {
    type Error = StoreError;
    fn try_from(r: AssetRow) -> Result<Self, StoreError> {
        Ok(Asset {
            id: uuid(&r.id)?,
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
            last_verified: r
                .last_verified
                .map(|d| {
                    NaiveDate::from_str(&d)
                        .map_err(|e| StoreError::Corrupt(format!("date {d:?}: {e}")))
                })
                .transpose()?,
            status: Status::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("status {:?}", r.status)))?,
            created_at: time(&r.created_at)?,
            updated_at: time(&r.updated_at)?,
            location: location(r.lon, r.lat)?,
            extra: json_object(&r.extra)?,
        })
    }
}

#[derive(FromRow)]
struct SchoolRow {
    id: String,
    external_id: String,
    name: String,
    level: Option<String>,
    lon: f64,
    lat: f64,
    extra: String,
}

impl TryFrom<SchoolRow> for School {
    type Error = StoreError;
    fn try_from(r: SchoolRow) -> Result<Self, StoreError> {
        Ok(School {
            id: uuid(&r.id)?,
            external_id: r.external_id,
            name: r.name,
            level: r.level,
            location: location(r.lon, r.lat)?,
            extra: json_object(&r.extra)?,
        })
    }
}

#[derive(FromRow)]
struct CatchmentRow {
    id: String,
    school_id: String,
    year: String,
    geometry: String,
}

impl TryFrom<CatchmentRow> for Catchment {
    type Error = StoreError;
    fn try_from(r: CatchmentRow) -> Result<Self, StoreError> {
        Ok(Catchment {
            id: uuid(&r.id)?,
            school_id: uuid(&r.school_id)?,
            year: SchoolYear::parse(&r.year)
                .ok_or_else(|| StoreError::Corrupt(format!("year {:?}", r.year)))?,
            geometry: super::multipolygon_from_geojson(&r.geometry)?,
        })
    }
}

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

async fn write_asset(
    tx: &mut Transaction<'_, Sqlite>,
    a: &Asset,
    insert: bool,
) -> Result<(), StoreError> {
    const INSERT: &str = "INSERT INTO assets (id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, lon, lat, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)";
    const UPDATE: &str = "UPDATE assets SET name = ?2, category = ?3, description = ?4, address = ?5, phone = ?6, email = ?7, website = ?8, languages = ?9, hours = ?10, accessibility = ?11, ages_served = ?12, services = ?13, source = ?14, source_id = ?15, last_verified = ?16, status = ?17, created_at = ?18, updated_at = ?19, lon = ?20, lat = ?21, extra = ?22 WHERE id = ?1";
    sqlx::query(if insert { INSERT } else { UPDATE })
        .bind(a.id.to_string())
        .bind(&a.name)
        .bind(&a.category)
        .bind(&a.description)
        .bind(&a.address)
        .bind(&a.phone)
        .bind(&a.email)
        .bind(&a.website)
        .bind(json_text(&a.languages))
        .bind(&a.hours)
        .bind(&a.accessibility)
        .bind(&a.ages_served)
        .bind(json_text(&a.services))
        .bind(&a.source)
        .bind(&a.source_id)
        .bind(a.last_verified.map(|d| d.to_string()))
        .bind(a.status.as_str())
        .bind(rfc3339(&a.created_at))
        .bind(rfc3339(&a.updated_at))
        .bind(a.location.lon())
        .bind(a.location.lat())
        .bind(json_text(&a.extra))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/sqlite")
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
        const Q: &str = "SELECT id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, lon, lat, extra FROM assets";
        let rows: Vec<AssetRow> = sqlx::query_as(Q).fetch_all(&self.pool).await?;
        rows.into_iter().map(Asset::try_from).collect()
    }

    async fn assets_with_status(&self, status: Status) -> Result<Vec<Asset>, StoreError> {
        const Q: &str = "SELECT id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, lon, lat, extra FROM assets WHERE status = ?1";
        let rows: Vec<AssetRow> = sqlx::query_as(Q)
            .bind(status.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Asset::try_from).collect()
    }

    async fn assets_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Asset>, StoreError> {
        const Q: &str = "SELECT id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, lon, lat, extra FROM assets WHERE id IN (SELECT value FROM json_each(?1))";
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let rows: Vec<AssetRow> = sqlx::query_as(Q)
            .bind(json_text(&ids))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Asset::try_from).collect()
    }

    async fn asset(&self, id: Uuid) -> Result<Asset, StoreError> {
        const Q: &str = "SELECT id, name, category, description, address, phone, email, website, languages, hours, accessibility, ages_served, services, source, source_id, last_verified, status, created_at, updated_at, lon, lat, extra FROM assets WHERE id = ?1";
        let row: AssetRow = sqlx::query_as(Q)
            .bind(id.to_string())
            .fetch_one(&self.pool)
            .await?;
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
            let existing: Option<(String, String)> = match &a.source_id {
                Some(sid) => {
                    sqlx::query_as(
                        "SELECT id, created_at FROM assets WHERE coalesce(source, '') = coalesce(?1, '') AND source_id = ?2",
                    )
                    .bind(&a.source)
                    .bind(sid)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                None => None,
            };
            let existing = match existing {
                Some(e) => Some(e),
                None => {
                    sqlx::query_as("SELECT id, created_at FROM assets WHERE id = ?1")
                        .bind(a.id.to_string())
                        .fetch_optional(&mut *tx)
                        .await?
                }
            };
            let mut stored = a.clone();
            match existing {
                Some((id, created)) => {
                    stored.id = uuid(&id)?;
                    stored.created_at = time(&created)?;
                    write_asset(&mut tx, &stored, false).await?;
                    report.updated += 1;
                }
                None => {
                    write_asset(&mut tx, &stored, true).await?;
                    report.inserted += 1;
                }
            }
            out.push(stored);
        }
        tx.commit().await?;
        Ok((out, report))
    }

    async fn insert_asset(&self, asset: &Asset) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        write_asset(&mut tx, asset, true).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replace_asset(&self, asset: &Asset) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM assets WHERE id = ?1")
            .bind(asset.id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        write_asset(&mut tx, asset, false).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_asset(&self, id: Uuid) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM assets WHERE id = ?1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn schools(&self) -> Result<Vec<School>, StoreError> {
        let rows: Vec<SchoolRow> =
            sqlx::query_as("SELECT id, external_id, name, level, lon, lat, extra FROM schools")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(School::try_from).collect()
    }

    async fn upsert_schools(
        &self,
        schools: &[School],
    ) -> Result<(Vec<School>, UpsertReport), StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(schools.len());
        let mut report = UpsertReport::default();
        for s in schools {
            let existing: Option<(String,)> =
                sqlx::query_as("SELECT id FROM schools WHERE external_id = ?1")
                    .bind(&s.external_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let mut stored = s.clone();
            let sql = match existing {
                Some((id,)) => {
                    stored.id = uuid(&id)?;
                    report.updated += 1;
                    "UPDATE schools SET external_id = ?2, name = ?3, level = ?4, lon = ?5, lat = ?6, extra = ?7 WHERE id = ?1"
                }
                None => {
                    report.inserted += 1;
                    "INSERT INTO schools (id, external_id, name, level, lon, lat, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                }
            };
            sqlx::query(sql)
                .bind(stored.id.to_string())
                .bind(&stored.external_id)
                .bind(&stored.name)
                .bind(&stored.level)
                .bind(stored.location.lon())
                .bind(stored.location.lat())
                .bind(json_text(&stored.extra))
                .execute(&mut *tx)
                .await?;
            out.push(stored);
        }
        tx.commit().await?;
        Ok((out, report))
    }

    async fn catchments(&self) -> Result<Vec<Catchment>, StoreError> {
        let rows: Vec<CatchmentRow> =
            sqlx::query_as("SELECT id, school_id, year, geometry FROM catchments")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(Catchment::try_from).collect()
    }

    async fn create_user(&self, user: &User, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO users (id, name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(user.id.to_string())
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(token_hash)
            .bind(rfc3339(&user.created_at))
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
        sqlx::query("INSERT INTO users (id, name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(user.id.to_string())
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(token_hash)
            .bind(rfc3339(&user.created_at))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO organizations (user_id, name, contact_name, email, phone, website, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .bind(user.id.to_string())
            .bind(&d.name)
            .bind(&d.contact_name)
            .bind(&d.email)
            .bind(&d.phone)
            .bind(&d.website)
            .bind(rfc3339(&user.created_at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_owner(&self, asset: Uuid, owner: Uuid) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO asset_owners (asset_id, owner_id) VALUES (?1, ?2) ON CONFLICT (asset_id) DO UPDATE SET owner_id = excluded.owner_id")
            .bind(asset.to_string())
            .bind(owner.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn owner_of(&self, asset: Uuid) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT owner_id FROM asset_owners WHERE asset_id = ?1")
                .bind(asset.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(o,)| uuid(&o)).transpose()
    }

    async fn put_revision(
        &self,
        asset: Uuid,
        by: Uuid,
        feature: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO asset_revisions (asset_id, submitted_by, feature, submitted_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (asset_id) DO UPDATE SET submitted_by = excluded.submitted_by, feature = excluded.feature, submitted_at = excluded.submitted_at")
            .bind(asset.to_string())
            .bind(by.to_string())
            .bind(feature.to_string())
            .bind(rfc3339(&Utc::now()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn revisions(&self) -> Result<Vec<Revision>, StoreError> {
        let rows: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT asset_id, submitted_by, feature, submitted_at FROM asset_revisions ORDER BY submitted_at")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(a, b, f, t)| {
                Ok(Revision {
                    asset: uuid(&a)?,
                    by: uuid(&b)?,
                    feature: serde_json::from_str(&f)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    at: time(&t)?,
                })
            })
            .collect()
    }

    async fn delete_revision(&self, asset: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM asset_revisions WHERE asset_id = ?1")
            .bind(asset.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn record(
        &self,
        asset: Uuid,
        user: Option<Uuid>,
        action: &str,
        changes: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO asset_history (asset_id, user_id, at, action, changes) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(asset.to_string())
            .bind(user.map(|u| u.to_string()))
            .bind(rfc3339(&Utc::now()))
            .bind(action)
            .bind(changes.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn history(&self, asset: Uuid) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<(Option<String>, String, String, String)> =
            sqlx::query_as("SELECT user_id, at, action, changes FROM asset_history WHERE asset_id = ?1 ORDER BY id")
                .bind(asset.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(u, at, action, changes)| {
                Ok(HistoryEntry {
                    at: time(&at)?,
                    user: u.map(|u| uuid(&u)).transpose()?,
                    action,
                    changes: serde_json::from_str(&changes)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let row: Option<(String, String, String, String)> =
            sqlx::query_as("SELECT id, name, role, created_at FROM users WHERE token_hash = ?1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(id, name, role, created)| super::user(uuid(&id)?, name, &role, time(&created)?))
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
            let replaced = sqlx::query("DELETE FROM catchments WHERE school_id = ?1 AND year = ?2")
                .bind(c.school_id.to_string())
                .bind(c.year.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(
                "INSERT INTO catchments (id, school_id, year, geometry) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(c.id.to_string())
            .bind(c.school_id.to_string())
            .bind(c.year.as_str())
            .bind(geometry)
            .execute(&mut *tx)
            .await?;
            if replaced > 0 {
                report.updated += 1;
            } else {
                report.inserted += 1;
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}
