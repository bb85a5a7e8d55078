//! The store's one error type, as the layers above need to tell it apart.

/// What can go wrong in a store, as the layers above need to tell it apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// The row changed since the version the change was made against.
    #[error("the stored version is now {stored}")]
    Stale { stored: i64 },
    /// The database cannot be reached or is not answering; worth retrying.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A stored row does not make a valid domain value.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// What this store does not do (a backup of PostGIS: use `pg_dump`).
    #[error("{0}")]
    Unsupported(&'static str),
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
            // The server is shutting down or restarting (57P01-57P03), or the
            // connection broke (class 08): worth retrying, not an error of ours.
            sqlx::Error::Database(ref db)
                if db
                    .code()
                    .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")) =>
            {
                StoreError::Unavailable(e)
            }
            other => StoreError::Database(other),
        }
    }
}
