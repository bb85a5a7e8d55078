//! The system of record: PostgreSQL with PostGIS through sqlx.
//!
//! Points are `geometry(Point, 4326)`, areas `geometry(MultiPolygon, 4326)`,
//! each with a GiST index, so the tables are ordinary PostGIS tables that GIS
//! staff query and edit with their own tools. A trigger announces every change
//! on the `assetmap_changes` channel, which `sync.rs` follows.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::types::Json;
use uuid::Uuid;

use super::decode::{Skipped, SkippedRow, user};
use super::{
    AuditEntry, AuditRecord, Change, Counts, HistoryEntry, ImportRecord, PartnershipChange,
    Revision, RevisionChange, RowChange, Store, StoreError, Undone, UpsertReport,
};
use crate::domain::organization::SignUp;
use crate::domain::user::UserRecord;
use crate::domain::{Asset, Catchment, Partnership, School, Status, User};

mod geocoding;
mod imports;
mod partnerships;
mod rows;
mod users;

use imports::{catchment_before, journal, school_before, snapshot};

use rows::{
    AssetRow, CatchmentRow, INSERT_ASSET, SELECT_ASSET, SELECT_ASSET_BY_SOURCE, SELECT_ASSETS,
    SELECT_ASSETS_BY_IDS, SELECT_ASSETS_BY_STATUS, SELECT_ASSETS_PAGE, SchoolRow, UPDATE_ASSET,
    UPSERT_BY_ID, UPSERT_BY_SOURCE, bind_asset,
};

type RevisionRow = (Uuid, Uuid, Json<Value>, DateTime<Utc>);

fn revision((asset, by, feature, at): RevisionRow) -> Revision {
    Revision {
        asset,
        by,
        feature: feature.0,
        at,
    }
}

/// A PostGIS database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    skipped: Skipped,
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
        Ok(Self {
            pool,
            skipped: Skipped::default(),
        })
    }

    /// The connection pool (for the change listener and tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// A query that reads asset rows.
type AssetsQuery<'q> =
    sqlx::query::QueryAs<'q, sqlx::Postgres, AssetRow, sqlx::postgres::PgArguments>;

