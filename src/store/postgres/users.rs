//! PostGIS: users for operators (list, revoke, rotate) and the audit log. Its
//! backup is `pg_dump` (see the README).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::PostgresStore;
use crate::domain::user::UserRecord;
use crate::store::decode::user;
use crate::store::{AuditEntry, AuditRecord, StoreError};

type UserRow = (
    Uuid,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);
type AuditRow = (
    DateTime<Utc>,
    Option<Uuid>,
    Option<String>,
    String,
    String,
    Json<Value>,
);

impl PostgresStore {
    pub(super) async fn do_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT id, name, role, created_at, expires_at, revoked_at FROM users ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, name, role, created, expires, revoked) in rows {
            let schools = self.user_schools(id).await?;
            out.push(UserRecord {
                user: user(id, name, &role, schools, created, expires)?,
                revoked_at: revoked,
            });
        }
        Ok(out)
    }

    async fn put_audit(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (at, user_id, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(Utc::now())
            .bind(a.user)
            .bind(a.action)
            .bind(&a.target)
            .bind(Json(&a.detail))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Runs one change to a user and its audit entry in one transaction;
    /// `NotFound` when the change touches no user.
    async fn audited(
        &self,
        change: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if change.execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Self::put_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn do_revoke(&self, id: Uuid, audit: &AuditRecord) -> Result<(), StoreError> {
        let change =
            sqlx::query("UPDATE users SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1")
                .bind(id)
                .bind(Utc::now());
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
            "UPDATE users SET token_hash = $2, expires_at = $3, revoked_at = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(token_hash)
        .bind(expires_at);
        self.audited(change, audit).await
    }

    pub(super) async fn do_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT x.at, x.user_id, (SELECT name FROM users u WHERE u.id = x.user_id), x.action, x.target, x.detail FROM (
                SELECT h.at, h.user_id, h.action, 'asset ' || h.asset_id::text AS target, h.changes AS detail
                  FROM asset_history h JOIN users u ON u.id = h.user_id WHERE u.role IN ('admin', 'editor')
                UNION ALL
                SELECT at, user_id, action, target, detail FROM audit_log
             ) x ORDER BY x.at DESC LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, user, user_name, action, target, detail)| AuditEntry {
                at,
                user,
                user_name,
                action,
                target,
                detail: detail.0,
            })
            .collect())
    }
}
