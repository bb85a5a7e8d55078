//! PostGIS: the record of imports, the journal of the rows each wrote, and undo.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::PostgresStore;
use super::rows::{CatchmentRow, SchoolRow, UPDATE_ASSET, bind_asset};
use crate::domain::{Catchment, School};
use crate::store::journal::{ASSET, CATCHMENT, SCHOOL, Snapshot, keep_reason};
use crate::store::{ImportRecord, StoreError, Undone};

/// Journals one row an import wrote: its kind, id, the asset version it left
/// and the row before (`None`: the import inserted it).
pub(super) async fn journal(
    tx: &mut Transaction<'_, Postgres>,
    import: Option<Uuid>,
    kind: &str,
    row: Uuid,
    version: Option<i64>,
    before: Option<String>,
) -> Result<(), StoreError> {
    let Some(import) = import else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO import_rows (import_id, kind, row_id, version, before) VALUES ($1, $2, $3, $4, $5::jsonb)",
    )
    .bind(import)
    .bind(kind)
    .bind(row)
    .bind(version)
    .bind(before)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The school stored under a district id, if any, for the journal.
pub(super) async fn school_before(
    tx: &mut Transaction<'_, Postgres>,
    district: &str,
    external_id: &str,
) -> Result<Option<String>, StoreError> {
    let row: Option<SchoolRow> = sqlx::query_as(
        "SELECT id, district, external_id, name, level, ST_X(geom) AS lon, ST_Y(geom) AS lat, extra FROM schools WHERE district = $1 AND external_id = $2",
    )
    .bind(district)
    .bind(external_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| snapshot(School::try_from(r).as_ref().map(Snapshot::from))))
}

/// The area stored for a school and year, if any, for the journal.
pub(super) async fn catchment_before(
    tx: &mut Transaction<'_, Postgres>,
    c: &Catchment,
) -> Result<Option<String>, StoreError> {
    let row: Option<CatchmentRow> = sqlx::query_as(
        "SELECT id, school_id, year, ST_AsGeoJSON(geom) AS geometry FROM catchments WHERE school_id = $1 AND year = $2",
    )
    .bind(c.school_id)
    .bind(c.year.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| snapshot(Catchment::try_from(r).as_ref().map(Snapshot::from))))
}

/// A snapshot's JSON; a row that did not decode is journalled as unreadable
/// ("null"): an undo leaves it as the import wrote it.
pub(super) fn snapshot(s: Result<Snapshot, &StoreError>) -> String {
    match s {
        Ok(s) => s.to_json(),
        Err(_) => "null".to_owned(),
    }
}

/// kind, row id, version written, row before.
type JournalRow = (String, Uuid, Option<i64>, Option<Json<serde_json::Value>>);

type RecordRow = (
    Uuid,
    String,
    String,
    String,
    DateTime<Utc>,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<DateTime<Utc>>,
    String,
);

fn record(r: RecordRow) -> ImportRecord {
    ImportRecord {
        id: r.0,
        kind: r.1,
        file: r.2,
        by: r.3,
        at: r.4,
        inserted: r.5,
        updated: r.6,
        unchanged: r.7,
        skipped: r.8,
        warnings: r.9,
        undone_at: r.10,
        district: r.11,
    }
}