impl PostgresStore {
    /// Runs a query of asset rows and decodes every row.
    async fn fetch_assets(&self, q: AssetsQuery<'_>) -> Result<Vec<Asset>, StoreError> {
        let rows = q.fetch_all(&self.pool).await?;
        Ok(self
            .skipped
            .decode_all("assets", rows, AssetRow::id_text, Asset::try_from))
    }
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
        super::ping(&self.pool).await
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        super::counts(&self.pool).await
    }

    async fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        self.fetch_assets(sqlx::query_as(SELECT_ASSETS)).await
    }

    async fn assets_with_status(&self, status: Status) -> Result<Vec<Asset>, StoreError> {
        self.fetch_assets(sqlx::query_as(SELECT_ASSETS_BY_STATUS).bind(status.as_str()))
            .await
    }

    async fn approved_page(
        &self,
        after: Uuid,
        limit: i64,
    ) -> Result<(Vec<Asset>, Option<Uuid>), StoreError> {
        let rows: Vec<AssetRow> = sqlx::query_as(SELECT_ASSETS_PAGE)
            .bind(Status::Approved.as_str())
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        self.skipped
            .decode_page("assets", rows, limit, AssetRow::id_text, Asset::try_from)
    }

    async fn assets_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Asset>, StoreError> {
        self.fetch_assets(sqlx::query_as(SELECT_ASSETS_BY_IDS).bind(ids))
            .await
    }

    async fn asset(&self, id: Uuid) -> Result<Asset, StoreError> {
        let row: AssetRow = sqlx::query_as(SELECT_ASSET)
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        row.try_into()
    }

    async fn upsert_assets(
        &self,
        assets: &[Asset],
        import: Option<Uuid>,
    ) -> Result<(Vec<Asset>, UpsertReport), StoreError> {
        use crate::store::journal::{ASSET, Snapshot};
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(assets.len());
        let mut report = UpsertReport::default();
        for a in assets {
            // A listing identical to the one stored is left alone (its
            // updated_at and version stay).
            let existing: Option<AssetRow> = match &a.fields.source_id {
                Some(sid) => {
                    sqlx::query_as(SELECT_ASSET_BY_SOURCE)
                        .bind(&a.fields.source)
                        .bind(sid)
                        .fetch_optional(&mut *tx)
                        .await?
                }
                None => {
                    sqlx::query_as(SELECT_ASSET)
                        .bind(a.id)
                        .fetch_optional(&mut *tx)
                        .await?
                }
            };
            let old = existing.map(Asset::try_from);
            if let Some(Ok(old)) = &old
                && old.fields == a.fields
                && old.status == a.status
            {
                report.unchanged += 1;
                continue;
            }
            let sql = if a.fields.source_id.is_some() {
                UPSERT_BY_SOURCE
            } else {
                UPSERT_BY_ID
            };
            let Some(row) = bind_asset(sqlx::query(sql), a)
                .fetch_optional(&mut *tx)
                .await?
            else {
                report.kept.push(a.provenance());
                continue;
            };
            let id: Uuid = row.try_get("id")?;
            let created_at: DateTime<Utc> = row.try_get("created_at")?;
            let inserted: bool = row.try_get("inserted")?;
            report.count(inserted);
            let mut stored = a.clone();
            stored.id = id;
            stored.created_at = created_at;
            stored.version = row.try_get("version")?;
            let before = match (inserted, &old) {
                (true, _) => None,
                (false, Some(old)) => Some(snapshot(old.as_ref().map(Snapshot::from))),
                (false, None) => Some("null".to_owned()),
            };
            journal(
                &mut tx,
                import,
                ASSET,
                stored.id,
                Some(stored.version),
                before,
            )
            .await?;
            out.push(stored);
        }
        tx.commit().await?;
        Ok((out, report))
    }

    async fn schools(&self) -> Result<Vec<School>, StoreError> {
        let rows: Vec<SchoolRow> = sqlx::query_as(
            "SELECT id, district, external_id, name, level, ST_X(geom) AS lon, ST_Y(geom) AS lat, extra FROM schools",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(self
            .skipped
            .decode_all("schools", rows, SchoolRow::id_text, School::try_from))
    }

    async fn upsert_schools(
        &self,
        schools: &[School],
        import: Option<Uuid>,
    ) -> Result<(Vec<School>, UpsertReport), StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(schools.len());
        let mut report = UpsertReport::default();
        for s in schools {
            let before = match import {
                Some(_) => school_before(&mut tx, &s.district, &s.external_id).await?,
                None => None,
            };
            let written: Option<(Uuid, bool)> = sqlx::query_as(
                "INSERT INTO schools (id, external_id, name, level, geom, extra, district) VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), $7, $8) \
                 ON CONFLICT (district, external_id) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, geom = EXCLUDED.geom, extra = EXCLUDED.extra \
                 WHERE (schools.name, schools.level, ST_AsBinary(schools.geom), schools.extra) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.level, ST_AsBinary(EXCLUDED.geom), EXCLUDED.extra) \
                 RETURNING id, (xmax = 0) AS inserted",
            )
            .bind(s.id)
            .bind(&s.external_id)
            .bind(&s.name)
            .bind(&s.level)
            .bind(s.location.lon())
            .bind(s.location.lat())
            .bind(Json(&s.extra))
            .bind(&s.district)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, inserted)) = written else {
                report.unchanged += 1;
                continue;
            };
            report.count(inserted);
            let mut stored = s.clone();
            stored.id = id;
            let before = if inserted { None } else { before };
            journal(
                &mut tx,
                import,
                crate::store::journal::SCHOOL,
                id,
                None,
                before,
            )
            .await?;
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
        Ok(self.skipped.decode_all(
            "catchments",
            rows,
            CatchmentRow::id_text,
            Catchment::try_from,
        ))
    }

    async fn create_user(&self, user: &User, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO users (id, name, role, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(user.id)
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(token_hash)
            .bind(user.created_at)
            .bind(user.expires_at)
            .execute(&mut *tx)
            .await?;
        Self::put_user_schools(&mut tx, user).await?;
        tx.commit().await?;
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

    async fn pending_count(&self, user: Uuid) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT (SELECT count(*) FROM asset_owners o JOIN assets a ON a.id = o.asset_id WHERE o.owner_id = $1 AND a.status = 'pending') + (SELECT count(*) FROM asset_revisions WHERE submitted_by = $1)")
            .bind(user)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn owner_of(&self, asset: Uuid) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(Uuid,)> =
            sqlx::query_as("SELECT owner_id FROM asset_owners WHERE asset_id = $1")
                .bind(asset)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.0))
    }

    async fn revisions(&self) -> Result<Vec<Revision>, StoreError> {
        let rows: Vec<RevisionRow> =
            sqlx::query_as("SELECT asset_id, submitted_by, feature, submitted_at FROM asset_revisions ORDER BY submitted_at")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(revision).collect())
    }

    async fn revision(&self, asset: Uuid) -> Result<Option<Revision>, StoreError> {
        let row: Option<RevisionRow> =
            sqlx::query_as("SELECT asset_id, submitted_by, feature, submitted_at FROM asset_revisions WHERE asset_id = $1")
                .bind(asset)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(revision))
    }

    async fn commit(&self, change: &Change) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = change.asset;
        if let Some(expected) = change.expected_version {
            // The row is locked until the commit: no one changes it meanwhile.
            let stored: Option<(i64,)> =
                sqlx::query_as("SELECT version FROM assets WHERE id = $1 FOR UPDATE")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match stored {
                None => return Err(StoreError::NotFound),
                Some((v,)) if v != expected => return Err(StoreError::Stale { stored: v }),
                Some(_) => {}
            }
        }
        let touched = match &change.row {
            RowChange::Keep => 1,
            RowChange::Insert(a) => bind_asset(sqlx::query(INSERT_ASSET), a)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            RowChange::Replace(a) => bind_asset(sqlx::query(UPDATE_ASSET), a)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            RowChange::Delete => sqlx::query("DELETE FROM assets WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
        };
        if touched == 0 {
            return Err(StoreError::NotFound);
        }
        let version = match &change.row {
            RowChange::Insert(_) => Some(1),
            RowChange::Delete => None,
            // The row's UPDATE raised the version (the `assets_version` trigger).
            RowChange::Replace(_) => {
                let (v,): (i64,) = sqlx::query_as("SELECT version FROM assets WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                Some(v)
            }
            RowChange::Keep => {
                let (v,): (i64,) = sqlx::query_as(
                    "UPDATE assets SET version = version + 1 WHERE id = $1 RETURNING version",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                Some(v)
            }
        };
        if let Some(owner) = change.owner {
            sqlx::query("INSERT INTO asset_owners (asset_id, owner_id) VALUES ($1, $2) ON CONFLICT (asset_id) DO UPDATE SET owner_id = EXCLUDED.owner_id")
                .bind(id)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
        }
        match &change.revision {
            RevisionChange::Keep => {}
            RevisionChange::Put { by, feature } => {
                sqlx::query("INSERT INTO asset_revisions (asset_id, submitted_by, feature, submitted_at) VALUES ($1, $2, $3, now()) ON CONFLICT (asset_id) DO UPDATE SET submitted_by = EXCLUDED.submitted_by, feature = EXCLUDED.feature, submitted_at = EXCLUDED.submitted_at")
                    .bind(id)
                    .bind(by)
                    .bind(Json(feature))
                    .execute(&mut *tx)
                    .await?;
            }
            RevisionChange::Drop => {
                sqlx::query("DELETE FROM asset_revisions WHERE asset_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let h = &change.history;
        sqlx::query("INSERT INTO asset_history (asset_id, user_id, at, action, changes) VALUES ($1, $2, now(), $3, $4)")
            .bind(id)
            .bind(h.user)
            .bind(h.action)
            .bind(Json(&h.changes))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn history(&self, asset: Uuid) -> Result<Vec<HistoryEntry>, StoreError> {
        self.history_of(
            "SELECT user_id, at, action, changes FROM asset_history WHERE asset_id = $1 ORDER BY id",
            asset,
        )
        .await
    }

    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let row: Option<(Uuid, String, String, DateTime<Utc>, Option<DateTime<Utc>>)> =
            sqlx::query_as("SELECT id, name, role, created_at, expires_at FROM users WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)")
                .bind(token_hash)
                .bind(Utc::now())
                .fetch_optional(&self.pool)
                .await?;
        let Some((id, name, role, created, expires)) = row else {
            return Ok(None);
        };
        let schools = self.user_schools(id).await?;
        user(id, name, &role, schools, created, expires).map(Some)
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        self.do_users().await
    }

    async fn revoke_user(&self, id: Uuid, audit: &AuditRecord) -> Result<(), StoreError> {
        self.do_revoke(id, audit).await
    }

    async fn rotate_token(
        &self,
        id: Uuid,
        token_hash: &str,
        expires_at: Option<chrono::DateTime<Utc>>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.do_rotate(id, token_hash, expires_at, audit).await
    }

    async fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.do_audit(limit).await
    }

    async fn backup(&self, _path: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "back up PostGIS with pg_dump (see the README); `assetmap backup` copies the embedded SQLite store",
        ))
    }

    fn skipped(&self) -> Vec<SkippedRow> {
        self.skipped.list()
    }

    async fn commit_partnership(&self, change: &PartnershipChange) -> Result<(), StoreError> {
        self.do_commit_partnership(change).await
    }

    async fn partnerships(&self, school: Option<Uuid>) -> Result<Vec<Partnership>, StoreError> {
        self.do_partnerships(school).await
    }

    async fn partnership(&self, id: Uuid) -> Result<Partnership, StoreError> {
        self.do_partnership(id).await
    }

    async fn partnership_history(&self, id: Uuid) -> Result<Vec<HistoryEntry>, StoreError> {
        self.do_partnership_history(id).await
    }

    async fn upsert_catchments(
        &self,
        catchments: &[Catchment],
        import: Option<Uuid>,
    ) -> Result<UpsertReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut report = UpsertReport::default();
        for c in catchments {
            let mut geometry = Vec::new();
            crate::encode::write_multipolygon(&mut geometry, &c.geometry);
            let geometry =
                String::from_utf8(geometry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let before = match import {
                Some(_) => catchment_before(&mut tx, c).await?,
                None => None,
            };
            let written: Option<(bool,)> = sqlx::query_as(
                "INSERT INTO catchments (id, school_id, year, geom) VALUES ($1, $2, $3, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($4), 4326))) \
                 ON CONFLICT (school_id, year) DO UPDATE SET id = EXCLUDED.id, geom = EXCLUDED.geom \
                 WHERE catchments.id <> EXCLUDED.id OR NOT ST_OrderingEquals(catchments.geom, EXCLUDED.geom) \
                 RETURNING (xmax = 0) AS inserted",
            )
            .bind(c.id)
            .bind(c.school_id)
            .bind(c.year.as_str())
            .bind(geometry)
            .fetch_optional(&mut *tx)
            .await?;
            match written {
                Some((inserted,)) => {
                    report.count(inserted);
                    let before = if inserted { None } else { before };
                    journal(
                        &mut tx,
                        import,
                        crate::store::journal::CATCHMENT,
                        c.id,
                        None,
                        before,
                    )
                    .await?;
                }
                None => report.unchanged += 1,
            }
        }
        tx.commit().await?;
        Ok(report)
    }

    async fn begin_import(&self, record: &ImportRecord) -> Result<(), StoreError> {
        self.put_import(record, true).await
    }

    async fn finish_import(&self, record: &ImportRecord) -> Result<(), StoreError> {
        self.put_import(record, false).await
    }

    async fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        self.list_imports().await
    }

    async fn undo_import(&self, id: Uuid) -> Result<Undone, StoreError> {
        self.undo(id).await
    }

    async fn put_address_points(
        &self,
        points: &[crate::geocode::AddressPoint],
    ) -> Result<usize, StoreError> {
        self.put_points(points).await
    }

    async fn address_points(
        &self,
        street: &str,
    ) -> Result<Vec<crate::geocode::AddressPoint>, StoreError> {
        self.points_of(street).await
    }

    async fn cached_geocode(&self, query: &str) -> Result<Option<super::Geocoded>, StoreError> {
        self.geocode_of(query).await
    }

    async fn cache_geocode(&self, query: &str, answer: &super::Geocoded) -> Result<(), StoreError> {
        self.keep_geocode(query, answer).await
    }
}
