//! Writing assets: `POST /collections/assets/items`, and `PUT`, `PATCH` (RFC 7396
//! JSON Merge Patch) and `DELETE` on `/collections/assets/items/{id}`.
//!
//! Thin handlers: read the body, call [`crate::service::Service`], which
//! validates, commits the change with its history entry and updates the index.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use uuid::Uuid;

use super::AppState;
use super::auth::Caller;
use super::body::{FEATURE, MAX_BODY, MERGE_PATCH, json_body};
use super::error::ApiError;
use super::geojson::{feature_response, if_match};
use crate::service::Written;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/collections/{collection}/items",
            post(create).options(options_items),
        )
        .route(
            "/collections/{collection}/items/{id}",
            patch(modify)
                .put(replace)
                .delete(remove)
                .options(options_item),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
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

/// `OPTIONS` on a collection's items: the methods of that collection (the
/// routes are shared, so the router alone would list the assets' writes for
/// every collection).
async fn options_items(Path(collection): Path<String>) -> Result<Response, ApiError> {
    allow(&collection, "GET,HEAD,POST,OPTIONS")
}

/// `OPTIONS` on one item: as [`options_items`].
async fn options_item(Path((collection, _)): Path<(String, String)>) -> Result<Response, ApiError> {
    allow(&collection, "GET,HEAD,PUT,PATCH,DELETE,OPTIONS")
}

fn allow(collection: &str, writable_methods: &'static str) -> Result<Response, ApiError> {
    let methods = match writable(collection) {
        Ok(()) => writable_methods,
        Err(ApiError::ReadOnly(_)) => "GET,HEAD,OPTIONS",
        Err(other) => return Err(other),
    };
    Ok((
        StatusCode::NO_CONTENT,
        [(
            axum::http::header::ALLOW,
            axum::http::HeaderValue::from_static(methods),
        )],
    )
        .into_response())
}

/// An asset id from a path; anything else names no asset (404).
pub fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::NotFound(format!("no asset {id:?}")))
}

/// A stored version is the Feature (200); a proposal held for review is the
/// proposed Feature (202 Accepted).
fn written(w: Written) -> Response {
    match w {
        Written::Stored(asset) => feature_response(StatusCode::OK, &asset, None),
        Written::Proposed(feature) => (
            StatusCode::ACCEPTED,
            super::geojson::geojson(serde_json::to_vec(&feature).unwrap_or_default()),
        )
            .into_response(),
    }
}

async fn create(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    caller: Result<Caller, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // The collection first: a write to a read-only one is 405 (with Allow)
    // whoever asks, not 401.
    writable(&collection)?;
    let caller = caller?;
    let value = json_body(&headers, body, FEATURE)?;
    let asset = state.service().create(&caller.0, &value).await?;
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
    caller: Result<Caller, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // The collection first: a write to a read-only one is 405 (with Allow)
    // whoever asks, not 401.
    writable(&collection)?;
    let caller = caller?;
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let value = json_body(&headers, body, FEATURE)?;
    Ok(written(
        state
            .service()
            .replace(&caller.0, id, &value, expected)
            .await?,
    ))
}

async fn modify(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    caller: Result<Caller, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // The collection first: a write to a read-only one is 405 (with Allow)
    // whoever asks, not 401.
    writable(&collection)?;
    let caller = caller?;
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let patch = json_body(&headers, body, MERGE_PATCH)?;
    Ok(written(
        state
            .service()
            .patch(&caller.0, id, &patch, expected)
            .await?,
    ))
}

async fn remove(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    caller: Result<Caller, ApiError>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // The collection first: a write to a read-only one is 405 (with Allow)
    // whoever asks, not 401.
    writable(&collection)?;
    let caller = caller?;
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    if state.service().delete(&caller.0, id, expected).await? {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    // An organization's published listing: the request waits for review.
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({
            "status": "awaiting review",
            "note": "The listing stays public until a reviewer approves its deletion.",
        })),
    )
        .into_response())
}
