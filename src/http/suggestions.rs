//! `POST /suggestions`: a family tells us of a missing asset, without a token.
//! Answered 202; the suggestion waits in the review queue and is never public
//! until approved. Limited per client address like sign-ups; a filled honeypot
//! field is dropped without a word.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use super::AppState;
use super::body::{FEATURE, MAX_BODY, json_body};
use super::error::ApiError;
use super::limit::ClientAddr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/suggestions", post(suggest))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
}

async fn suggest(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if let Err(wait) = state.suggestions.check(client) {
        return Err(ApiError::TooManyRequests(wait.as_secs().max(1)));
    }
    let value = json_body(&headers, body, FEATURE)?;
    // A bot's suggestion is answered like anyone's, and kept nowhere.
    state.service().suggest(&value).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "received",
            "note": "Thank you. A reviewer will check it before it appears on the map.",
        })),
    )
        .into_response())
}
