//! `/export/assets.{geojson,geojsonl,csv}`: every asset a filter matches, with no
//! page limit, and `/export/hsds.json`: every approved asset as HSDS; both
//! streamed chunk by chunk with constant memory.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;

use uuid::Uuid;

use super::error::ApiError;
use super::params::Params;
use super::{AppState, stream};
use crate::export::{Export, Format};

/// The filters an export takes: those of `/collections/assets/items` but paging.
pub const EXPORT_PARAMS: &[&str] = &[
    "bbox",
    "bbox-crs",
    "category",
    "school",
    "year",
    "near",
    "radius",
    "q",
    "open",
    "language",
    "filter",
    "filter-lang",
    "filter-crs",
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
        return Ok(stream::attachment(
            hsds_body(state).await?,
            "application/json",
            "hsds.json",
        ));
    }
    let format = match file.strip_prefix("assets.").and_then(Format::from_name) {
        Some(f) => f,
        None => {
            return Err(ApiError::NotFound(format!(
                "no export {file:?}: use assets.geojson, assets.geojsonl or assets.csv"
            )));
        }
    };
    let mut params = Params::parse(raw.as_deref(), EXPORT_PARAMS)?;
    let mut errors = Vec::new();
    params.read_bbox_crs(&state.crs, &mut errors);
    params.read_filter(&state.crs, crate::filter::ASSET_QUERYABLES, &mut errors);
    let q = params.asset_query(&mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    // Finding every match can walk the whole tree: off the async workers.
    let index = state.index.clone();
    let export = tokio::task::spawn_blocking(move || Export::new(&index, &q, format))
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(stream::attachment(
        stream::blocking_body(export),
        format.content_type(),
        &file,
    ))
}

/// Approved assets per page of the store's reading, as HSDS 3.0 services.
const HSDS_PAGE: i64 = 500;

/// Every approved asset as HSDS 3.0 JSON (an array of services in the
/// `service_full` shape), read from the store a page at a time by id and
/// written as it is read: memory stays at about one page whatever the size.
/// The first page is read before answering, so a store that is down gives a
/// 503; a read that fails later breaks the transfer instead of ending the
/// array early.
async fn hsds_body(state: AppState) -> Result<Body, ApiError> {
    struct Reading {
        state: AppState,
        page: Vec<crate::domain::Asset>,
        /// Where the next page starts; `None` after the last.
        after: Option<Uuid>,
        first: bool,
    }
    let (page, after) = state.store.approved_page(Uuid::nil(), HSDS_PAGE).await?;
    let start = Some(Reading {
        state,
        page,
        after,
        first: true,
    });
    let stream = futures_util::stream::unfold(start, |reading| async move {
        let mut r = reading?;
        let mut out = Vec::new();
        if r.first {
            out.push(b'[');
        }
        for a in &r.page {
            if !r.first {
                out.extend_from_slice(b",\n");
            }
            r.first = false;
            if serde_json::to_writer(&mut out, &crate::hsds::service_json(a)).is_err() {
                return Some((Err(std::io::Error::other("HSDS encoding failed")), None));
            }
        }
        let Some(after) = r.after else {
            out.extend_from_slice(b"]\n");
            return Some((Ok(Bytes::from(out)), None));
        };
        match r.state.store.approved_page(after, HSDS_PAGE).await {
            Ok((page, next)) => {
                r.page = page;
                r.after = next;
                Some((Ok(Bytes::from(out)), Some(r)))
            }
            Err(e) => {
                tracing::error!(error = %e, "the HSDS export failed part way");
                Some((
                    Err(std::io::Error::other("the export failed part way")),
                    None,
                ))
            }
        }
    });
    Ok(Body::from_stream(stream))
}
