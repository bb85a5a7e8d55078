//! The system of record: one storage trait, chosen at run time by URL scheme.
//!
//! `sqlite://…` (the embedded default) and `postgres://…` (PostGIS, shared by
//! many servers) implement [`Store`], each in its own folder with its row
//! mapping and one asset column list (`rows.rs`) and its own migrations. Every
//! value is bound, never formatted into SQL. The layers above see only this
//! trait, [`StoreError`] and the types here.
//!
//! A change to an asset is one [`Change`], committed by [`Store::commit`] in one
//! transaction: the row, its owner, its proposal awaiting review and its history
//! entry together, or none of them.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use crate::domain::organization::SignUp;
use crate::domain::partnership::LogEntry;
use crate::domain::user::UserRecord;
use crate::domain::{Asset, Catchment, Partnership, School, Status, User};
use crate::geocode::{AddressPoint, Quality};

mod decode;
mod error;
pub mod journal;
pub mod postgres;
pub mod sqlite;

pub use decode::{Skipped, SkippedRow};
pub use error::StoreError;
pub use journal::{ImportRecord, Undone};

/// One change to one asset, committed whole or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The asset changed.
    pub asset: Uuid,
    /// What happens to its row.
    pub row: RowChange,
    /// Who owns it from now on (an organization's new listing), if that changes.
    pub owner: Option<Uuid>,
    /// What happens to the proposal awaiting review.
    pub revision: RevisionChange,
    /// The entry of the asset's history that records the change.
    pub history: HistoryRecord,
    /// Commit only if the stored row still has this version (If-Match, the
    /// version a reviewer saw, or the one a merge patch was computed on);
    /// `Stale` otherwise, and nothing is written.
    pub expected_version: Option<i64>,
}

/// What a [`Change`] does to the asset's row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowChange {
    /// Left as it is (a proposal, a rejection of one).
    Keep,
    /// A new row; a clash of id or provenance is a `Conflict`.
    Insert(Asset),
    /// Replaces the row with the same id; `NotFound` when there is none.
    Replace(Asset),
    /// Deletes the row (and with it its owner and proposal); `NotFound` when
    /// there is none.
    Delete,
}

/// What a [`Change`] does to the proposal awaiting review.
#[derive(Debug, Clone, PartialEq)]
pub enum RevisionChange {
    Keep,
    /// Stores a proposed version (replacing an earlier proposal).
    Put {
        by: Uuid,
        feature: serde_json::Value,
    },
    /// Drops the proposal.
    Drop,
}

/// An entry to append to an asset's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRecord {
    pub user: Option<Uuid>,
    pub action: &'static str,
    /// Field-by-field differences, or what else the action needs to say.
    pub changes: serde_json::Value,
}

/// One change to one partnership, committed whole (with its history entry) or
/// not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnershipChange {
    /// The partnership changed.
    pub id: Uuid,
    pub row: PartnershipRow,
    /// The entry of the partnership's history that records the change.
    pub history: HistoryRecord,
}

/// What a [`PartnershipChange`] does.
#[derive(Debug, Clone, PartialEq)]
pub enum PartnershipRow {
    /// A new partnership; a second one of the same school and asset is a `Conflict`.
    Insert(Partnership),
    /// New fields (and `updated_at`); `NotFound` when there is none.
    Replace(Partnership),
    /// Deletes it with its log; `NotFound` when there is none.
    Delete,
    /// Appends a contact or visit to its log (and sets `updated_at` to its time).
    Log(LogEntry),
}

/// An operator's action on something other than an asset (revoking or
/// rotating a user's token), for the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub user: Option<Uuid>,
    pub action: &'static str,
    pub target: String,
    pub detail: serde_json::Value,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub user: Option<Uuid>,
    pub user_name: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// How many rows of each kind a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub assets: u64,
    pub schools: u64,
    pub catchments: u64,
}

/// The one query of [`Store::counts`], the same in both dialects.
pub(crate) const COUNT_ROWS: &str = "SELECT (SELECT count(*) FROM assets), (SELECT count(*) FROM schools), (SELECT count(*) FROM catchments)";

impl From<(i64, i64, i64)> for Counts {
    fn from((assets, schools, catchments): (i64, i64, i64)) -> Self {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Counts {
            assets: n(assets),
            schools: n(schools),
            catchments: n(catchments),
        }
    }
}

/// A proposed new version of an asset, awaiting review.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub asset: Uuid,
    pub by: Uuid,
    pub feature: serde_json::Value,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// One change in an asset's history.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HistoryEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub user: Option<Uuid>,
    pub action: String,
    pub changes: serde_json::Value,
}

/// An outside geocoder's answer, as kept: where (if found) and how well.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geocoded {
    pub point: Option<(f64, f64)>,
    pub quality: Quality,
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpsertReport {
    pub inserted: usize,
    pub updated: usize,
    /// Rows that matched one already stored and were identical: not written.
    pub unchanged: usize,
    /// Listings an import matched but left alone because an organization owns
    /// them (their provenance, `source/source_id` or the id).
    pub kept: Vec<String>,
}

