//! The embedded store: SQLite through sqlx, in WAL mode with `synchronous=FULL`
//! so that a committed transaction survives a crash or power loss.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
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

use imports::{geometry_text, journal, write_school};

use rows::{
    AssetRow, CatchmentRow, INSERT_ASSET, SELECT_ASSET, SELECT_ASSETS, SELECT_ASSETS_BY_IDS,
    SELECT_ASSETS_BY_STATUS, SELECT_ASSETS_PAGE, SchoolRow, UPDATE_ASSET, bind_asset, json_text,
    rfc3339, time, uuid,
};

async fn write_asset(
    tx: &mut Transaction<'_, Sqlite>,
    a: &Asset,
    insert: bool,
) -> Result<u64, StoreError> {
    let sql = if insert { INSERT_ASSET } else { UPDATE_ASSET };
    let done = bind_asset(sqlx::query(sql), a).execute(&mut **tx).await?;
    Ok(done.rows_affected())
}

/// Raises an asset row's version inside a write; the new version.
async fn bump(tx: &mut Transaction<'_, Sqlite>, id: &str) -> Result<i64, StoreError> {
    let (v,): (i64,) =
        sqlx::query_as("UPDATE assets SET version = version + 1 WHERE id = ?1 RETURNING version")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(v)
}

fn revision(
    (asset, by, feature, at): (String, String, String, String),
) -> Result<Revision, StoreError> {
    Ok(Revision {
        asset: uuid(&asset)?,
        by: uuid(&by)?,
        feature: serde_json::from_str(&feature).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        at: time(&at)?,
    })
}

/// A SQLite database file (or an in-memory database for tests).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    skipped: Skipped,
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
        Ok(Self {
            pool,
            skipped: Skipped::default(),
        })
    }
}

/// A query that reads asset rows.
type AssetsQuery<'q> = sqlx::query::QueryAs<'q, Sqlite, AssetRow, sqlx::sqlite::SqliteArguments>;

impl SqliteStore {
    /// Runs a query of asset rows and decodes every row.
    async fn fetch_assets(&self, q: AssetsQuery<'_>) -> Result<Vec<Asset>, StoreError> {
        let rows = q.fetch_all(&self.pool).await?;
        Ok(self
            .skipped
            .decode_all("assets", rows, AssetRow::id_text, Asset::try_from))
    }
}

