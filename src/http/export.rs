//! `/export/assets.{geojson,geojsonl,csv}`: every asset a filter matches, with no
//! page limit, streamed chunk by chunk with constant memory.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::ApiError;
use super::params::Params;
use crate::export::{Export, Format};

/// The filters an export takes: those of `/collections/assets/items` but paging.
pub const EXPORT_PARAMS: &[&str] = &[
    "bbox", "bbox-crs", "category", "school", "year", "near", "radius", "q",
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/export/{file}", get(export))
}

async fn export(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if file == "hsds.json" {
        Params::parse(raw.as_deref(), &[])?;
        // Every approved asset as HSDS 3.0 services (organization, location and
        // service_at_location nested), read from the store.
        let assets = state
            .store
            .assets_with_status(crate::domain::Status::Approved)
            .await?;
        let body = serde_json::to_vec(&crate::hsds::to_json(&assets))
            .map_err(|e| ApiError::Internal(e.into()))?;
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"hsds.json\""),
                ),
            ],
            body,
        )
            .into_response());
    }
    let format = match file.strip_prefix("assets.").and_then(Format::from_name) {
        Some(f) => f,
        None => {
            return Err(ApiError::NotFound(format!(
                "no export {file:?}: use assets.geojson, assets.geojsonl or assets.csv"
            )));
        }
    };
    let params = Params::parse(raw.as_deref(), EXPORT_PARAMS)?;
    let mut errors = Vec::new();
    let q = params.asset_query(&mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let export = Export::new(&state.index, &q, format)?;
    let stream = futures_util::stream::unfold(export, |mut e| async move {
        // Each chunk is a little CPU work; let other requests in between.
        tokio::task::yield_now().await;
        e.next_chunk()
            .map(|c| (Ok::<_, std::io::Error>(Bytes::from(c)), e))
    });
    let disposition = format!("attachment; filename=\"{file}\"");
    let mut r = Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
