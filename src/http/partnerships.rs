//! A school's partnerships: `GET|POST /schools/{id}/partnerships`,
//! `GET|PATCH|DELETE /schools/{id}/partnerships/{partnership_id}`,
//! `POST …/{partnership_id}/log` (school staff of that school, editors, admins),
//! and `GET /schools/{id}/partners`: the partners a school made public (name
//! and what they provide only), for the public map.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::auth::Caller;
use super::body::{JSON, MAX_BODY, MERGE_PATCH, json_body};
use super::error::ApiError;
use super::params::Params;
use crate::domain::sphere::distance_m;
use crate::domain::{Partnership, PartnershipStatus, School, SchoolRef};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/schools/{id}/partnerships", get(list).post(create))
        .route(
            "/schools/{id}/partnerships/{partnership_id}",
            get(one).patch(modify).delete(remove),
        )
        .route("/schools/{id}/partnerships/{partnership_id}/log", post(log))
        .route("/schools/{id}/partners", get(public_partners))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
}

/// The school a path names (its API id or the district's id).
pub fn school_in_path(state: &AppState, id: &str) -> Result<School, ApiError> {
    let r = SchoolRef::parse(id).map_err(|_| ApiError::no_school(id))?;
    state.index.school(&r).map_err(ApiError::school_in_path)
}

fn partnership_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::NotFound(format!("no partnership {id:?}")))
}

/// Partnerships as the API shows them: each with its asset in brief (name,
/// category, location) and its distance from the campus.
fn with_assets(state: &AppState, school: &School, list: &[Partnership]) -> Vec<Value> {
    let ids: Vec<Uuid> = list.iter().map(|p| p.asset_id).collect();
    let briefs = state.index.briefs(&ids);
    list.iter()
        .map(|p| {
            let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
            v["asset"] = match briefs.iter().find(|b| b.id == p.asset_id) {
                Some(b) => json!({
                    "id": b.id,
                    "name": b.name,
                    "category": b.category,
                    "coordinates": [b.lon, b.lat],
                    "distance_m": (distance_m(school.location.lon(), school.location.lat(), b.lon, b.lat) * 10.0).round() / 10.0,
                }),
                // The asset is no longer published (pending a change, rejected).
                None => json!({"id": p.asset_id, "name": null}),
            };
            v
        })
        .collect()
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(raw.as_deref(), &["f"])?;
    let school = school_in_path(&state, &id)?;
    let list = state.service().partnerships(&caller.0, school.id).await?;
    Ok(Json(json!({
        "school": {"id": school.id, "external_id": school.external_id, "name": school.name},
        "partnerships": with_assets(&state, &school, &list),
    })))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let school = school_in_path(&state, &id)?;
    let value = json_body(&headers, body, JSON)?;
    let p = state
        .service()
        .create_partnership(&caller.0, school.id, &value)
        .await?;
    let location = format!(
        "{}/schools/{}/partnerships/{}",
        state.base_url(&headers),
        school.id,
        p.id
    );
    let body = with_assets(&state, &school, std::slice::from_ref(&p));
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        Json(body.into_iter().next().unwrap_or(Value::Null)),
    )
        .into_response())
}

async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let school = school_in_path(&state, &id)?;
    let pid = partnership_id(&pid)?;
    let (p, history) = state
        .service()
        .partnership(&caller.0, school.id, pid)
        .await?;
    let mut v = with_assets(&state, &school, std::slice::from_ref(&p))
        .pop()
        .unwrap_or(Value::Null);
    v["history"] = serde_json::to_value(history).unwrap_or(Value::Null);
    Ok(Json(v))
}

async fn modify(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, pid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let school = school_in_path(&state, &id)?;
    let pid = partnership_id(&pid)?;
    let patch = json_body(&headers, body, MERGE_PATCH)?;
    let p = state
        .service()
        .patch_partnership(&caller.0, school.id, pid, &patch)
        .await?;
    Ok(Json(
        with_assets(&state, &school, std::slice::from_ref(&p))
            .pop()
            .unwrap_or(Value::Null),
    ))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let school = school_in_path(&state, &id)?;
    let pid = partnership_id(&pid)?;
    state
        .service()
        .delete_partnership(&caller.0, school.id, pid)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn log(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, pid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let school = school_in_path(&state, &id)?;
    let pid = partnership_id(&pid)?;
    let value = json_body(&headers, body, JSON)?;
    let entry = state
        .service()
        .log_contact(&caller.0, school.id, pid, &value)
        .await?;
    Ok((StatusCode::CREATED, Json(entry)).into_response())
}

/// The partners a school made public: for anyone, name and what they provide.
async fn public_partners(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(raw.as_deref(), &["f"])?;
    let school = school_in_path(&state, &id)?;
    let list: Vec<Partnership> = state
        .store
        .partnerships(Some(school.id))
        .await?
        .into_iter()
        .filter(|p| p.fields.public && p.fields.status == PartnershipStatus::Active)
        .collect();
    let briefs = state
        .index
        .briefs(&list.iter().map(|p| p.asset_id).collect::<Vec<_>>());
    let partners: Vec<Value> = list
        .iter()
        .filter_map(|p| {
            let b = briefs.iter().find(|b| b.id == p.asset_id)?;
            Some(json!({
                "asset_id": b.id,
                "name": b.name,
                "category": b.category,
                "provides": p.fields.provides,
                "pillars": p.fields.pillars,
            }))
        })
        .collect();
    Ok(Json(json!({
        "school": {"id": school.id, "external_id": school.external_id, "name": school.name},
        "partners": partners,
    })))
}
