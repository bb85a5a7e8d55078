//! Writing assets: `POST /collections/assets/items`, and `PUT`, `PATCH` (RFC 7396
//! JSON Merge Patch) and `DELETE` on `/collections/assets/items/{id}`.
//!
//! A write is acknowledged only after the store has committed it; the index
//! changes after the commit. Editors and admins publish directly. Organizations'
//! own listings, with review, are the next step (see the README).

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, FieldError, Location};
use super::items::GEOJSON;
use crate::domain::validate::{self, Draft};
use crate::domain::{Asset, Role, Status};
use crate::encode;

/// Largest body accepted, in bytes.
pub const MAX_BODY: usize = 1 << 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/collections/{collection}/items", post(create))
        .route(
            "/collections/{collection}/items/{id}",
            patch(modify).put(replace).delete(remove),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
}

/// An organization may change only its own listings.
async fn may_change(state: &AppState, caller: &Caller, asset: Uuid) -> Result<(), ApiError> {
    if caller.0.role.publishes() {
        return Ok(());
    }
    match state.store.owner_of(asset).await? {
        Some(owner) if owner == caller.0.id => Ok(()),
        _ => Err(ApiError::Forbidden(
            "organizations may change only their own listings".into(),
        )),
    }
}

/// Field-by-field differences between two Features as the API shows them:
/// `[{"field", "old", "new"}]`, like HSDS metadata records.
pub fn diff(old: Option<&Value>, new: &Value) -> Value {
    let mut out = Vec::new();
    let old_geom = old.map(|o| &o["geometry"]["coordinates"]);
    if old_geom != Some(&new["geometry"]["coordinates"]) {
        out.push(serde_json::json!({"field": "geometry", "old": old_geom, "new": new["geometry"]["coordinates"]}));
    }
    let empty = serde_json::Map::new();
    let np = new["properties"].as_object().unwrap_or(&empty);
    let op = old
        .and_then(|o| o["properties"].as_object())
        .unwrap_or(&empty);
    let mut keys: Vec<&String> = np.keys().chain(op.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        if matches!(k.as_str(), "created_at" | "updated_at" | "status") {
            continue;
        }
        let (a, b) = (
            op.get(k).unwrap_or(&Value::Null),
            np.get(k).unwrap_or(&Value::Null),
        );
        if a != b {
            out.push(serde_json::json!({"field": k, "old": a, "new": b}));
        }
    }
    Value::Array(out)
}

/// An asset as the API shows it.
pub fn feature_value(a: &Asset) -> Value {
    serde_json::from_slice(&encode::asset_feature(a).bytes).unwrap_or(Value::Null)
}

/// The body as JSON, or a problem naming `body`.
pub fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    accept: &[&str],
) -> Result<Value, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if !accept.contains(&media) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send {}; got {media:?}",
            accept.join(" or ")
        )));
    }
    let body_error = |detail: String| {
        ApiError::Invalid(vec![FieldError {
            name: "body".into(),
            location: Location::Body,
            detail,
        }])
    };
    let bytes = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::TooLarge
        }
        other => body_error(other.body_text()),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| body_error(format!("not valid JSON: {e}")))
}

/// The media types a Feature is sent as.
const FEATURE: &[&str] = &["application/geo+json", "application/json"];
/// The media types a merge patch is sent as.
const MERGE_PATCH: &[&str] = &[
    "application/merge-patch+json",
    "application/json",
    "application/geo+json",
];

fn checked(body: &Value) -> Result<Draft, ApiError> {
    validate::feature(body).map_err(ApiError::from)
}

pub fn asset_from(d: Draft, id: Uuid, created_at: chrono::DateTime<Utc>, status: Status) -> Asset {
    Asset {
        id,
        name: d.name,
        category: d.category.to_owned(),
        description: d.description,
        address: d.address,
        phone: d.phone,
        email: d.email,
        website: d.website,
        languages: d.languages,
        hours: d.hours,
        accessibility: d.accessibility,
        ages_served: d.ages_served,
        services: d.services,
        source: d.source,
        source_id: d.source_id,
        last_verified: d.last_verified,
        status,
        created_at,
        updated_at: Utc::now(),
        location: d.location,
        extra: d.extra,
    }
}

fn feature_response(status: StatusCode, asset: &Asset, location: Option<String>) -> Response {
    let mut r = (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))],
        encode::asset_feature(asset).bytes.into_vec(),
    )
        .into_response();
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(header::LOCATION, l);
    }
    r
}

