//! Feature routes: `/collections/{id}/items` and `/collections/{id}/items/{featureId}`.
//!
//! The hot path: parameters are checked, the index writes the prebuilt bytes of
//! the page's features straight into one buffer, and the buffer is the body.

use std::io::Write;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use uuid::Uuid;

use super::error::ApiError;
use super::geojson::geojson;
use super::params::{AREA_MAX_LIMIT, MAX_LIMIT, Params};
use super::{AppState, BaseUrl};
use crate::crs::ServedCrs;
use crate::domain::SchoolRef;
use crate::index::PageCounts;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/collections/{collection}/items", get(items))
        .route("/collections/{collection}/items/{id}", get(item))
}

/// The collections served, with their allowed item parameters.
pub const ASSET_PARAMS: &[&str] = &[
    "f",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
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
pub const SCHOOL_PARAMS: &[&str] = &[
    "f",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "filter",
    "filter-lang",
    "filter-crs",
];
pub const CATCHMENT_PARAMS: &[&str] = &[
    "f",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "school",
    "year",
    "filter",
    "filter-lang",
    "filter-crs",
];

/// `Content-Crs` (OGC API – Features Part 2): the system of the answer's
/// coordinates, `<URI>`.
const CONTENT_CRS: axum::http::HeaderName = axum::http::HeaderName::from_static("content-crs");

fn content_crs(crs: Option<&ServedCrs>) -> axum::http::HeaderValue {
    const CRS84: &str = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>";
    match crs {
        // The common answer: a static value, nothing built per request.
        None => axum::http::HeaderValue::from_static(CRS84),
        Some(c) => axum::http::HeaderValue::from_str(&format!("<{}>", c.uri()))
            .unwrap_or_else(|_| axum::http::HeaderValue::from_static(CRS84)),
    }
}

/// Pages reaching deeper than this many entries are cut on a blocking thread.
const BLOCKING_WALK: usize = 20_000;

fn json_str(out: &mut Vec<u8>, s: &str) {
    json_str_of(out, &[s]);
}

/// Writes the concatenation of `parts` as one JSON string, escaped, without
/// building it first.
fn json_str_of(out: &mut Vec<u8>, parts: &[&str]) {
    out.push(b'"');
    for p in parts {
        // Links rarely hold anything to escape: copied whole then.
        if !p.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            out.extend_from_slice(p.as_bytes());
            continue;
        }
        let mut start = 0;
        for (i, &b) in p.as_bytes().iter().enumerate() {
            let esc: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0..=0x1f => b"",
                _ => continue,
            };
            out.extend_from_slice(&p.as_bytes()[start..i]);
            if esc.is_empty() {
                let _ = write!(out, "\\u{b:04x}");
            } else {
                out.extend_from_slice(esc);
            }
            start = i + 1;
        }
        out.extend_from_slice(&p.as_bytes()[start..]);
    }
    out.push(b'"');
}

/// Closes a FeatureCollection: counts, time stamp and paging links.
fn finish_collection(
    out: &mut Vec<u8>,
    counts: PageCounts,
    base: &str,
    path: &str,
    params: &Params,
    offset: usize,
    limit: usize,
) {
    let _ = write!(
        out,
        "],\"numberMatched\":{},\"numberReturned\":{},\"timeStamp\":",
        counts.matched, counts.returned
    );
    json_str(
        out,
        &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    out.extend_from_slice(b",\"links\":[");
    let link = |out: &mut Vec<u8>, rel: &str, off: usize, first: bool| {
        if !first {
            out.push(b',');
        }
        let qs = params.with_offset(off);
        let href = if qs.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{qs}")
        };
        out.extend_from_slice(b"{\"rel\":");
        json_str(out, rel);
        out.extend_from_slice(b",\"type\":\"application/geo+json\",\"href\":");
        json_str(out, &href);
        out.push(b'}');
    };
    link(out, "self", offset, true);
    if offset.saturating_add(counts.returned) < counts.matched {
        link(out, "next", offset + counts.returned, false);
    }
    if offset > 0 {
        link(out, "prev", offset.saturating_sub(limit), false);
    }
    out.extend_from_slice(b"]}");
}

