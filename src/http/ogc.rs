//! OGC API – Features Part 1 Core: landing page, conformance, collections.

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, FieldError};
use super::params::{CRS84, Params};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conformance", get(conformance))
        .route("/collections", get(collections))
        .route("/collections/{collection}", get(collection))
        .route("/collections/{collection}/queryables", get(queryables))
}

/// The conformance classes implemented.
pub const CONFORMS_TO: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
];

/// (id, title, description) of each collection.
pub const COLLECTIONS: &[(&str, &str, &str)] = &[
    (
        "assets",
        "Community assets",
        "Clinics, food banks, libraries, parks, after-school programs, community centres and other assets near schools. Filter with category, school, near/radius, q and bbox.",
    ),
    (
        "schools",
        "Schools",
        "School sites, with the school years of their attendance areas.",
    ),
    (
        "catchments",
        "Attendance areas",
        "School attendance areas (catchments) by school year, as MultiPolygons.",
    ),
];

fn json_only(raw: Option<&str>) -> Result<(), ApiError> {
    let p = Params::parse(raw, &["f"])?;
    let mut errors: Vec<FieldError> = Vec::new();
    p.check_format(&mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// The landing page as JSON.
pub fn landing(base: &str) -> Value {
    json!({
        "title": "assetmap",
        "description": "Community asset maps for schools: OGC API – Features over schools, attendance areas and community assets.",
        "links": [
            {"rel": "self", "type": "application/json", "title": "This document", "href": format!("{base}/?f=json")},
            {"rel": "alternate", "type": "text/html", "title": "The map", "href": format!("{base}/")},
            {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "The API definition", "href": format!("{base}/api")},
            {"rel": "conformance", "type": "application/json", "title": "Conformance classes", "href": format!("{base}/conformance")},
            {"rel": "data", "type": "application/json", "title": "Collections", "href": format!("{base}/collections")},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/conformance", "type": "application/json", "href": format!("{base}/conformance")},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/data", "type": "application/json", "href": format!("{base}/collections")},
            {"rel": "describedby", "type": "application/json", "title": "Category taxonomy", "href": format!("{base}/categories")},
        ]
    })
}

async fn conformance(RawQuery(raw): RawQuery) -> Result<Json<Value>, ApiError> {
    json_only(raw.as_deref())?;
    Ok(Json(json!({ "conformsTo": CONFORMS_TO })))
}

fn collection_doc(
    base: &str,
    id: &str,
    title: &str,
    description: &str,
    extent: Option<[f64; 4]>,
    crs: &[&str],
) -> Value {
    let mut doc = json!({
        "id": id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": crs,
        "storageCrs": CRS84,
        "links": [
            {"rel": "self", "type": "application/json", "href": format!("{base}/collections/{id}")},
            {"rel": "items", "type": "application/geo+json", "href": format!("{base}/collections/{id}/items")},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json", "href": format!("{base}/collections/{id}/queryables")},
        ],
    });
    if let Some(b) = extent {
        doc["extent"] = json!({ "spatial": { "bbox": [b], "crs": CRS84 } });
    }
    doc
}

async fn collections(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    json_only(raw.as_deref())?;
    let base = state.base_url(&headers);
    let extents = state.index.extents();
    let crs = state.crs.uris();
    let list: Vec<Value> = COLLECTIONS
        .iter()
        .zip(extents)
        .map(|(&(id, title, d), e)| collection_doc(&base, id, title, d, e, &crs))
        .collect();
    Ok(Json(json!({
        "links": [{"rel": "self", "type": "application/json", "href": format!("{base}/collections")}],
        "crs": crs,
        "collections": list,
    })))
}

async fn collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    json_only(raw.as_deref())?;
    let base = state.base_url(&headers);
    let extents = state.index.extents();
    let crs = state.crs.uris();
    COLLECTIONS
        .iter()
        .zip(extents)
        .find(|((cid, _, _), _)| *cid == id)
        .map(|(&(cid, title, d), e)| Json(collection_doc(&base, cid, title, d, e, &crs)))
        .ok_or_else(|| ApiError::NotFound(format!("no collection {id:?}")))
}

/// The properties a collection's items can be filtered by with CQL2 (`filter=`),
/// as JSON Schema (OGC API – Features Part 3 `queryables`): exactly what the
/// filter accepts.
pub fn queryables_doc(base: &str, id: &str) -> Option<Value> {
    let queryables = match id {
        "assets" => crate::filter::ASSET_QUERYABLES,
        "schools" => crate::filter::SCHOOL_QUERYABLES,
        "catchments" => crate::filter::CATCHMENT_QUERYABLES,
        _ => return None,
    };
    let properties: serde_json::Map<String, Value> = queryables
        .iter()
        .map(|q| {
            use crate::filter::Kind;
            let schema = match q.kind {
                Kind::Text if q.name == "category" => json!({"title": q.title, "type": "string",
                    "enum": crate::domain::taxonomy::CATEGORIES.iter().map(|c| c.id).collect::<Vec<_>>()}),
                Kind::Text => json!({"title": q.title, "type": "string"}),
                Kind::Date => json!({"title": q.title, "type": "string", "format": "date"}),
                Kind::Geometry if id == "catchments" => json!({"title": q.title, "format": "geometry-multipolygon", "$ref": "https://geojson.org/schema/MultiPolygon.json"}),
                Kind::Geometry => json!({"title": q.title, "format": "geometry-point", "$ref": "https://geojson.org/schema/Point.json"}),
            };
            (q.name.to_owned(), schema)
        })
        .collect();
    Some(json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": format!("{base}/collections/{id}/queryables"),
        "type": "object",
        "title": id,
        "properties": properties,
        "additionalProperties": false,
    }))
}

async fn queryables(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    json_only(raw.as_deref())?;
    let doc = queryables_doc(&state.base_url(&headers), &id)
        .ok_or_else(|| ApiError::NotFound(format!("no collection {id:?}")))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/schema+json"),
        )],
        serde_json::to_vec(&doc).unwrap_or_default(),
    )
        .into_response())
}

/// Any route not served.
pub async fn not_found() -> Response {
    ApiError::NotFound("no such resource".into()).into_response()
}