impl PostgresStore {
    pub(super) async fn put_import(
        &self,
        r: &ImportRecord,
        insert: bool,
    ) -> Result<(), StoreError> {
        let sql = if insert {
            "INSERT INTO imports (id, kind, file, by_name, at, inserted, updated, unchanged, skipped, warnings, district) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        } else {
            "UPDATE imports SET inserted = $6, updated = $7, unchanged = $8, skipped = $9, warnings = $10 WHERE id = $1 AND kind = $2 AND file = $3 AND by_name = $4 AND at = $5 AND district = $11"
        };
        let done = sqlx::query(sql)
            .bind(r.id)
            .bind(&r.kind)
            .bind(&r.file)
            .bind(&r.by)
            .bind(r.at)
            .bind(r.inserted)
            .bind(r.updated)
            .bind(r.unchanged)
            .bind(r.skipped)
            .bind(r.warnings)
            .bind(&r.district)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub(super) async fn list_imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        let rows: Vec<RecordRow> = sqlx::query_as(
            "SELECT id, kind, file, by_name, at, inserted, updated, unchanged, skipped, warnings, undone_at, district FROM imports ORDER BY at DESC, id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    pub(super) async fn undo(&self, id: Uuid) -> Result<Undone, StoreError> {
        let mut tx = self.pool.begin().await?;
        let state: Option<(Option<DateTime<Utc>>,)> =
            sqlx::query_as("SELECT undone_at FROM imports WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        match state {
            None => return Err(StoreError::NotFound),
            Some((Some(at),)) => {
                return Err(StoreError::Conflict(format!(
                    "this import was undone already, at {}",
                    at.to_rfc3339()
                )));
            }
            Some((None,)) => {}
        }
        let later: Option<(String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT i.file, i.at FROM import_rows r JOIN imports i ON i.id = r.import_id \
             WHERE i.undone_at IS NULL AND r.import_id <> $1 \
             AND r.seq > (SELECT min(seq) FROM import_rows WHERE import_id = $1) \
             AND EXISTS (SELECT 1 FROM import_rows m WHERE m.import_id = $1 AND m.kind = r.kind AND m.row_id = r.row_id) \
             LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((file, at)) = later {
            return Err(StoreError::Conflict(format!(
                "a later import ({file}, {}) changed the same rows; undo it first",
                at.to_rfc3339()
            )));
        }
        let rows: Vec<JournalRow> = sqlx::query_as(
                "SELECT kind, row_id, version, before FROM import_rows WHERE import_id = $1 ORDER BY seq DESC",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let mut done = Undone::default();
        for (kind, row, version, before) in rows {
            let before = before.map(|Json(v)| v.to_string());
            match kind.as_str() {
                ASSET => undo_asset(&mut tx, id, row, version, before, &mut done).await?,
                SCHOOL => {
                    undo_school(&mut tx, row, before).await?;
                    done.schools += 1;
                }
                CATCHMENT => {
                    if undo_catchment(&mut tx, row, before).await? {
                        done.catchments += 1;
                    }
                }
                other => return Err(StoreError::Corrupt(format!("import row kind {other:?}"))),
            }
        }
        sqlx::query("UPDATE imports SET undone_at = now() WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done)
    }
}

async fn undo_asset(
    tx: &mut Transaction<'_, Postgres>,
    import: Uuid,
    row: Uuid,
    version: Option<i64>,
    before: Option<String>,
    done: &mut Undone,
) -> Result<(), StoreError> {
    let now: Option<(i64, i64)> = sqlx::query_as(
        "SELECT version, (SELECT count(*) FROM partnerships WHERE asset_id = $1) FROM assets WHERE id = $1 FOR UPDATE",
    )
    .bind(row)
    .fetch_optional(&mut **tx)
    .await?;
    // Deleted since: nothing to undo.
    let Some((now, partnerships)) = now else {
        return Ok(());
    };
    if let Some(reason) = keep_reason(now, version.unwrap_or(-1), partnerships) {
        done.kept.push(format!("asset {row}: {reason}"));
        return Ok(());
    }
    match before {
        None => {
            sqlx::query("DELETE FROM assets WHERE id = $1")
                .bind(row)
                .execute(&mut **tx)
                .await?;
            done.deleted.push(row);
        }
        Some(raw) => match Snapshot::from_json(&raw).and_then(Snapshot::asset) {
            Ok(mut a) => {
                // The `assets_version` trigger raises the version.
                bind_asset(sqlx::query(UPDATE_ASSET), &a)
                    .execute(&mut **tx)
                    .await?;
                let (v,): (i64,) = sqlx::query_as("SELECT version FROM assets WHERE id = $1")
                    .bind(row)
                    .fetch_one(&mut **tx)
                    .await?;
                // The import that wrote the version put back now sees it as
                // its own again.
                sqlx::query("UPDATE import_rows SET version = $1 WHERE kind = 'asset' AND row_id = $2 AND version = $3 AND import_id <> $4")
                    .bind(v)
                    .bind(row)
                    .bind(a.version)
                    .bind(import)
                    .execute(&mut **tx)
                    .await?;
                a.version = v;
                done.restored.push(a);
            }
            Err(_) => done.kept.push(format!(
                "asset {row}: what it was before the import could not be read; left as it is"
            )),
        },
    }
    Ok(())
}

async fn undo_school(
    tx: &mut Transaction<'_, Postgres>,
    row: Uuid,
    before: Option<String>,
) -> Result<(), StoreError> {
    match before {
        None => {
            let (areas, partnerships): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM catchments WHERE school_id = $1), (SELECT count(*) FROM partnerships WHERE school_id = $1)",
            )
            .bind(row)
            .fetch_one(&mut **tx)
            .await?;
            if areas + partnerships > 0 {
                return Err(StoreError::Conflict(format!(
                    "school {row}, which this import added, has {areas} attendance areas and {partnerships} partnerships since; undo or remove those first"
                )));
            }
            sqlx::query("DELETE FROM schools WHERE id = $1")
                .bind(row)
                .execute(&mut **tx)
                .await?;
        }
        Some(raw) => {
            let s = Snapshot::from_json(&raw)?.school()?;
            sqlx::query(
                "UPDATE schools SET external_id = $2, name = $3, level = $4, geom = ST_SetSRID(ST_MakePoint($5, $6), 4326), extra = $7, district = $8 WHERE id = $1",
            )
            .bind(s.id)
            .bind(&s.external_id)
            .bind(&s.name)
            .bind(&s.level)
            .bind(s.location.lon())
            .bind(s.location.lat())
            .bind(Json(&s.extra))
            .bind(&s.district)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Deletes the area the import wrote and puts back the one it replaced;
/// false when the area was replaced again since, and is left as it is.
async fn undo_catchment(
    tx: &mut Transaction<'_, Postgres>,
    row: Uuid,
    before: Option<String>,
) -> Result<bool, StoreError> {
    let gone = sqlx::query("DELETE FROM catchments WHERE id = $1")
        .bind(row)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Ok(false);
    }
    if let Some(raw) = before {
        let c = Snapshot::from_json(&raw)?.catchment()?;
        let mut geometry = Vec::new();
        crate::encode::write_multipolygon(&mut geometry, &c.geometry);
        let geometry =
            String::from_utf8(geometry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO catchments (id, school_id, year, geom) VALUES ($1, $2, $3, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($4), 4326)))",
        )
        .bind(c.id)
        .bind(c.school_id)
        .bind(c.year.as_str())
        .bind(geometry)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}
