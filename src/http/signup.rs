//! `POST /organizations`: a community organization signs up and receives its
//! token, once. Sign-ups are limited per client address.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use super::AppState;
use super::body::{JSON, MAX_BODY, json_body};
use super::error::ApiError;
use super::limit::ClientAddr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/organizations", post(sign_up))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
}

async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if let Err(wait) = state.signups.check(client) {
        return Err(ApiError::TooManyRequests(wait.as_secs().max(1)));
    }
    let value = json_body(&headers, body, JSON)?;
    let (user, token) = state.service().sign_up(&value).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "id": user.id,
            "name": user.name,
            "role": "organization",
            "token": token,
            "note": "Keep this token: it is shown only once. Send it as Authorization: Bearer <token>.",
        })),
    )
        .into_response())
}
