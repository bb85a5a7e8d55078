//! Bearer-token authentication: who is calling, as an extractor.
//! Tokens are compared by their SHA-256 only and never logged.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::domain::User;
use crate::domain::user::token_hash;

/// The authenticated caller of a write endpoint.
pub struct Caller(pub User);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let user = state
            .store
            .user_by_token_hash(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        // Organizations' writes are limited per client address, like sign-ups.
        if user.role == crate::domain::Role::Organization && parts.method != axum::http::Method::GET
        {
            let client = super::limit::client_addr(
                &parts.extensions,
                &parts.headers,
                &state.trusted_proxies,
            );
            if let Err(wait) = state.submissions.check(client) {
                return Err(ApiError::TooManyRequests(wait.as_secs().max(1)));
            }
        }
        Ok(Caller(user))
    }
}

/// `Option<Caller>`: nobody when no `Authorization` header is sent; a header
/// with a token that is not valid is still refused (401).
impl axum::extract::OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            <Caller as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    }
}
