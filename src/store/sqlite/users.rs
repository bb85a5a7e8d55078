//! SQLite: users for operators (list, revoke, rotate), the audit log, and the
//! online backup.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::SqliteStore;
use super::rows::{rfc3339, time, uuid};
use crate::domain::user::UserRecord;
use crate::store::decode::user;
use crate::store::{AuditEntry, AuditRecord, StoreError};

type UserRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);
/// at, user id, user name, action, target, detail.
type AuditRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

fn opt_time(t: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    t.as_deref().map(time).transpose()
}

impl SqliteStore {
    pub(super) async fn do_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT id, name, role, created_at, expires_at, revoked_at FROM users ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, name, role, created, expires, revoked) in rows {
            let id = uuid(&id)?;
            let schools = self.user_schools(id).await?;
            out.push(UserRecord {
                user: user(
                    id,
                    name,
                    &role,
                    schools,
                    time(&created)?,
                    opt_time(expires)?,
                )?,
                revoked_at: opt_time(revoked)?,
            });
        }
        Ok(out)
    }

    async fn put_audit(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(rfc3339(&Utc::now()))
            .bind(a.user.map(|u| u.to_string()))
            .bind(a.action)
            .bind(&a.target)
            .bind(a.detail.to_string())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Runs one change to a user and its audit entry in one transaction;
    /// `NotFound` when the change touches no user.
    async fn audited(
        &self,
        change: sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if change.execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Self::put_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn do_revoke(&self, id: Uuid, audit: &AuditRecord) -> Result<(), StoreError> {
        let change =
            sqlx::query("UPDATE users SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1")
                .bind(id.to_string())
                .bind(rfc3339(&Utc::now()));
        self.audited(change, audit).await
    }

    pub(super) async fn do_rotate(
        &self,
        id: Uuid,
        token_hash: &str,
        expires_at: Option<DateTime<Utc>>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let change = sqlx::query(
            "UPDATE users SET token_hash = ?2, expires_at = ?3, revoked_at = NULL WHERE id = ?1",
        )
        .bind(id.to_string())
        .bind(token_hash)
        .bind(expires_at.as_ref().map(rfc3339));
        self.audited(change, audit).await
    }

    pub(super) async fn do_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT x.at, x.user_id, (SELECT name FROM users u WHERE u.id = x.user_id), x.action, x.target, x.detail FROM (
                SELECT h.at, h.user_id, h.action, 'asset ' || h.asset_id AS target, h.changes AS detail
                  FROM asset_history h JOIN users u ON u.id = h.user_id WHERE u.role IN ('admin', 'editor')
                UNION ALL
                SELECT at, user_id, action, target, detail FROM audit_log
             ) x ORDER BY x.at DESC LIMIT ?1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(at, user, user_name, action, target, detail)| {
                Ok(AuditEntry {
                    at: time(&at)?,
                    user: user.as_deref().map(uuid).transpose()?,
                    user_name,
                    action,
                    target,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    pub(super) async fn do_backup(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let target = path.to_str().ok_or(StoreError::Unsupported(
            "the backup's path must be valid UTF-8",
        ))?;
        // One consistent snapshot, taken while others keep reading and writing.
        sqlx::query("VACUUM INTO ?1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
