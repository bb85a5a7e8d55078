//! GeoJSON responses: the media type, finished bytes as a response, and one
//! asset's Feature with its status and `Location`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::Asset;
use crate::encode;

/// The media type of every GeoJSON response (RFC 7946).
pub const GEOJSON: &str = "application/geo+json";

/// A GeoJSON response from finished bytes.
pub fn geojson(bytes: Vec<u8>) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))],
        bytes,
    )
        .into_response()
}

/// The `ETag` of an asset's version (send it back as `If-Match`).
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The version an `If-Match` header names: `None` when there is none (or
/// `*`, any version); a 400 naming the header when it is not an ETag we gave.
pub fn if_match(headers: &axum::http::HeaderMap) -> Result<Option<i64>, super::error::ApiError> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = raw.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            super::error::ApiError::Invalid(vec![super::error::FieldError {
                name: "If-Match".into(),
                location: super::error::Location::Header,
                detail: "send the ETag the asset was read with, e.g. \"3\"".into(),
            }])
        })
}

/// An asset's Feature with a status, its `ETag` and, for a new one, its `Location`.
pub fn feature_response(status: StatusCode, asset: &Asset, location: Option<String>) -> Response {
    let mut r = (
        status,
        geojson(encode::asset_feature(asset).bytes.into_vec()),
    )
        .into_response();
    r.headers_mut().insert(header::ETAG, etag(asset.version));
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(header::LOCATION, l);
    }
    r
}
