//! SQLite: schools' partnerships, their log and history; school staff's schools.

use chrono::Utc;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use super::SqliteStore;
use super::rows::{rfc3339, time, uuid};
use crate::domain::{Partnership, User};
use crate::store::decode::{attach_logs, json_record};
use crate::store::{HistoryEntry, PartnershipChange, PartnershipRow, StoreError};

type PartnershipRowTuple = (String, String, String, String, String, String);

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

fn partnership(
    (id, school, asset, fields, created, updated): PartnershipRowTuple,
) -> Result<Partnership, StoreError> {
    let id = uuid(&id)?;
    Ok(Partnership {
        id,
        school_id: uuid(&school)?,
        asset_id: uuid(&asset)?,
        fields: json_record("partnership", id, &fields)?,
        log: Vec::new(),
        created_at: time(&created)?,
        updated_at: time(&updated)?,
    })
}

fn log_rows(
    rows: Vec<(String, String)>,
) -> Result<Vec<(Uuid, crate::domain::partnership::LogEntry)>, StoreError> {
    rows.into_iter()
        .map(|(pid, entry)| {
            let pid = uuid(&pid)?;
            Ok((pid, json_record("partnership log entry of", pid, &entry)?))
        })
        .collect()
}

impl SqliteStore {
    /// The schools a user works for, and the districts an editor is limited to.
    pub(super) async fn user_schools(
        &self,
        user: Uuid,
    ) -> Result<(Vec<Uuid>, Vec<String>), StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT school_id FROM user_schools WHERE user_id = ?1 ORDER BY school_id",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        let districts: Vec<(String,)> = sqlx::query_as(
            "SELECT district FROM user_districts WHERE user_id = ?1 ORDER BY district",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok((
            rows.iter().map(|(s,)| uuid(s)).collect::<Result<_, _>>()?,
            districts.into_iter().map(|(d,)| d).collect(),
        ))
    }

    /// Binds a new user's schools, inside the transaction that adds the user.
    pub(super) async fn put_user_schools(
        tx: &mut Transaction<'_, Sqlite>,
        user: &User,
    ) -> Result<(), StoreError> {
        for s in &user.schools {
            sqlx::query("INSERT INTO user_schools (user_id, school_id) VALUES (?1, ?2)")
                .bind(user.id.to_string())
                .bind(s.to_string())
                .execute(&mut **tx)
                .await?;
        }
        for d in &user.districts {
            sqlx::query("INSERT INTO user_districts (user_id, district) VALUES (?1, ?2)")
                .bind(user.id.to_string())
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let id = c.id.to_string();
        let now = rfc3339(&Utc::now());
        let touched = match &c.row {
            PartnershipRow::Insert(p) => sqlx::query("INSERT INTO partnerships (id, school_id, asset_id, fields, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .bind(&id)
                .bind(p.school_id.to_string())
                .bind(p.asset_id.to_string())
                .bind(serde_json::to_string(&p.fields).map_err(|e| StoreError::Corrupt(e.to_string()))?)
                .bind(rfc3339(&p.created_at))
                .bind(rfc3339(&p.updated_at))
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            PartnershipRow::Replace(p) => sqlx::query("UPDATE partnerships SET fields = ?2, updated_at = ?3 WHERE id = ?1")
                .bind(&id)
                .bind(serde_json::to_string(&p.fields).map_err(|e| StoreError::Corrupt(e.to_string()))?)
                .bind(rfc3339(&p.updated_at))
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            PartnershipRow::Delete => sqlx::query("DELETE FROM partnerships WHERE id = ?1")
                .bind(&id)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            PartnershipRow::Log(entry) => {
                let touched = sqlx::query("UPDATE partnerships SET updated_at = ?2 WHERE id = ?1")
                    .bind(&id)
                    .bind(rfc3339(&entry.at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if touched > 0 {
                    sqlx::query("INSERT INTO partnership_log (partnership_id, entry) VALUES (?1, ?2)")
                        .bind(&id)
                        .bind(serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?)
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
        sqlx::query("INSERT INTO partnership_history (partnership_id, user_id, at, action, changes) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(&id)
            .bind(h.user.map(|u| u.to_string()))
            .bind(now)
            .bind(h.action)
            .bind(h.changes.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn do_partnerships(
        &self,
        school: Option<Uuid>,
    ) -> Result<Vec<Partnership>, StoreError> {
        let school = school.map(|s| s.to_string());
        let rows: Vec<PartnershipRowTuple> = sqlx::query_as(select!(
            "WHERE ?1 IS NULL OR school_id = ?1 ORDER BY created_at, id"
        ))
        .bind(&school)
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .into_iter()
            .map(partnership)
            .collect::<Result<Vec<_>, _>>()?;
        let logs: Vec<(String, String)> = sqlx::query_as(select_log!("JOIN partnerships p ON p.id = l.partnership_id WHERE ?1 IS NULL OR p.school_id = ?1 ORDER BY l.id"))
            .bind(&school)
            .fetch_all(&self.pool)
            .await?;
        attach_logs(&mut out, log_rows(logs)?);
        Ok(out)
    }

    pub(super) async fn do_partnership(&self, id: Uuid) -> Result<Partnership, StoreError> {
        let row: PartnershipRowTuple = sqlx::query_as(select!("WHERE id = ?1"))
            .bind(id.to_string())
            .fetch_one(&self.pool)
            .await?;
        let mut p = vec![partnership(row)?];
        let logs: Vec<(String, String)> =
            sqlx::query_as(select_log!("WHERE l.partnership_id = ?1 ORDER BY l.id"))
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?;
        attach_logs(&mut p, log_rows(logs)?);
        p.pop().ok_or(StoreError::NotFound)
    }

    pub(super) async fn do_partnership_history(
        &self,
        id: Uuid,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.history_of("SELECT user_id, at, action, changes FROM partnership_history WHERE partnership_id = ?1 ORDER BY id", id).await
    }

    /// The history entries a query selects for one asset or partnership.
    pub(super) async fn history_of(
        &self,
        sql: &'static str,
        id: Uuid,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<(Option<String>, String, String, String)> = sqlx::query_as(sql)
            .bind(id.to_string())
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
}
