//! The review queue: what organizations submitted and families suggested, with a field-by-field diff
//! and possible duplicates; approve or reject (with a reason the organization
//! can read in the listing's history); and every listing's history.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, FieldError, Location};
use super::write::parse_id;
use crate::domain::Status;
use crate::index::AssetQuery;
use crate::service::{Approved, diff, feature_value, is_deletion, suggestion_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/review", get(queue))
        .route("/review/{id}/approve", post(approve))
        .route("/review/{id}/reject", post(reject))
        .route("/collections/{collection}/items/{id}/history", get(history))
}

fn reviewer(caller: &Caller) -> Result<(), ApiError> {
    if caller.0.role.publishes() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("only editors and admins review".into()))
    }
}

/// Words of a name, for comparing names loosely.
fn words(name: &str) -> Vec<String> {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1)
        .map(str::to_owned)
        .collect()
}

/// Whether two names are alike: one holds the other, or they share most words.
pub fn similar(a: &str, b: &str) -> bool {
    let (la, lb) = (a.to_lowercase(), b.to_lowercase());
    if la.contains(&lb) || lb.contains(&la) {
        return true;
    }
    let (wa, wb) = (words(a), words(b));
    let shared = wa.iter().filter(|w| wb.contains(w)).count();
    let most = wa.len().max(wb.len());
    most > 0 && shared * 2 >= most
}

/// Published assets within 100 m of a proposed Feature with a similar name.
async fn duplicates(
    state: &AppState,
    proposed: &Value,
    itself: Uuid,
) -> Result<Vec<Value>, ApiError> {
    let c = &proposed["geometry"]["coordinates"];
    let (Some(lon), Some(lat)) = (c[0].as_f64(), c[1].as_f64()) else {
        return Ok(Vec::new());
    };
    let name = proposed["properties"]["name"].as_str().unwrap_or_default();
    let q = AssetQuery {
        near: Some((lon, lat)),
        radius_m: Some(100.0),
        ..Default::default()
    };
    let (_, near) = state.index.query_ids(&q, 0, 200)?;
    let ids: Vec<Uuid> = near
        .iter()
        .map(|n| n.0)
        .filter(|id| *id != itself)
        .collect();
    let found = state.store.assets_by_ids(&ids).await?;
    Ok(near
        .iter()
        .filter_map(|(id, d)| found.iter().find(|a| a.id == *id).map(|a| (a, d)))
        .filter(|(a, _)| similar(&a.fields.name, name))
        .map(|(a, d)| json!({"id": a.id, "name": a.fields.name, "distance_m": d.map(|d| (d * 10.0).round() / 10.0)}))
        .collect())
}

async fn queue(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    reviewer(&caller)?;
    let mut items = Vec::new();
    for a in state.store.assets_with_status(Status::Pending).await? {
        let proposed = feature_value(&a);
        // A family's suggestion: how they know it and who to ask back.
        let suggestion = suggestion_of(&state.store.history(a.id).await?);
        items.push(json!({
            "asset_id": a.id,
            "version": a.version,
            "kind": if suggestion.is_some() { "family suggestion" } else { "new listing" },
            "suggestion": suggestion,
            "submitted_by": state.store.owner_of(a.id).await?,
            "submitted_at": a.updated_at,
            "current": Value::Null,
            "proposed": proposed,
            "diff": diff(None, &proposed),
            "possible_duplicates": duplicates(&state, &proposed, a.id).await?,
        }));
    }
    for r in state.store.revisions().await? {
        let stored = state.store.asset(r.asset).await.ok();
        let current = stored.as_ref().map(feature_value);
        items.push(json!({
            "asset_id": r.asset,
            "version": stored.as_ref().map(|a| a.version),
            "kind": if is_deletion(&r.feature) { "request to delete a published listing" } else { "change to a published listing" },
            "submitted_by": r.by,
            "submitted_at": r.at,
            "diff": diff(current.as_ref(), &r.feature),
            "possible_duplicates": duplicates(&state, &r.feature, r.asset).await?,
            "current": current,
            "proposed": r.feature,
        }));
    }
    Ok(Json(json!({ "items": items })))
}

/// The version a reviewer saw (`{"version": N}` in the body, optional): the
/// approval or rejection stands only if the listing is still at it.
fn seen_version(body: &Bytes) -> Result<Option<i64>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let bad = || {
        ApiError::Invalid(vec![FieldError {
            name: "version".into(),
            location: Location::Body,
            detail: "the version the review queue showed, a whole number".into(),
        }])
    };
    let v: Value = serde_json::from_slice(body).map_err(|_| bad())?;
    match v.get("version") {
        None | Some(Value::Null) => Ok(None),
        Some(n) => n.as_i64().map(Some).ok_or_else(bad),
    }
}

async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    reviewer(&caller)?;
    let id = parse_id(&id)?;
    let seen = seen_version(&body)?;
    Ok(match state.service().approve(&caller.0, id, seen).await? {
        Approved::Published(a) => (StatusCode::OK, Json(feature_value(&a))).into_response(),
        Approved::Deleted => StatusCode::NO_CONTENT.into_response(),
    })
}

async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    // A caller who may not review hears so before hearing about the reason.
    reviewer(&caller)?;
    let id = parse_id(&id)?;
    let reason = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["reason"].as_str().map(|s| s.trim().to_owned()))
        .filter(|r| !r.is_empty() && r.chars().count() <= 2000)
        .ok_or_else(|| {
            ApiError::Invalid(vec![FieldError {
                name: "reason".into(),
                location: Location::Body,
                detail: "a reason of 1 to 2000 characters is required".into(),
            }])
        })?;
    let seen = seen_version(&body)?;
    state.service().reject(&caller.0, id, &reason, seen).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    if collection != "assets" {
        return Err(ApiError::NotFound(format!("no history for {collection:?}")));
    }
    let id = parse_id(&id)?;
    if !caller.0.role.publishes() && state.store.owner_of(id).await? != Some(caller.0.id) {
        return Err(ApiError::Forbidden(
            "the history of a listing is for editors and its owner".into(),
        ));
    }
    let entries = state.store.history(id).await?;
    if entries.is_empty() {
        return Err(ApiError::NotFound(format!("no history for asset {id}")));
    }
    Ok(Json(json!({ "asset_id": id, "history": entries })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_names() {
        assert!(similar(
            "Rainier Valley Food Bank",
            "Rainier Valley Food Bank"
        ));
        assert!(similar(
            "Rainier Valley Food Bank",
            "Food Bank of Rainier Valley"
        ));
        assert!(similar("Ballard Library", "Ballard Public Library"));
        assert!(!similar("Ballard Library", "Green Lake Park"));
    }
}