impl UpsertReport {
    /// Counts one row: inserted, or else updated.
    pub fn count(&mut self, inserted: bool) {
        if inserted {
            self.inserted += 1;
        } else {
            self.updated += 1;
        }
    }
}

/// The storage interface. Implementations commit before they return `Ok`.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Brings the schema up to date.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Row counts.
    async fn counts(&self) -> Result<Counts, StoreError>;
    /// Every asset, of every status. Here and in every bulk read, a row that
    /// does not decode is left out and reported by [`Store::skipped`].
    async fn assets(&self) -> Result<Vec<Asset>, StoreError>;
    /// The assets of one review status (e.g. the pending ones, for the review queue).
    async fn assets_with_status(&self, status: Status) -> Result<Vec<Asset>, StoreError>;
    /// Up to `limit` approved assets with ids above `after`, in id order (a
    /// keyset page: start from the nil UUID). Also returns where the next page
    /// starts: the last id read when the page was full, `None` after the last.
    async fn approved_page(
        &self,
        after: Uuid,
        limit: i64,
    ) -> Result<(Vec<Asset>, Option<Uuid>), StoreError>;
    /// The assets with these ids that exist (any status, any order).
    async fn assets_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Asset>, StoreError>;
    /// One asset by id.
    async fn asset(&self, id: Uuid) -> Result<Asset, StoreError>;
    /// Commits one change to an asset (row, owner, proposal and history entry)
    /// in one transaction; every change but a deletion raises the row's
    /// version. Returns the row's new version (`None` when deleted).
    async fn commit(&self, change: &Change) -> Result<Option<i64>, StoreError>;
    /// Inserts or updates assets in one transaction. An asset whose
    /// (source, source_id) is already stored updates that row and keeps its id and
    /// creation time; otherwise it is matched by id. A matched row that an
    /// organization owns is never overwritten (counted in `kept`). Returns the
    /// stored values. With `journal`, each row written is recorded under that
    /// import (see [`Store::begin_import`]) in the same transaction.
    async fn upsert_assets(
        &self,
        assets: &[Asset],
        journal: Option<Uuid>,
    ) -> Result<(Vec<Asset>, UpsertReport), StoreError>;
    /// Every school.
    async fn schools(&self) -> Result<Vec<School>, StoreError>;
    /// Inserts or updates schools keyed by external id, in one transaction.
    /// Returns the stored values (with their ids). `journal` as for assets.
    async fn upsert_schools(
        &self,
        schools: &[School],
        journal: Option<Uuid>,
    ) -> Result<(Vec<School>, UpsertReport), StoreError>;
    /// Every catchment of every year.
    async fn catchments(&self) -> Result<Vec<Catchment>, StoreError>;
    /// Inserts or replaces catchments keyed by (school, year), in one
    /// transaction. `journal` as for assets.
    async fn upsert_catchments(
        &self,
        catchments: &[Catchment],
        journal: Option<Uuid>,
    ) -> Result<UpsertReport, StoreError>;
    /// Records an import as it starts, so that the writes journalled under its
    /// id can be undone even if it stops half-way.
    async fn begin_import(&self, record: &ImportRecord) -> Result<(), StoreError>;
    /// Stores an import's final counts.
    async fn finish_import(&self, record: &ImportRecord) -> Result<(), StoreError>;
    /// Every import, newest first.
    async fn imports(&self) -> Result<Vec<ImportRecord>, StoreError>;
    /// Undoes an import whole, in one transaction: deletes the rows it
    /// inserted and puts back the ones it changed. An asset changed since, or
    /// in a partnership, is left as it is (in `kept`). `NotFound` when there
    /// is no such import; `Conflict` when it was undone already, when a later
    /// import (not undone) wrote the same rows, or when a school it inserted
    /// has attendance areas or partnerships of its own since.
    async fn undo_import(&self, id: Uuid) -> Result<Undone, StoreError>;
    /// Adds address points in one transaction; a point of the same street,
    /// number, unit, city and postcode is replaced. Returns how many were written.
    async fn put_address_points(&self, points: &[AddressPoint]) -> Result<usize, StoreError>;
    /// The address points of one normalized street.
    async fn address_points(&self, street: &str) -> Result<Vec<AddressPoint>, StoreError>;
    /// What an outside geocoder answered for `query`, if it was asked before.
    async fn cached_geocode(&self, query: &str) -> Result<Option<Geocoded>, StoreError>;
    /// Keeps a geocoder's answer for `query`.
    async fn cache_geocode(&self, query: &str, answer: &Geocoded) -> Result<(), StoreError>;
    /// Adds a user with the hash of their token (and the schools of a `school`
    /// user), in one transaction.
    async fn create_user(&self, user: &User, token_hash: &str) -> Result<(), StoreError>;
    /// Adds an organization's account (a user with the role `organization`) and
    /// its contact details, in one transaction.
    async fn create_organization(
        &self,
        user: &User,
        token_hash: &str,
        details: &SignUp,
    ) -> Result<(), StoreError>;
    /// How many of a user's submissions await review: its pending listings and
    /// its proposals for published ones.
    async fn pending_count(&self, user: Uuid) -> Result<u64, StoreError>;
    /// Who owns a listing, if anyone.
    async fn owner_of(&self, asset: Uuid) -> Result<Option<Uuid>, StoreError>;
    /// Every proposed version awaiting review.
    async fn revisions(&self) -> Result<Vec<Revision>, StoreError>;
    /// The proposed version of one asset awaiting review, if any.
    async fn revision(&self, asset: Uuid) -> Result<Option<Revision>, StoreError>;
    /// An asset's history, oldest first.
    async fn history(&self, asset: Uuid) -> Result<Vec<HistoryEntry>, StoreError>;
    /// The user whose token has this hash (with the schools of a `school`
    /// user), unless the token was revoked or has expired. Checked on every
    /// request, so a revocation takes effect at once on every server.
    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
    /// Every user, oldest first, with whether it was revoked.
    async fn users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Revokes a user's token, with its audit entry, in one transaction;
    /// `NotFound` when there is no such user.
    async fn revoke_user(&self, id: Uuid, audit: &AuditRecord) -> Result<(), StoreError>;
    /// Gives a user a new token (the old one stops working) and, optionally, a
    /// new expiry, with its audit entry, in one transaction.
    async fn rotate_token(
        &self,
        id: Uuid,
        token_hash: &str,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// The audit log, newest first: editors' and admins' changes to assets
    /// (approvals, rejections, edits, deletions) and operators' actions on users.
    async fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;
    /// Writes a consistent copy of the whole database to `path` while serving
    /// (SQLite's `VACUUM INTO`); PostGIS is backed up with `pg_dump`.
    async fn backup(&self, path: &std::path::Path) -> Result<(), StoreError>;
    /// The stored rows the bulk reads left out because they do not decode.
    fn skipped(&self) -> Vec<SkippedRow>;
    /// Commits one change to a partnership and its history entry in one transaction.
    async fn commit_partnership(&self, change: &PartnershipChange) -> Result<(), StoreError>;
    /// The partnerships of one school, or of every school, each with its log.
    async fn partnerships(&self, school: Option<Uuid>) -> Result<Vec<Partnership>, StoreError>;
    /// One partnership with its log; `NotFound` when there is none.
    async fn partnership(&self, id: Uuid) -> Result<Partnership, StoreError>;
    /// A partnership's history, oldest first (kept after it is deleted).
    async fn partnership_history(&self, id: Uuid) -> Result<Vec<HistoryEntry>, StoreError>;
}

