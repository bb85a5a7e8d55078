//! `/healthz` (the process answers) and `/readyz` (the database answers too;
//! "degraded" when stored rows were skipped because they do not decode).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "assets": state.index.len()}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => {
            let skipped = state.store.skipped();
            if skipped.is_empty() {
                Json(json!({"status": "ready"})).into_response()
            } else {
                // Still serving everything else: ready, and saying what is left out.
                Json(json!({
                    "status": "degraded",
                    "detail": "some stored rows do not decode and are left out until they are fixed",
                    "skipped": skipped,
                }))
                .into_response()
            }
        }
        Err(e) => {
            tracing::warn!(error = %crate::http::error::chain(&e), "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::RETRY_AFTER, "5")],
                Json(json!({"status": "not ready", "detail": "the database is not reachable"})),
            )
                .into_response()
        }
    }
}