/// Whether an organization owns the asset row in `assets`.
macro_rules! owned {
    () => {
        "EXISTS (SELECT 1 FROM asset_owners o WHERE o.asset_id = assets.id)"
    };
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
            .bind(after.to_string())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        self.skipped
            .decode_page("assets", rows, limit, AssetRow::id_text, Asset::try_from)
    }

    async fn assets_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Asset>, StoreError> {
        self.fetch_assets(sqlx::query_as(SELECT_ASSETS_BY_IDS).bind(json_text(
            &ids.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        )))
        .await
    }

    async fn asset(&self, id: Uuid) -> Result<Asset, StoreError> {
        let row: AssetRow = sqlx::query_as(SELECT_ASSET)
            .bind(id.to_string())
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut out = Vec::with_capacity(assets.len());
        let mut report = UpsertReport::default();
        for a in assets {
            let existing: Option<(String, String, bool)> = match &a.fields.source_id {
                Some(sid) => sqlx::query_as(concat!(
                    "SELECT id, created_at, ",
                    owned!(),
                    " FROM assets WHERE coalesce(source, '') = coalesce(?1, '') AND source_id = ?2"
                ))
                .bind(&a.fields.source)
                .bind(sid)
                .fetch_optional(&mut *tx)
                .await?,
                None => None,
            };
            let existing = match existing {
                Some(e) => Some(e),
                None => {
                    sqlx::query_as(concat!(
                        "SELECT id, created_at, ",
                        owned!(),
                        " FROM assets WHERE id = ?1"
                    ))
                    .bind(a.id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?
                }
            };
            let mut stored = a.clone();
            match existing {
                // An import never adopts a listing an organization owns.
                Some((_, _, true)) => {
                    report.kept.push(a.provenance());
                    continue;
                }
                Some((id, created, false)) => {
                    // A listing identical to the one stored is left alone
                    // (its updated_at and version stay).
                    let old: Option<AssetRow> = sqlx::query_as(SELECT_ASSET)
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let old = old.map(Asset::try_from);
                    if let Some(Ok(old)) = &old
                        && old.fields == a.fields
                        && old.status == a.status
                    {
                        report.unchanged += 1;
                        continue;
                    }
                    stored.id = uuid(&id)?;
                    stored.created_at = time(&created)?;
                    write_asset(&mut tx, &stored, false).await?;
                    stored.version = bump(&mut tx, &stored.id.to_string()).await?;
                    // A row that did not decode is journalled as unreadable
                    // ("null"): an undo leaves it as the import wrote it.
                    let before = match &old {
                        Some(Ok(old)) => Snapshot::from(old).to_json(),
                        _ => "null".to_owned(),
                    };
                    journal(
                        &mut tx,
                        import,
                        ASSET,
                        stored.id,
                        Some(stored.version),
                        Some(before),
                    )
                    .await?;
                    report.updated += 1;
                }
                None => {
                    write_asset(&mut tx, &stored, true).await?;
                    journal(
                        &mut tx,
                        import,
                        ASSET,
                        stored.id,
                        Some(stored.version),
                        None,
                    )
                    .await?;
                    report.inserted += 1;
                }
            }
            out.push(stored);
        }
        tx.commit().await?;
        Ok((out, report))
    }

    async fn schools(&self) -> Result<Vec<School>, StoreError> {
        let rows: Vec<SchoolRow> = sqlx::query_as(
            "SELECT id, district, external_id, name, level, lon, lat, extra FROM schools",
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
        use crate::store::journal::{SCHOOL, Snapshot};
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut out = Vec::with_capacity(schools.len());
        let mut report = UpsertReport::default();
        for s in schools {
            let existing: Option<SchoolRow> = sqlx::query_as(
                "SELECT id, district, external_id, name, level, lon, lat, extra FROM schools WHERE district = ?1 AND external_id = ?2",
            )
            .bind(&s.district)
            .bind(&s.external_id)
            .fetch_optional(&mut *tx)
            .await?;
            let mut stored = s.clone();
            let existing = existing.map(|row| {
                let id = row.id_text().to_owned();
                (id, School::try_from(row))
            });
            if let Some((_, Ok(old))) = &existing
                && old.name == s.name
                && old.level == s.level
                && old.location == s.location
                && old.extra == s.extra
            {
                report.unchanged += 1;
                continue;
            }
            let before = match existing {
                Some((id, old)) => {
                    stored.id = uuid(&id)?;
                    report.updated += 1;
                    write_school(&mut tx, &stored, false).await?;
                    Some(match old {
                        Ok(old) => Snapshot::from(&old).to_json(),
                        Err(_) => "null".to_owned(),
                    })
                }
                None => {
                    report.inserted += 1;
                    write_school(&mut tx, &stored, true).await?;
                    None
                }
            };
            journal(&mut tx, import, SCHOOL, stored.id, None, before).await?;
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
        Ok(self.skipped.decode_all(
            "catchments",
            rows,
            CatchmentRow::id_text,
            Catchment::try_from,
        ))
    }

    async fn create_user(&self, user: &User, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("INSERT INTO users (id, name, role, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .bind(user.id.to_string())
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(token_hash)
            .bind(rfc3339(&user.created_at))
            .bind(user.expires_at.as_ref().map(rfc3339))
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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

    async fn pending_count(&self, user: Uuid) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT (SELECT count(*) FROM asset_owners o JOIN assets a ON a.id = o.asset_id WHERE o.owner_id = ?1 AND a.status = 'pending') + (SELECT count(*) FROM asset_revisions WHERE submitted_by = ?1)")
            .bind(user.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn owner_of(&self, asset: Uuid) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT owner_id FROM asset_owners WHERE asset_id = ?1")
                .bind(asset.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(o,)| uuid(&o)).transpose()
    }

    async fn revisions(&self) -> Result<Vec<Revision>, StoreError> {
        let rows: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT asset_id, submitted_by, feature, submitted_at FROM asset_revisions ORDER BY submitted_at")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(revision).collect()
    }

    async fn revision(&self, asset: Uuid) -> Result<Option<Revision>, StoreError> {
        let row: Option<(String, String, String, String)> =
            sqlx::query_as("SELECT asset_id, submitted_by, feature, submitted_at FROM asset_revisions WHERE asset_id = ?1")
                .bind(asset.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(revision).transpose()
    }

    async fn commit(&self, change: &Change) -> Result<Option<i64>, StoreError> {
        // IMMEDIATE takes the write lock at the start, so a concurrent writer
        // waits (busy_timeout) instead of failing when it upgrades.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let id = change.asset.to_string();
        if let Some(expected) = change.expected_version {
            let stored: Option<(i64,)> = sqlx::query_as("SELECT version FROM assets WHERE id = ?1")
                .bind(&id)
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
            RowChange::Insert(a) => write_asset(&mut tx, a, true).await?,
            RowChange::Replace(a) => write_asset(&mut tx, a, false).await?,
            RowChange::Delete => sqlx::query("DELETE FROM assets WHERE id = ?1")
                .bind(&id)
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
            RowChange::Keep | RowChange::Replace(_) => Some(bump(&mut tx, &id).await?),
        };
        if let Some(owner) = change.owner {
            sqlx::query("INSERT INTO asset_owners (asset_id, owner_id) VALUES (?1, ?2) ON CONFLICT (asset_id) DO UPDATE SET owner_id = excluded.owner_id")
                .bind(&id)
                .bind(owner.to_string())
                .execute(&mut *tx)
                .await?;
        }
        match &change.revision {
            RevisionChange::Keep => {}
            RevisionChange::Put { by, feature } => {
                sqlx::query("INSERT INTO asset_revisions (asset_id, submitted_by, feature, submitted_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (asset_id) DO UPDATE SET submitted_by = excluded.submitted_by, feature = excluded.feature, submitted_at = excluded.submitted_at")
                    .bind(&id)
                    .bind(by.to_string())
                    .bind(feature.to_string())
                    .bind(rfc3339(&Utc::now()))
                    .execute(&mut *tx)
                    .await?;
            }
            RevisionChange::Drop => {
                sqlx::query("DELETE FROM asset_revisions WHERE asset_id = ?1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let h = &change.history;
        sqlx::query("INSERT INTO asset_history (asset_id, user_id, at, action, changes) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(&id)
            .bind(h.user.map(|u| u.to_string()))
            .bind(rfc3339(&Utc::now()))
            .bind(h.action)
            .bind(h.changes.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn history(&self, asset: Uuid) -> Result<Vec<HistoryEntry>, StoreError> {
        self.history_of(
            "SELECT user_id, at, action, changes FROM asset_history WHERE asset_id = ?1 ORDER BY id",
            asset,
        )
        .await
    }

    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let row: Option<(String, String, String, String, Option<String>)> =
            sqlx::query_as("SELECT id, name, role, created_at, expires_at FROM users WHERE token_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)")
                .bind(token_hash)
                .bind(rfc3339(&Utc::now()))
                .fetch_optional(&self.pool)
                .await?;
        let Some((id, name, role, created, expires)) = row else {
            return Ok(None);
        };
        let id = uuid(&id)?;
        let schools = self.user_schools(id).await?;
        user(
            id,
            name,
            &role,
            schools,
            time(&created)?,
            expires.as_deref().map(time).transpose()?,
        )
        .map(Some)
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

    async fn backup(&self, path: &std::path::Path) -> Result<(), StoreError> {
        self.do_backup(path).await
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
        use crate::store::journal::{CATCHMENT, Snapshot};
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut report = UpsertReport::default();
        for c in catchments {
            let geometry = geometry_text(c)?;
            let stored: Option<CatchmentRow> = sqlx::query_as(
                "SELECT id, school_id, year, geometry FROM catchments WHERE school_id = ?1 AND year = ?2",
            )
            .bind(c.school_id.to_string())
            .bind(c.year.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let stored = stored.map(|row| {
                (
                    row.id_text(),
                    row.geometry_text().to_owned(),
                    Catchment::try_from(row),
                )
            });
            if let Some((id, g, _)) = &stored
                && *id == c.id.to_string()
                && *g == geometry
            {
                report.unchanged += 1;
                continue;
            }
            sqlx::query("DELETE FROM catchments WHERE school_id = ?1 AND year = ?2")
                .bind(c.school_id.to_string())
                .bind(c.year.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO catchments (id, school_id, year, geometry) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(c.id.to_string())
            .bind(c.school_id.to_string())
            .bind(c.year.as_str())
            .bind(geometry)
            .execute(&mut *tx)
            .await?;
            report.count(stored.is_none());
            let before = stored.map(|(_, _, old)| match old {
                Ok(old) => Snapshot::from(&old).to_json(),
                Err(_) => "null".to_owned(),
            });
            journal(&mut tx, import, CATCHMENT, c.id, None, before).await?;
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
