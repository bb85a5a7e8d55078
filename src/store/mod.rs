//! The system of record: one storage trait, chosen at run time by URL scheme.
//!
//! `sqlite://…` (the embedded default) and, in a later step, `postgres://…`
//! implement [`Store`]. Every value is bound, never formatted into SQL. The HTTP
//! and index layers see only this trait and [`StoreError`].

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use crate::domain::organization::SignUp;
use crate::domain::{Asset, Catchment, Role, School, Status, User};

pub mod postgres;
pub mod sqlite;

/// What can go wrong in a store, as the layers above need to tell it apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or is not answering; worth retrying.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A stored row does not make a valid domain value.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e),
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            other => StoreError::Database(other),
        }
    }
}

/// How many rows of each kind a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub assets: u64,
    pub schools: u64,
    pub catchments: u64,
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

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpsertReport {
    pub inserted: usize,
    pub updated: usize,
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
    /// Every asset, of every status.
    async fn assets(&self) -> Result<Vec<Asset>, StoreError>;
    /// The assets of one review status (e.g. the pending ones, for the review queue).
    async fn assets_with_status(&self, status: Status) -> Result<Vec<Asset>, StoreError>;
    /// The assets with these ids that exist (any status, any order).
    async fn assets_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Asset>, StoreError>;
    /// One asset by id.
    async fn asset(&self, id: Uuid) -> Result<Asset, StoreError>;
    /// Inserts or updates assets in one transaction. An asset whose
    /// (source, source_id) is already stored updates that row and keeps its id and
    /// creation time; otherwise it is matched by id. Returns the stored values.
    async fn upsert_assets(
        &self,
        assets: &[Asset],
    ) -> Result<(Vec<Asset>, UpsertReport), StoreError>;
    /// Inserts a new asset; a clash of id or provenance is a `Conflict`.
    async fn insert_asset(&self, asset: &Asset) -> Result<(), StoreError>;
    /// Replaces the stored asset with the same id; `NotFound` if there is none.
    async fn replace_asset(&self, asset: &Asset) -> Result<(), StoreError>;
    /// Deletes an asset.
    async fn delete_asset(&self, id: Uuid) -> Result<(), StoreError>;
    /// Every school.
    async fn schools(&self) -> Result<Vec<School>, StoreError>;
    /// Inserts or updates schools keyed by external id, in one transaction.
    /// Returns the stored values (with their ids).
    async fn upsert_schools(
        &self,
        schools: &[School],
    ) -> Result<(Vec<School>, UpsertReport), StoreError>;
    /// Every catchment of every year.
    async fn catchments(&self) -> Result<Vec<Catchment>, StoreError>;
    /// Inserts or replaces catchments keyed by (school, year), in one transaction.
    async fn upsert_catchments(&self, catchments: &[Catchment])
    -> Result<UpsertReport, StoreError>;
    /// Adds a user with the hash of their token.
    async fn create_user(&self, user: &User, token_hash: &str) -> Result<(), StoreError>;
    /// Adds an organization's account (a user with the role `organization`) and
    /// its contact details, in one transaction.
    async fn create_organization(
        &self,
        user: &User,
        token_hash: &str,
        details: &SignUp,
    ) -> Result<(), StoreError>;
    /// Records who owns a listing.
    async fn set_owner(&self, asset: Uuid, owner: Uuid) -> Result<(), StoreError>;
    /// Who owns a listing, if anyone.
    async fn owner_of(&self, asset: Uuid) -> Result<Option<Uuid>, StoreError>;
    /// Stores a proposed new version of an asset (replacing an earlier proposal).
    async fn put_revision(
        &self,
        asset: Uuid,
        by: Uuid,
        feature: &serde_json::Value,
    ) -> Result<(), StoreError>;
    /// Every proposed version awaiting review.
    async fn revisions(&self) -> Result<Vec<Revision>, StoreError>;
    /// Drops the proposal for an asset; false when there was none.
    async fn delete_revision(&self, asset: Uuid) -> Result<bool, StoreError>;
    /// Appends to an asset's history.
    async fn record(
        &self,
        asset: Uuid,
        user: Option<Uuid>,
        action: &str,
        changes: &serde_json::Value,
    ) -> Result<(), StoreError>;
    /// An asset's history, oldest first.
    async fn history(&self, asset: Uuid) -> Result<Vec<HistoryEntry>, StoreError>;
    /// The user whose token has this hash.
    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
}

/// The database URL used when none is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://assetmap.db";

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
            Err(StoreError::UnsupportedUrl(url.to_owned()))
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

/// Reads a MultiPolygon from GeoJSON text (as both stores hand it back).
pub(crate) fn multipolygon_from_geojson(raw: &str) -> Result<geo::MultiPolygon<f64>, StoreError> {
    let g: geojson::Geometry = raw
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("geometry: {e}")))?;
    match &g.value {
        geojson::GeometryValue::Polygon { .. } => geo::Polygon::<f64>::try_from(&g.value)
            .map(|p| geo::MultiPolygon(vec![p]))
            .map_err(|e| StoreError::Corrupt(format!("geometry: {e}"))),
        _ => geo::MultiPolygon::<f64>::try_from(&g.value)
            .map_err(|e| StoreError::Corrupt(format!("geometry: {e}"))),
    }
}

/// A user from stored columns.
pub(crate) fn user(
    id: Uuid,
    name: String,
    role: &str,
    created_at: chrono::DateTime<chrono::Utc>,
) -> Result<User, StoreError> {
    Ok(User {
        id,
        name,
        role: Role::parse(role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
        created_at,
    })
}

/// Parses a JSON array of strings stored as text.
pub(crate) fn string_list(raw: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("string list: {e}")))
}

/// Parses a JSON object stored as text.
pub(crate) fn json_object(
    raw: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("extra properties: {e}")))
}
