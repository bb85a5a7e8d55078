//! The one way to write a change: validate, commit the change and its history
//! entry in one store transaction, then update the index.
//!
//! Every write goes through [`Service`]: the API's writes and review
//! (`http::write`, `http::review`), sign-up (`http::signup`), and the importers
//! (`import::run`, `cli`). None of them talks to the store's write methods or
//! the index on its own, so no write can skip its history entry, and the index
//! only ever hears of what the store committed ([`Service::apply`]).
//!
//! The service knows users and rules, not HTTP: it takes and returns domain
//! values and answers with [`ServiceError`], which the HTTP layer maps once.

use std::sync::Arc;

use uuid::Uuid;

use crate::domain::validate::Violation;
use crate::domain::{Asset, Role, User};
use crate::index::Index;
use crate::store::{Change, RowChange, Store, StoreError, Undone, UpsertReport};

mod assets;
mod features;
mod partnerships;
mod review;
mod signup;
mod suggestions;

pub use assets::{DELETION, Written, is_deletion};
pub use features::{diff, feature_value};
pub use partnerships::fields_diff;
pub use review::Approved;
pub use suggestions::suggestion_of;

/// Why a write was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The body breaks the rules; each violation names its field.
    #[error("invalid")]
    Invalid(Vec<Violation>),
    /// The caller's role or ownership does not allow it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The state of the data does not allow it (nothing awaits review, ...).
    #[error("{0}")]
    Conflict(&'static str),
    /// The client's `If-Match` names a version that is no longer stored.
    #[error("the asset is now at version {0}")]
    PreconditionFailed(i64),
    /// The system could not make a token.
    #[error("no randomness for a token: {0}")]
    NoRandomness(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Vec<Violation>> for ServiceError {
    fn from(v: Vec<Violation>) -> Self {
        ServiceError::Invalid(v)
    }
}

/// The write side of the application. Cheap to clone: a store and an index
/// handle.
#[derive(Clone)]
pub struct Service {
    store: Arc<dyn Store>,
    /// The index to keep in step; `None` in a command-line process, whose
    /// changes reach running servers through LISTEN/NOTIFY (PostGIS) or at
    /// their next start (SQLite).
    index: Option<Index>,
    /// Most submissions one organization may have awaiting review.
    max_pending: u64,
}

/// Submissions one organization may have awaiting review, unless configured.
pub const DEFAULT_MAX_PENDING: u64 = 50;

impl Service {
    /// The service of a server, keeping `index` in step with the store.
    pub fn new(store: Arc<dyn Store>, index: Index) -> Self {
        Self {
            store,
            index: Some(index),
            max_pending: DEFAULT_MAX_PENDING,
        }
    }

    /// The same service with another cap on what one organization may have
    /// awaiting review.
    pub fn with_max_pending(mut self, n: u64) -> Self {
        self.max_pending = n;
        self
    }

    /// The service of a command-line process: the store only.
    pub fn without_index(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            index: None,
            max_pending: DEFAULT_MAX_PENDING,
        }
    }

    /// Commits a change in one transaction, then (only then) applies it to the
    /// index, with the version the store gave the row, so that changes that
    /// reach the index out of order never put an older version over a newer
    /// one or bring back a deleted asset. The one place where both happen.
    /// Returns the row's new version (`None` when deleted).
    async fn apply(&self, change: &Change) -> Result<Option<i64>, ServiceError> {
        let version = self.store.commit(change).await?;
        if let Some(index) = &self.index {
            match (&change.row, version) {
                (RowChange::Insert(a) | RowChange::Replace(a), Some(v)) => {
                    index.upsert_asset(&Asset {
                        version: v,
                        ..a.clone()
                    });
                }
                (RowChange::Delete, _) => {
                    index.remove_asset(change.asset);
                }
                (RowChange::Keep, Some(v)) => index.set_version(change.asset, v),
                _ => {}
            }
        }
        Ok(version)
    }

    /// Imports assets in one transaction (matched by provenance, else id), then
    /// indexes the stored versions.
    /// With `journal`, the rows written are recorded under that import.
    pub async fn import_assets(
        &self,
        assets: &[Asset],
        journal: Option<Uuid>,
    ) -> Result<(Vec<Asset>, UpsertReport), StoreError> {
        let (stored, report) = self.store.upsert_assets(assets, journal).await?;
        if let Some(index) = &self.index {
            for a in &stored {
                index.upsert_asset(a);
            }
        }
        Ok((stored, report))
    }

    /// Undoes an import whole in the store (see [`Store::undo_import`]), then
    /// takes what it deleted and put back into the index.
    pub async fn undo_import(&self, id: Uuid) -> Result<Undone, StoreError> {
        let done = self.store.undo_import(id).await?;
        if let Some(index) = &self.index {
            for id in &done.deleted {
                index.remove_asset(*id);
            }
            for a in &done.restored {
                index.upsert_asset(a);
            }
            if done.schools + done.catchments > 0 {
                self.reload_areas().await?;
            }
        }
        Ok(done)
    }

    /// Reads every school and area into the index again, after an import or
    /// undo of them (nothing to do in a command-line process).
    pub async fn reload_areas(&self) -> Result<(), StoreError> {
        if let Some(index) = &self.index {
            index.set_schools(self.store.schools().await?, self.store.catchments().await?);
        }
        Ok(())
    }

    /// The store behind the service, for reads.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The stored asset (`NotFound` from the store when there is none).
    async fn existing(&self, id: Uuid) -> Result<Asset, ServiceError> {
        Ok(self.store.asset(id).await?)
    }

    /// An organization may change only its own listings; editors and admins any.
    async fn may_change(&self, by: &User, asset: Uuid) -> Result<(), ServiceError> {
        if by.role.publishes() {
            return Ok(());
        }
        match self.store.owner_of(asset).await? {
            Some(owner) if owner == by.id => Ok(()),
            _ => Err(ServiceError::Forbidden(
                "organizations may change only their own listings",
            )),
        }
    }
}

impl Service {
    /// Refuses a new submission from an organization that already has
    /// `max_pending` awaiting review, so the queue (and the store) stay bounded.
    async fn room_for_submission(&self, by: &User) -> Result<(), ServiceError> {
        if reviewed(by) && self.store.pending_count(by.id).await? >= self.max_pending {
            return Err(ServiceError::Conflict(
                "too many submissions await review; wait until the reviewers have seen them",
            ));
        }
        Ok(())
    }
}

/// A stale version: 412 when the client named it (`If-Match`), otherwise a
/// conflict saying what changed.
fn stale(e: ServiceError, client_named_it: bool, why: &'static str) -> ServiceError {
    match e {
        ServiceError::Store(StoreError::Stale { stored }) if client_named_it => {
            ServiceError::PreconditionFailed(stored)
        }
        ServiceError::Store(StoreError::Stale { .. }) => ServiceError::Conflict(why),
        other => other,
    }
}

/// Only editors and admins review.
fn reviewer(by: &User) -> Result<(), ServiceError> {
    if by.role.publishes() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("only editors and admins review"))
    }
}

/// Whether a caller's new listing waits for review.
fn reviewed(by: &User) -> bool {
    by.role == Role::Organization
}
