//! SQLite: the record of imports, the journal of the rows each wrote, and undo.

use chrono::Utc;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use super::rows::{json_text, rfc3339, time, uuid};
use super::{SqliteStore, bump, write_asset};
use crate::domain::{Catchment, School};
use crate::store::journal::{ASSET, CATCHMENT, SCHOOL, Snapshot, keep_reason};
use crate::store::{ImportRecord, StoreError, Undone};

/// Journals one row an import wrote: its kind, id, the asset version it left
/// and the row before (`None`: the import inserted it).
pub(super) async fn journal(
    tx: &mut Transaction<'_, Sqlite>,
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
        "INSERT INTO import_rows (import_id, kind, row_id, version, before) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(import.to_string())
    .bind(kind)
    .bind(row.to_string())
    .bind(version)
    .bind(before)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a school row (insert or update by id).
pub(super) async fn write_school(
    tx: &mut Transaction<'_, Sqlite>,
    s: &School,
    insert: bool,
) -> Result<(), StoreError> {
    let sql = if insert {
        "INSERT INTO schools (id, external_id, name, level, lon, lat, extra, district) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    } else {
        "UPDATE schools SET external_id = ?2, name = ?3, level = ?4, lon = ?5, lat = ?6, extra = ?7, district = ?8 WHERE id = ?1"
    };
    sqlx::query(sql)
        .bind(s.id.to_string())
        .bind(&s.external_id)
        .bind(&s.name)
        .bind(&s.level)
        .bind(s.location.lon())
        .bind(s.location.lat())
        .bind(json_text(&s.extra))
        .bind(&s.district)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A catchment's geometry as the GeoJSON text SQLite keeps.
pub(super) fn geometry_text(c: &Catchment) -> Result<String, StoreError> {
    let mut geometry = Vec::new();
    crate::encode::write_multipolygon(&mut geometry, &c.geometry);
    String::from_utf8(geometry).map_err(|e| StoreError::Corrupt(e.to_string()))
}

type RecordRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
    String,
);

fn record(r: RecordRow) -> Result<ImportRecord, StoreError> {
    Ok(ImportRecord {
        id: uuid(&r.0)?,
        kind: r.1,
        file: r.2,
        by: r.3,
        at: time(&r.4)?,
        inserted: r.5,
        updated: r.6,
        unchanged: r.7,
        skipped: r.8,
        warnings: r.9,
        undone_at: r.10.as_deref().map(time).transpose()?,
        district: r.11,
    })
}

impl SqliteStore {
    pub(super) async fn put_import(
        &self,
        r: &ImportRecord,
        insert: bool,
    ) -> Result<(), StoreError> {
        let sql = if insert {
            "INSERT INTO imports (id, kind, file, by_name, at, inserted, updated, unchanged, skipped, warnings, district) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        } else {
            "UPDATE imports SET inserted = ?6, updated = ?7, unchanged = ?8, skipped = ?9, warnings = ?10 WHERE id = ?1 AND kind = ?2 AND file = ?3 AND by_name = ?4 AND at = ?5 AND district = ?11"
        };
        let done = sqlx::query(sql)
            .bind(r.id.to_string())
            .bind(&r.kind)
            .bind(&r.file)
            .bind(&r.by)
            .bind(rfc3339(&r.at))
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
        rows.into_iter().map(record).collect()
    }

    pub(super) async fn undo(&self, id: Uuid) -> Result<Undone, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let import = id.to_string();
        let state: Option<(Option<String>,)> =
            sqlx::query_as("SELECT undone_at FROM imports WHERE id = ?1")
                .bind(&import)
                .fetch_optional(&mut *tx)
                .await?;
        match state {
            None => return Err(StoreError::NotFound),
            Some((Some(at),)) => {
                return Err(StoreError::Conflict(format!(
                    "this import was undone already, at {at}"
                )));
            }
            Some((None,)) => {}
        }
        let later: Option<(String, String)> = sqlx::query_as(
            "SELECT i.file, i.at FROM import_rows r JOIN imports i ON i.id = r.import_id \
             WHERE i.undone_at IS NULL AND r.import_id <> ?1 \
             AND r.seq > (SELECT min(seq) FROM import_rows WHERE import_id = ?1) \
             AND EXISTS (SELECT 1 FROM import_rows m WHERE m.import_id = ?1 AND m.kind = r.kind AND m.row_id = r.row_id) \
             LIMIT 1",
        )
        .bind(&import)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((file, at)) = later {
            return Err(StoreError::Conflict(format!(
                "a later import ({file}, {at}) changed the same rows; undo it first"
            )));
        }
        let rows: Vec<(String, String, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT kind, row_id, version, before FROM import_rows WHERE import_id = ?1 ORDER BY seq DESC",
        )
        .bind(&import)
        .fetch_all(&mut *tx)
        .await?;
        let mut done = Undone::default();
        for (kind, row, version, before) in rows {
            match kind.as_str() {
                ASSET => undo_asset(&mut tx, &import, &row, version, before, &mut done).await?,
                SCHOOL => {
                    undo_school(&mut tx, &row, before).await?;
                    done.schools += 1;
                }
                CATCHMENT => {
                    if undo_catchment(&mut tx, &row, before).await? {
                        done.catchments += 1;
                    }
                }
                other => return Err(StoreError::Corrupt(format!("import row kind {other:?}"))),
            }
        }
        sqlx::query("UPDATE imports SET undone_at = ?2 WHERE id = ?1")
            .bind(&import)
            .bind(rfc3339(&Utc::now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done)
    }
}

async fn undo_asset(
    tx: &mut Transaction<'_, Sqlite>,
    import: &str,
    row: &str,
    version: Option<i64>,
    before: Option<String>,
    done: &mut Undone,
) -> Result<(), StoreError> {
    let now: Option<(i64, i64)> = sqlx::query_as(
        "SELECT version, (SELECT count(*) FROM partnerships WHERE asset_id = ?1) FROM assets WHERE id = ?1",
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
            sqlx::query("DELETE FROM assets WHERE id = ?1")
                .bind(row)
                .execute(&mut **tx)
                .await?;
            done.deleted.push(uuid(row)?);
        }
        Some(raw) => match Snapshot::from_json(&raw).and_then(Snapshot::asset) {
            Ok(mut a) => {
                let then = a.version;
                write_asset(tx, &a, false).await?;
                a.version = bump(tx, row).await?;
                // The import that wrote the version put back now sees it as
                // its own again.
                sqlx::query("UPDATE import_rows SET version = ?1 WHERE kind = 'asset' AND row_id = ?2 AND version = ?3 AND import_id <> ?4")
                    .bind(a.version)
                    .bind(row)
                    .bind(then)
                    .bind(import)
                    .execute(&mut **tx)
                    .await?;
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
    tx: &mut Transaction<'_, Sqlite>,
    row: &str,
    before: Option<String>,
) -> Result<(), StoreError> {
    match before {
        None => {
            let (areas, partnerships): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM catchments WHERE school_id = ?1), (SELECT count(*) FROM partnerships WHERE school_id = ?1)",
            )
            .bind(row)
            .fetch_one(&mut **tx)
            .await?;
            if areas + partnerships > 0 {
                return Err(StoreError::Conflict(format!(
                    "school {row}, which this import added, has {areas} attendance areas and {partnerships} partnerships since; undo or remove those first"
                )));
            }
            sqlx::query("DELETE FROM schools WHERE id = ?1")
                .bind(row)
                .execute(&mut **tx)
                .await?;
        }
        Some(raw) => write_school(tx, &Snapshot::from_json(&raw)?.school()?, false).await?,
    }
    Ok(())
}

/// Deletes the area the import wrote and puts back the one it replaced;
/// false when the area was replaced again since (by a later import since undone,
/// or by hand), and is left as it is.
async fn undo_catchment(
    tx: &mut Transaction<'_, Sqlite>,
    row: &str,
    before: Option<String>,
) -> Result<bool, StoreError> {
    let gone = sqlx::query("DELETE FROM catchments WHERE id = ?1")
        .bind(row)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Ok(false);
    }
    if let Some(raw) = before {
        let c = Snapshot::from_json(&raw)?.catchment()?;
        sqlx::query(
            "INSERT INTO catchments (id, school_id, year, geometry) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(c.id.to_string())
        .bind(c.school_id.to_string())
        .bind(c.year.as_str())
        .bind(geometry_text(&c)?)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}