async fn items(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    RawQuery(raw): RawQuery,
    BaseUrl(base): BaseUrl,
) -> Result<Response, ApiError> {
    let allowed = match collection.as_str() {
        "assets" => ASSET_PARAMS,
        "schools" => SCHOOL_PARAMS,
        "catchments" => CATCHMENT_PARAMS,
        _ => return Err(ApiError::NotFound(format!("no collection {collection:?}"))),
    };
    let mut params = Params::parse(raw.as_deref(), allowed)?;
    let mut errors = Vec::new();
    params.check_format(&mut errors);
    params.read_bbox_crs(&state.crs, &mut errors);
    let crs = params.crs(&state.crs, &mut errors).cloned();
    let content_crs = content_crs(crs.as_ref());
    // One school's area may come whole in one answer.
    let area = collection == "assets" && params.get("school").is_some();
    let cap = if area { AREA_MAX_LIMIT } else { MAX_LIMIT };
    let (limit, offset) = params.paging_up_to(cap, &mut errors);
    let path = format!("/collections/{collection}/items");
    // The index grows the buffer once, to the size of the features it writes.
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[");
    let counts = match collection.as_str() {
        "assets" => {
            params.read_filter(&state.crs, crate::filter::ASSET_QUERYABLES, &mut errors);
            let q = params.asset_query(&mut errors);
            if !errors.is_empty() {
                return Err(ApiError::Invalid(errors));
            }
            if limit > MAX_LIMIT {
                let links = Links { base, path, params };
                let mut r = streamed_area(&state, &q, (offset, limit), links, crs)?;
                r.headers_mut().insert(CONTENT_CRS, content_crs);
                return Ok(r);
            }
            if offset + limit > BLOCKING_WALK {
                // A deep page walks many entries: off the async workers, so
                // that it never holds up other requests.
                let index = state.index.clone();
                let (buf, counts) = tokio::task::spawn_blocking(move || {
                    let counts = index.write_assets(&q, offset, limit, &mut out, crs.as_ref());
                    (out, counts)
                })
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
                out = buf;
                counts?
            } else {
                state
                    .index
                    .write_assets(&q, offset, limit, &mut out, crs.as_ref())?
            }
        }
        "schools" => {
            params.read_filter(&state.crs, crate::filter::SCHOOL_QUERYABLES, &mut errors);
            let bbox = params.bbox(&mut errors);
            if !errors.is_empty() {
                return Err(ApiError::Invalid(errors));
            }
            state.index.write_schools(
                bbox,
                params.filter().map(|f| &**f),
                offset,
                limit,
                &mut out,
                crs.as_ref(),
            )
        }
        _ => {
            params.read_filter(&state.crs, crate::filter::CATCHMENT_QUERYABLES, &mut errors);
            let bbox = params.bbox(&mut errors);
            let year = params.year(&mut errors);
            let school = params.school(&mut errors);
            if !errors.is_empty() {
                return Err(ApiError::Invalid(errors));
            }
            state.index.write_catchments(
                crate::index::CatchmentFilter {
                    bbox,
                    school: school.as_ref(),
                    year: year.as_ref(),
                    filter: params.filter().map(|f| &**f),
                },
                offset,
                limit,
                &mut out,
                crs.as_ref(),
            )?
        }
    };
    finish_collection(&mut out, counts, &base, &path, &params, offset, limit);
    let mut r = geojson(out);
    r.headers_mut().insert(CONTENT_CRS, content_crs);
    Ok(r)
}

/// What the paging links of an answer are made of.
struct Links {
    base: String,
    path: String,
    params: Params,
}

/// Features written per step of a streamed answer (under one read lock).
const STREAM_STEP: usize = 512;

/// A whole area's assets as one FeatureCollection, streamed: the matching ids
/// are taken once; each step writes the prebuilt bytes of a few hundred of
/// them under a short read lock, so the body is never built whole in memory
/// and writers wait no longer than a step. An asset removed meanwhile is left
/// out and `numberReturned` counts what was written.
fn streamed_area(
    state: &AppState,
    q: &crate::index::AssetQuery,
    (offset, limit): (usize, usize),
    Links { base, path, params }: Links,
    crs: Option<ServedCrs>,
) -> Result<Response, ApiError> {
    let (ids, distances) = state.index.all_ids(q)?;
    let matched = ids.len();
    let end = offset.saturating_add(limit).min(matched);
    let start = offset.min(end);
    let index = state.index.clone();
    let mut at = start;
    let mut written = 0usize;
    let mut head = true;
    let mut done = false;
    let pieces = std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut out = Vec::with_capacity(64 * 1024);
        if head {
            head = false;
            out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[");
            return Some(out);
        }
        if at < end {
            let step = (at + STREAM_STEP).min(end);
            let d = if distances.is_empty() {
                &[][..]
            } else {
                &distances[at..step]
            };
            let mut now = crate::encode::Now::default();
            let mut geometry = Vec::new();
            index.for_each_feature(&ids[at..step], d, |f, dist, g| {
                if written > 0 {
                    out.push(b',');
                }
                match &crs {
                    None => f.write_at(&mut out, dist, &mut now),
                    Some(crs) => {
                        geometry.clear();
                        crate::encode::write_geometry_in(&mut geometry, g, crs);
                        f.write_with_geometry(&mut out, dist, &mut now, &geometry);
                    }
                }
                written += 1;
            });
            at = step;
            return Some(out);
        }
        done = true;
        let counts = PageCounts {
            matched,
            returned: written,
        };
        finish_collection(&mut out, counts, &base, &path, &params, offset, limit);
        Some(out)
    });
    Ok(super::stream::typed(
        super::stream::blocking_body(pieces),
        super::geojson::GEOJSON,
    ))
}

