//! PostGIS: schools' partnerships, their log and history; school staff's schools.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::PostgresStore;
use crate::domain::partnership::{LogEntry, PartnershipFields};
use crate::domain::{Partnership, User};
use crate::store::decode::attach_logs;
use crate::store::{HistoryEntry, PartnershipChange, PartnershipRow, StoreError};

/// A history entry's columns.
type HistoryRow = (Option<Uuid>, DateTime<Utc>, String, Json<Value>);

type PartnershipRowTuple = (Uuid, Uuid, Uuid, Value, DateTime<Utc>, DateTime<Utc>);

/// A query of partnership rows: the column list, then the rest.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, school_id, asset_id, fields, created_at, updated_at FROM partnerships ",
            $rest
        )
    };
}
/// A query of log entries: the column list, then the rest.
macro_rules! select_log {
    ($rest:literal) => {
        concat!(
            "SELECT l.partnership_id, l.entry FROM partnership_log l ",
            $rest
        )
    };
}

fn corrupt(what: &str, id: Uuid) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what} {id}: {e}"))
}

fn partnership(
    (id, school_id, asset_id, fields, created_at, updated_at): PartnershipRowTuple,
) -> Result<Partnership, StoreError> {
    Ok(Partnership {
        id,
        school_id,
        asset_id,
        fields: serde_json::from_value::<PartnershipFields>(fields)
            .map_err(corrupt("partnership", id))?,
        log: Vec::new(),
        created_at,
        updated_at,
    })
}

fn log_rows(rows: Vec<(Uuid, Value)>) -> Result<Vec<(Uuid, LogEntry)>, StoreError> {
    rows.into_iter()
        .map(|(pid, entry)| {
            Ok((
                pid,
                serde_json::from_value(entry).map_err(corrupt("partnership log entry of", pid))?,
            ))
        })
        .collect()
}

impl PostgresStore {
    /// The schools a user works for, and the districts an editor is limited to.
    pub(super) async fn user_schools(
        &self,
        user: Uuid,
    ) -> Result<(Vec<Uuid>, Vec<String>), StoreError> {
        let rows: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT school_id FROM user_schools WHERE user_id = $1 ORDER BY school_id",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        let districts: Vec<(String,)> = sqlx::query_as(
            "SELECT district FROM user_districts WHERE user_id = $1 ORDER BY district",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        Ok((
            rows.into_iter().map(|(s,)| s).collect(),
            districts.into_iter().map(|(d,)| d).collect(),
        ))
    }

    /// Binds a new user's schools, inside the transaction that adds the user.
    pub(super) async fn put_user_schools(
        tx: &mut Transaction<'_, Postgres>,
        user: &User,
    ) -> Result<(), StoreError> {
        for s in &user.schools {
            sqlx::query("INSERT INTO user_schools (user_id, school_id) VALUES ($1, $2)")
                .bind(user.id)
                .bind(s)
                .execute(&mut **tx)
                .await?;
        }
        for d in &user.districts {
            sqlx::query("INSERT INTO user_districts (user_id, district) VALUES ($1, $2)")
                .bind(user.id)
                .bind(d)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn do_commit_partnership(
        &self,
        c: &PartnershipChange,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let touched = match &c.row {
            PartnershipRow::Insert(p) => sqlx::query("INSERT INTO partnerships (id, school_id, asset_id, fields, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(c.id)
                .bind(p.school_id)
                .bind(p.asset_id)
                .bind(Json(&p.fields))
                .bind(p.created_at)
                .bind(p.updated_at)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            PartnershipRow::Replace(p) => sqlx::query("UPDATE partnerships SET fields = $2, updated_at = $3 WHERE id = $1")
                .bind(c.id)
                .bind(Json(&p.fields))
                .bind(p.updated_at)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            PartnershipRow::Delete => sqlx::query("DELETE FROM partnerships WHERE id = $1")
                .bind(c.id)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            PartnershipRow::Log(entry) => {
                let touched = sqlx::query("UPDATE partnerships SET updated_at = $2 WHERE id = $1")
                    .bind(c.id)
                    .bind(entry.at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if touched > 0 {
                    sqlx::query("INSERT INTO partnership_log (partnership_id, entry) VALUES ($1, $2)")
                        .bind(c.id)
                        .bind(Json(entry))
                        .execute(&mut *tx)
                        .await?;
                }
                touched
            }
        };
        if touched == 0 {
            return Err(StoreError::NotFound);
        }
        let h = &c.history;
        sqlx::query("INSERT INTO partnership_history (partnership_id, user_id, at, action, changes) VALUES ($1, $2, $3, $4, $5)")
            .bind(c.id)
            .bind(h.user)
            .bind(Utc::now())
            .bind(h.action)
            .bind(Json(&h.changes))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn do_partnerships(
        &self,
        school: Option<Uuid>,
    ) -> Result<Vec<Partnership>, StoreError> {
        let rows: Vec<PartnershipRowTuple> = sqlx::query_as(select!(
            "WHERE $1::uuid IS NULL OR school_id = $1 ORDER BY created_at, id"
        ))
        .bind(school)
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .into_iter()
            .map(partnership)
            .collect::<Result<Vec<_>, _>>()?;
        let logs: Vec<(Uuid, Value)> = sqlx::query_as(select_log!("JOIN partnerships p ON p.id = l.partnership_id WHERE $1::uuid IS NULL OR p.school_id = $1 ORDER BY l.id"))
            .bind(school)
            .fetch_all(&self.pool)
            .await?;
        attach_logs(&mut out, log_rows(logs)?);
        Ok(out)
    }

    pub(super) async fn do_partnership(&self, id: Uuid) -> Result<Partnership, StoreError> {
        let row: PartnershipRowTuple = sqlx::query_as(select!("WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let mut p = vec![partnership(row)?];
        let logs: Vec<(Uuid, Value)> =
            sqlx::query_as(select_log!("WHERE l.partnership_id = $1 ORDER BY l.id"))
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        attach_logs(&mut p, log_rows(logs)?);
        p.pop().ok_or(StoreError::NotFound)
    }

    pub(super) async fn do_partnership_history(
        &self,
        id: Uuid,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.history_of("SELECT user_id, at, action, changes FROM partnership_history WHERE partnership_id = $1 ORDER BY id", id).await
    }

    /// The history entries a query selects for one asset or partnership.
    pub(super) async fn history_of(
        &self,
        sql: &'static str,
        id: Uuid,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<HistoryRow> = sqlx::query_as(sql).bind(id).fetch_all(&self.pool).await?;
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
}
