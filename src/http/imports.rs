//! `/imports`: editors import a district's files over the web (the import
//! page), see every import recorded, and undo one whole.
//!
//! `POST /imports?kind=…&file=NAME…` takes the file itself as the body (any
//! format the command line reads; the name's extension tells it, or
//! `format=`) with the same options as `assetmap import`. With `dry_run=true`
//! it answers the report and the first rows as GeoJSON and writes nothing;
//! otherwise it imports under a new record, or refuses the whole file (400)
//! when some rows cannot be imported and `allow_partial` is not set.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, FieldError, Location};
use super::params::Params;
use super::write::parse_id;
use crate::import::job::{self, AreaField, Kind, Prepared};
use crate::import::run::Quiet;
use crate::import::{AssetProperties, Format, ReadOptions, SchoolProperties};
use crate::store::StoreError;

/// Largest file the import page takes, in bytes (the command line has no limit).
pub const MAX_FILE: usize = 64 << 20;
/// Rows shown on the map before importing.
const PREVIEW: usize = 200;
/// Rows whose column names are listed for mapping.
const COLUMN_ROWS: usize = 500;

const PARAMS: &[&str] = &[
    "kind",
    "file",
    "format",
    "source_crs",
    "lon_field",
    "lat_field",
    "sheet",
    "layer",
    "encoding",
    "name_field",
    "category_field",
    "id_field",
    "source",
    "address_field",
    "level_field",
    "school_field",
    "school_name_field",
    "year",
    "district",
    "dry_run",
    "allow_partial",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(list).post(import))
        .route("/imports/{id}/undo", post(undo))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FILE))
}

fn editor(caller: &Caller) -> Result<(), ApiError> {
    if caller.0.role.publishes() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only editors and admins import and undo imports".into(),
        ))
    }
}

/// Whether the caller may import (or undo) what an import of `kind` for
/// `district` brings: assets belong to no district; schools and areas to
/// one, which an editor limited to districts must have.
fn may_import(caller: &Caller, kind: &str, district: &str) -> bool {
    matches!(kind, "assets" | "hsds") || caller.0.works_for_district(district)
}

async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    editor(&caller)?;
    let mut imports = state.store.imports().await?;
    imports.retain(|r| may_import(&caller, &r.kind, &r.district));
    Ok(Json(json!({ "imports": imports })))
}

async fn undo(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    editor(&caller)?;
    let id = parse_id(&id)?;
    let imports = state.store.imports().await?;
    let Some(record) = imports.iter().find(|r| r.id == id) else {
        return Err(ApiError::NotFound(format!("no import {id}")));
    };
    if !may_import(&caller, &record.kind, &record.district) {
        return Err(ApiError::Forbidden(format!(
            "this import is of the district {:?}, which you do not work for",
            record.district
        )));
    }
    let done = match state.service().undo_import(id).await {
        Ok(done) => done,
        Err(StoreError::NotFound) => return Err(ApiError::NotFound(format!("no import {id}"))),
        // The store's reason says what to do (undo a later import first, …).
        Err(StoreError::Conflict(why)) => return Err(ApiError::Conflict(why)),
        Err(e) => return Err(e.into()),
    };
    Ok(Json(json!({
        "import": id,
        "deleted": done.deleted.len(),
        "restored": done.restored.len(),
        "schools": done.schools,
        "catchments": done.catchments,
        "kept": done.kept,
    })))
}

fn flag(p: &Params, name: &str, errors: &mut Vec<FieldError>) -> bool {
    match p.get(name) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.push(FieldError::query(name, "true or false"));
            false
        }
    }
}

