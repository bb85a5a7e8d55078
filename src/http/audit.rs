//! `GET /audit`: the audit log for admins — who approved, rejected, edited or
//! deleted which asset, and who revoked or rotated whose token, and when.

use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, FieldError};
use super::params::Params;
use crate::domain::Role;

/// Most entries one answer holds.
const MAX_ENTRIES: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit))
}

async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    if caller.0.role != Role::Admin {
        return Err(ApiError::Forbidden("the audit log is for admins".into()));
    }
    let p = Params::parse(raw.as_deref(), &["limit"])?;
    let limit = match p.get("limit") {
        None => 200,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_ENTRIES).contains(&n) => n,
            _ => {
                return Err(ApiError::Invalid(vec![FieldError::query(
                    "limit",
                    format!("a whole number from 1 to {MAX_ENTRIES}"),
                )]));
            }
        },
    };
    let entries = state.store.audit(limit).await?;
    Ok(Json(json!({ "entries": entries })))
}