async fn item(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    BaseUrl(base): BaseUrl,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref(), &["f", "crs"])?;
    let mut errors = Vec::new();
    params.check_format(&mut errors);
    let crs = params.crs(&state.crs, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let missing = || ApiError::NotFound(format!("no feature {id:?} in collection {collection:?}"));
    let mut out = Vec::with_capacity(2048);
    let mut version = None;
    let found = match collection.as_str() {
        "assets" => {
            version = Uuid::parse_str(&id)
                .ok()
                .and_then(|u| state.index.write_asset(u, &mut out, crs));
            version.is_some()
        }
        "schools" => {
            SchoolRef::parse(&id).is_ok_and(|s| state.index.write_school(&s, &mut out, crs))
        }
        "catchments" => {
            Uuid::parse_str(&id).is_ok_and(|u| state.index.write_catchment(u, &mut out, crs))
        }
        _ => return Err(ApiError::NotFound(format!("no collection {collection:?}"))),
    };
    if !found {
        return Err(missing());
    }
    // Add the links a Feature response carries, inside the Feature object.
    if out.last() == Some(&b'}') {
        out.pop();
        out.extend_from_slice(
            b",\"links\":[{\"rel\":\"self\",\"type\":\"application/geo+json\",\"href\":",
        );
        json_str_of(
            &mut out,
            &[&base, "/collections/", &collection, "/items/", &id],
        );
        out.extend_from_slice(b"},{\"rel\":\"collection\",\"type\":\"application/json\",\"href\":");
        json_str_of(&mut out, &[&base, "/collections/", &collection]);
        out.extend_from_slice(b"}]}");
    }
    let mut r = geojson(out);
    r.headers_mut().insert(CONTENT_CRS, content_crs(crs));
    if let Some(v) = version {
        r.headers_mut()
            .insert(axum::http::header::ETAG, super::geojson::etag(v));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::json_str_of;

    /// The hand-written escaping gives what serde_json gives.
    #[test]
    fn json_strings_match_serde_json() {
        for parts in [
            vec!["http://h", "/collections/", "assets"],
            vec!["quote \" back \\ slash", "\n\r\t", "\u{1}\u{1f}\u{7f}"],
            vec!["école ", "学校", " 🚸", ""],
            vec![],
        ] {
            let mut out = Vec::new();
            json_str_of(&mut out, &parts);
            let want = serde_json::to_string(&parts.concat()).expect("json");
            assert_eq!(String::from_utf8(out).expect("utf8"), want, "{parts:?}");
        }
    }
}