/// Only the assets collection is written through the API.
fn writable(collection: &str) -> Result<(), ApiError> {
    match collection {
        "assets" => Ok(()),
        "schools" | "catchments" => Err(ApiError::ReadOnly(format!(
            "{collection} are changed with `assetmap import`, not through the API"
        ))),
        other => Err(ApiError::NotFound(format!("no collection {other:?}"))),
    }
}

/// An asset id from a path; anything else names no asset (404).
pub fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::NotFound(format!("no asset {id:?}")))
}

async fn create(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    writable(&collection)?;
    let value = json_body(&headers, body, FEATURE)?;
    // Editors publish at once; an organization's new listing waits for review.
    let status = if caller.0.role.publishes() {
        Status::Approved
    } else {
        Status::Pending
    };
    let asset = asset_from(checked(&value)?, Uuid::new_v4(), Utc::now(), status);
    state.store.insert_asset(&asset).await?;
    if caller.0.role == Role::Organization {
        state.store.set_owner(asset.id, caller.0.id).await?;
    }
    let action = if status == Status::Pending {
        "submitted"
    } else {
        "created"
    };
    state
        .store
        .record(
            asset.id,
            Some(caller.0.id),
            action,
            &diff(None, &feature_value(&asset)),
        )
        .await?;
    state.index.upsert_asset(&asset);
    let location = format!(
        "{}/collections/assets/items/{}",
        state.base_url(&headers),
        asset.id
    );
    Ok(feature_response(
        StatusCode::CREATED,
        &asset,
        Some(location),
    ))
}

async fn replace(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    writable(&collection)?;
    let id = parse_id(&id)?;
    let value = json_body(&headers, body, FEATURE)?;
    let draft = checked(&value)?;
    let existing = state.store.asset(id).await?;
    may_change(&state, &caller, id).await?;
    store_replacement(&state, &caller, draft, &existing).await
}

/// Commits the new version of an existing asset, then indexes it. An
/// organization's change to a published listing is held for review while the
/// published version stays public (202 Accepted).
async fn store_replacement(
    state: &AppState,
    caller: &Caller,
    draft: Draft,
    existing: &Asset,
) -> Result<Response, ApiError> {
    let by = Some(caller.0.id);
    let old = feature_value(existing);
    if caller.0.role.publishes() {
        let asset = asset_from(draft, existing.id, existing.created_at, Status::Approved);
        state.store.replace_asset(&asset).await?;
        state
            .store
            .record(
                asset.id,
                by,
                "updated",
                &diff(Some(&old), &feature_value(&asset)),
            )
            .await?;
        state.index.upsert_asset(&asset);
        return Ok(feature_response(StatusCode::OK, &asset, None));
    }
    if existing.status == Status::Approved {
        let proposed = feature_value(&asset_from(
            draft,
            existing.id,
            existing.created_at,
            Status::Pending,
        ));
        state
            .store
            .put_revision(existing.id, caller.0.id, &proposed)
            .await?;
        state
            .store
            .record(
                existing.id,
                by,
                "revision submitted",
                &diff(Some(&old), &proposed),
            )
            .await?;
        let body = serde_json::to_vec(&proposed).unwrap_or_default();
        return Ok((
            StatusCode::ACCEPTED,
            [(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))],
            body,
        )
            .into_response());
    }
    let asset = asset_from(draft, existing.id, existing.created_at, Status::Pending);
    state.store.replace_asset(&asset).await?;
    state
        .store
        .record(
            asset.id,
            by,
            "updated",
            &diff(Some(&old), &feature_value(&asset)),
        )
        .await?;
    Ok(feature_response(StatusCode::OK, &asset, None))
}

async fn modify(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    writable(&collection)?;
    let id = parse_id(&id)?;
    let patch = json_body(&headers, body, MERGE_PATCH)?;
    let existing = state.store.asset(id).await?;
    may_change(&state, &caller, id).await?;
    // The patch applies to the Feature as the API shows it.
    let mut current: Value = serde_json::from_slice(&encode::asset_feature(&existing).bytes)
        .map_err(|e| ApiError::Internal(e.into()))?;
    validate::merge_patch(&mut current, &patch);
    store_replacement(&state, &caller, checked(&current)?, &existing).await
}

async fn remove(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    caller: Caller,
) -> Result<Response, ApiError> {
    writable(&collection)?;
    let id = parse_id(&id)?;
    let existing = state.store.asset(id).await?;
    may_change(&state, &caller, id).await?;
    state.store.delete_asset(id).await?;
    state
        .store
        .record(
            id,
            Some(caller.0.id),
            "deleted",
            &diff(Some(&feature_value(&existing)), &Value::Null),
        )
        .await?;
    state.index.remove_asset(id);
    Ok(StatusCode::NO_CONTENT.into_response())
}
