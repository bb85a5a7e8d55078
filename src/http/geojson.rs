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

/// An asset's Feature with a status and, for a new one, its `Location`.
pub fn feature_response(status: StatusCode, asset: &Asset, location: Option<String>) -> Response {
    let mut r = (
        status,
        geojson(encode::asset_feature(asset).bytes.into_vec()),
    )
        .into_response();
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(header::LOCATION, l);
    }
    r
}