/// What the query asks: the file's name, how to read it, what it holds.
fn request(p: &Params) -> Result<(String, ReadOptions, Kind), ApiError> {
    let mut errors = Vec::new();
    let text = |k: &str| {
        p.get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let file = match text("file") {
        // Only the name: never a path on anyone's machine.
        Some(f) => f
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>(),
        None => {
            errors.push(FieldError::query(
                "file",
                "the file's name (its extension tells the format)",
            ));
            String::new()
        }
    };
    let mut options = ReadOptions {
        lon_field: text("lon_field"),
        lat_field: text("lat_field"),
        sheet: text("sheet"),
        layer: text("layer"),
        ..Default::default()
    };
    if let Some(f) = text("format") {
        match Format::parse(&f) {
            Some(f) => options.format = Some(f),
            None => errors.push(FieldError::query(
                "format",
                format!("one of {}", Format::NAMES.join(", ")),
            )),
        }
    }
    if let Some(c) = text("source_crs") {
        match crate::crs::Crs::parse(&c) {
            Ok(c) => options.source_crs = Some(c),
            Err(e) => errors.push(FieldError::query("source_crs", e.to_string())),
        }
    }
    if let Some(e) = text("encoding") {
        match crate::import::read::Encoding::parse(&e) {
            Some(e) => options.encoding = e,
            None => errors.push(FieldError::query("encoding", "utf-8 or latin1")),
        }
    }
    let district = match crate::config::parse_district(p.get("district").unwrap_or("")) {
        Ok(d) => d,
        Err(e) => {
            errors.push(FieldError::query("district", e));
            String::new()
        }
    };
    let kind = match p.get("kind") {
        Some("assets") => Kind::Assets(AssetProperties {
            name: text("name_field").unwrap_or_else(|| "name".into()),
            category: text("category_field").unwrap_or_else(|| "category".into()),
            id: text("id_field"),
            address: text("address_field").unwrap_or_else(|| "address".into()),
            unplaced_at: None,
            source: text("source").unwrap_or_else(|| {
                std::path::Path::new(&file)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "import".into())
            }),
        }),
        Some("schools") => match text("name_field") {
            Some(name) => Kind::Schools(SchoolProperties {
                id: text("id_field"),
                name,
                level: text("level_field"),
                district,
            }),
            None => {
                errors.push(FieldError::query(
                    "name_field",
                    "the column holding the school's name",
                ));
                Kind::Assets(AssetProperties::default())
            }
        },
        Some("catchments") => {
            let key = match (text("school_field"), text("school_name_field")) {
                (Some(f), None) => Some(AreaField::Id(f)),
                (None, Some(f)) => Some(AreaField::Name {
                    field: f,
                    map: None,
                }),
                _ => {
                    errors.push(FieldError::query(
                        "school_field",
                        "give school_field (the school's id) or school_name_field (its name), not both",
                    ));
                    None
                }
            };
            let year = text("year").unwrap_or_default();
            if crate::domain::SchoolYear::parse(&year).is_none() {
                errors.push(FieldError::query(
                    "year",
                    "a school year: 2024-2025 or 2024-25",
                ));
            }
            match key {
                Some(key) => Kind::Catchments {
                    key,
                    year,
                    district,
                },
                None => Kind::Assets(AssetProperties::default()),
            }
        }
        _ => {
            errors.push(FieldError::query("kind", "assets, schools or catchments"));
            Kind::Assets(AssetProperties::default())
        }
    };
    if errors.is_empty() {
        Ok((file, options, kind))
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// A problem with the file itself, naming the body.
fn file_problem(detail: String) -> ApiError {
    ApiError::Invalid(vec![FieldError {
        name: "body".into(),
        location: Location::Body,
        detail,
    }])
}

async fn import(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    editor(&caller)?;
    let p = Params::parse(raw.as_deref(), PARAMS)?;
    let mut errors = Vec::new();
    let dry_run = flag(&p, "dry_run", &mut errors);
    let allow_partial = flag(&p, "allow_partial", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let (file, options, kind) = request(&p)?;
    if !may_import(&caller, kind.name(), kind.district()) {
        return Err(ApiError::Forbidden(format!(
            "you import for the districts {} only",
            caller.0.districts.join(", ")
        )));
    }
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            file_problem(format!(
                "the file may be at most {} MB here; import larger files with `assetmap import`",
                MAX_FILE >> 20
            ))
        } else {
            file_problem(e.body_text())
        }
    })?;
    if bytes.is_empty() {
        return Err(file_problem(
            "the body is empty: send the file itself".into(),
        ));
    }
    // The readers read files: the upload goes to a private temporary folder,
    // under its own name (the extension tells the format; a Shapefile comes
    // as a .zip), removed when the request ends.
    let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.into()))?;
    let path = dir.path().join(&file);
    tokio::fs::write(&path, &bytes)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let table = crate::import::read(&path, &options)
        .await
        .map_err(|e| match e {
            crate::import::ImportError::Store(e) => ApiError::from(e),
            other => file_problem(other.to_string()),
        })?;
    let read = json!({
        "file": table.file,
        "format": table.format.name(),
        "crs": table.crs,
        "rows": table.rows.len(),
        "columns": columns(&table),
    });
    // The page places addresses with the district's address points only: an
    // outside geocoder's one request a second is for the command line.
    let prepared = job::prepare(state.store.as_ref(), table, &kind, None)
        .await
        .map_err(|e| match e {
            crate::import::ImportError::Store(e) => ApiError::from(e),
            other => file_problem(other.to_string()),
        })?;
    let mut report = report(&kind, read, &prepared);
    let skipped = prepared.report().0.len();
    if dry_run {
        return Ok(Json(report).into_response());
    }
    if prepared.is_empty() {
        return Err(file_problem(format!(
            "nothing to import: none of the rows of {file} could be read as {} (see the dry run); nothing was written",
            kind.name()
        )));
    }
    if skipped > 0 && !allow_partial {
        return Err(file_problem(format!(
            "{skipped} rows of {file} cannot be imported (see the dry run); nothing was written. Fix them, or import the others with allow_partial=true"
        )));
    }
    let record = crate::import::run::begin(
        state.store.as_ref(),
        kind.name(),
        std::path::Path::new(&file),
        &caller.0.name,
        kind.district(),
    )
    .await
    .map_err(import_error)?;
    let (record, _) = prepared
        .write(&state.service(), record, &mut Quiet, false)
        .await
        .map_err(import_error)?;
    report["import"] = json!(record);
    Ok((StatusCode::CREATED, Json(report)).into_response())
}

fn import_error(e: crate::import::ImportError) -> ApiError {
    match e {
        crate::import::ImportError::Store(e) => e.into(),
        other => ApiError::Internal(other.into()),
    }
}

/// The column names of the first rows, in the order first seen.
fn columns(table: &crate::import::Table) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for row in table.rows.iter().take(COLUMN_ROWS) {
        for k in row.properties.keys() {
            if !seen.contains(k) {
                seen.push(k.clone());
            }
        }
    }
    seen
}

/// The report of a read: what was found, what would be imported, each
/// skipped row with why, the warnings, and the first rows as GeoJSON.
fn report(kind: &Kind, read: Value, prepared: &Prepared) -> Value {
    let (skipped, warnings, unit) = prepared.report();
    json!({
        "kind": kind.name(),
        "read": read,
        "unit": unit,
        "importable": prepared.len(),
        "skipped": skipped.iter().map(|(n, reason)| json!({"row": n, "reason": reason})).collect::<Vec<_>>(),
        "warnings": warnings,
        "notes": prepared.notes(),
        "preview": prepared.preview(PREVIEW),
    })
}