/// The database URL used when none is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://assetmap.db";

/// A database URL fit to show: any password replaced by `***`. Every message
/// that names a database URL shows it through this.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_owned(),
        // Not a URL we can read: show only its scheme.
        Err(_) => match url.split_once(':') {
            Some((scheme, _)) if scheme.chars().all(|c| c.is_ascii_alphanumeric()) => {
                format!("{scheme}:…")
            }
            _ => "(the database URL)".to_owned(),
        },
    }
}

/// Which store a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of a database URL, by scheme.
    pub fn of(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }
}

/// Opens the store a URL names: `sqlite://PATH` (or `sqlite::memory:`), or
/// `postgres://…` for PostGIS.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match Backend::of(url)? {
        Backend::Sqlite => Arc::new(sqlite::SqliteStore::connect(url).await?),
        Backend::Postgres => Arc::new(postgres::PostgresStore::connect(url).await?),
    })
}

/// `SELECT 1` on any of the pools: whether the database answers.
pub(crate) async fn ping<DB>(pool: &sqlx::Pool<DB>) -> Result<(), StoreError>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
{
    sqlx::query::<DB>("SELECT 1").execute(pool).await?;
    Ok(())
}

/// The row counts on any of the pools.
pub(crate) async fn counts<DB>(pool: &sqlx::Pool<DB>) -> Result<Counts, StoreError>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    (i64, i64, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let row: (i64, i64, i64) = sqlx::query_as::<DB, _>(COUNT_ROWS).fetch_one(pool).await?;
    Ok(row.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            redact("postgres://assetmap:s3cret@db.internal:5432/assetmap"),
            "postgres://assetmap:***@db.internal:5432/assetmap"
        );
        assert_eq!(redact("sqlite://assetmap.db"), "sqlite://assetmap.db");
        assert!(!redact("mysql://u:s3cret@h/db").contains("s3cret"));
        let e = Backend::of("mysql://u:s3cret@h/db").expect_err("unsupported");
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
