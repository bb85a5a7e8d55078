//! Request bodies: the size limit, and reading a JSON body of an accepted media
//! type into a value, or a problem naming `body`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};

use super::error::{ApiError, FieldError, Location};

/// Largest body accepted, in bytes.
pub const MAX_BODY: usize = 1 << 20;

/// The media types a Feature is sent as.
pub const FEATURE: &[&str] = &["application/geo+json", "application/json"];
/// The media types a merge patch is sent as.
pub const MERGE_PATCH: &[&str] = &[
    "application/merge-patch+json",
    "application/json",
    "application/geo+json",
];
/// Plain JSON.
pub const JSON: &[&str] = &["application/json"];

/// The body as JSON, or a problem naming `body`.
pub fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    accept: &[&str],
) -> Result<serde_json::Value, ApiError> {
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
