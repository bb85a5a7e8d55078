//! Open Referral's HSDS 3.0 API under `/hsds`: services, service_at_locations,
//! locations, organizations, the taxonomy and its terms, each list paged as
//! the API reference pages it, plus what HSDS lacks and a school needs:
//! `school=` (inside its area), `near=`/`radius=` and `bbox=`.
//!
//! The index chooses and orders (the same query as the map's), the store
//! gives the page's assets, and [`crate::hsds::objects`] writes each object.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{ApiError, FieldError};
use super::params::Params;
use super::{AppState, BaseUrl};
use crate::domain::taxonomy::{self, CATEGORIES};
use crate::domain::{Asset, Status};
use crate::hsds::objects;
use crate::index::{AssetQuery, CategorySet};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/hsds", get(meta))
        .route("/hsds/", get(meta))
        .route("/hsds/services", get(services))
        .route("/hsds/services/{id}", get(service))
        .route("/hsds/service_at_locations", get(service_at_locations))
        .route("/hsds/service_at_locations/{id}", get(service_at_location))
        .route("/hsds/locations", get(locations))
        .route("/hsds/locations/{id}", get(location))
        .route("/hsds/organizations", get(organizations))
        .route("/hsds/organizations/{id}", get(organization))
        .route("/hsds/taxonomies", get(taxonomies))
        .route("/hsds/taxonomies/{id}", get(taxonomy_item))
        .route("/hsds/taxonomy_terms", get(taxonomy_terms))
        .route("/hsds/taxonomy_terms/{id}", get(taxonomy_term))
}

/// The parameters every list of services, service_at_locations and locations
/// takes; each list adds its own flags ([`asset_list`]).
const SELECTION: &[&str] = &[
    "page",
    "per_page",
    "format",
    "search",
    "taxonomy_term_id",
    "taxonomy_id",
    "organization_id",
    "modified_after",
    "school",
    "year",
    "near",
    "radius",
    "bbox",
];

pub const ORGANIZATION_PARAMS: &[&str] = &[
    "page",
    "per_page",
    "format",
    "search",
    "taxonomy_term_id",
    "taxonomy_id",
    "school",
    "year",
    "near",
    "radius",
    "bbox",
    "full",
    "full_service",
];
pub const TAXONOMY_PARAMS: &[&str] = &["page", "per_page", "format", "search"];
pub const TERM_PARAMS: &[&str] = &[
    "page",
    "per_page",
    "format",
    "search",
    "taxonomy_id",
    "top_only",
    "parent_id",
];

/// Page size when none is asked for.
pub const DEFAULT_PER_PAGE: usize = 50;
/// Largest page; larger sizes are clamped to it.
pub const MAX_PER_PAGE: usize = 1000;
/// Largest page of whole organizations (`full=true`), each with its services
/// and locations.
pub const MAX_FULL_ORGANIZATIONS: usize = 10;
/// Most services (and locations) one whole organization carries; the rest
/// are paged through `/hsds/services?organization_id=`.
pub const MAX_NESTED: usize = 1000;

fn json_response(v: &Value) -> Response {
    let mut r = axum::Json(v).into_response();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    r
}

/// `GET /hsds`: what this API is (the reference's `/`).
async fn meta(RawQuery(raw): RawQuery, BaseUrl(base): BaseUrl) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    Ok(json_response(&json!({
        "version": "3.0",
        "profile": "https://docs.openreferral.org/en/v3.0/",
        "openapi_url": format!("{base}/api"),
        "description": "The approved community assets of assetmap as Open Referral HSDS 3.0: each asset is a service offered at one location. Besides the reference's parameters, lists take school= (inside a school's attendance area), near=lon,lat with radius=metres, and bbox=.",
        "publisher": {"name": "assetmap", "website": base},
    })))
}

/// `page` and `per_page` (1-based page; size clamped to `cap`).
fn paging(p: &Params, cap: usize, errors: &mut Vec<FieldError>) -> (usize, usize) {
    let whole = |name: &str, default: usize, errors: &mut Vec<FieldError>| match p.get(name) {
        None => default,
        Some(v) if v.bytes().all(|b| b.is_ascii_digit()) && v.bytes().any(|b| b != b'0') => {
            v.parse::<usize>().unwrap_or(usize::MAX)
        }
        Some(v) => {
            errors.push(FieldError::query(
                name,
                format!("{v:?} is not a whole number of at least 1"),
            ));
            default
        }
    };
    let page = whole("page", 1, errors);
    let per_page = whole("per_page", DEFAULT_PER_PAGE, errors).min(cap);
    (page, per_page)
}

/// A boolean parameter: `true` or `false`.
fn flag(p: &Params, name: &str, errors: &mut Vec<FieldError>) -> bool {
    match p.get(name) {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            errors.push(FieldError::query(
                name,
                format!("{v:?} is neither true nor false"),
            ));
            false
        }
    }
}

/// `format`: only `json` is served.
fn format(p: &Params, errors: &mut Vec<FieldError>) {
    if let Some(f) = p.get("format")
        && f != "json"
    {
        errors.push(FieldError::query(
            "format",
            format!("format {f:?} is not offered; use json (and page through the results)"),
        ));
    }
}

/// The categories a `taxonomy_term_id` (a term's id, or a category's code)
/// and a `taxonomy_id` allow: a term or a taxonomy that is not assetmap's
/// allows none.
fn categories(p: &Params) -> Option<CategorySet> {
    let mut set = None;
    if let Some(t) = p.get("taxonomy_term_id") {
        let mut s = CategorySet::default();
        let category = Uuid::parse_str(t)
            .ok()
            .and_then(objects::category_of_term)
            .map(|c| c.id)
            .or_else(|| taxonomy::by_id(t).map(|c| c.id));
        if let Some(code) = category.and_then(taxonomy::code) {
            s.insert(code);
        }
        set = Some(s);
    }
    if let Some(t) = p.get("taxonomy_id")
        && Uuid::parse_str(t).ok() != Some(objects::taxonomy_id())
    {
        set = Some(CategorySet::default());
    }
    set
}

/// `modified_after`: an RFC 3339 date-time, or a date (its midnight, UTC).
fn modified_after(p: &Params, errors: &mut Vec<FieldError>) -> Option<i64> {
    let v = p.get("modified_after")?;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(t.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis());
    }
    errors.push(FieldError::query(
        "modified_after",
        format!(
            "{v:?} is neither an RFC 3339 date-time (2024-05-01T00:00:00Z) nor a date (2024-05-01)"
        ),
    ));
    None
}

/// `search`: text in the name (case-insensitive; surrounding spaces ignored).
fn search(p: &Params, errors: &mut Vec<FieldError>) -> Option<String> {
    let t = p.get("search")?;
    if t.chars().count() > MAX_SEARCH {
        errors.push(FieldError::query(
            "search",
            format!("at most {MAX_SEARCH} characters"),
        ));
        return None;
    }
    Some(t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Longest `search` text.
pub const MAX_SEARCH: usize = 200;

/// The asset query of a list's parameters.
fn selection(p: &Params, errors: &mut Vec<FieldError>) -> AssetQuery {
    let mut q = p.asset_query(errors);
    q.q = search(p, errors);
    if let Some(c) = categories(p) {
        q.categories = Some(c);
    }
    if let Some(o) = p.get("organization_id") {
        // An id that is no organization's matches nothing (the nil UUID is
        // never a name-based one).
        q.organization = Some(Uuid::parse_str(o).unwrap_or(Uuid::nil()));
    }
    q.modified_after = modified_after(p, errors);
    q
}

/// The page of assets a query matches, in its order, and how many match.
async fn asset_page(
    state: &AppState,
    q: AssetQuery,
    page: usize,
    per_page: usize,
) -> Result<(Vec<Asset>, usize), ApiError> {
    let offset = page.saturating_sub(1).saturating_mul(per_page);
    let index = state.index.clone();
    // A deep page walks many entries: off the async workers.
    let (matched, ids) = tokio::task::spawn_blocking(move || index.query_ids(&q, offset, per_page))
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    let ids: Vec<Uuid> = ids.into_iter().map(|(id, _)| id).collect();
    Ok((read_assets(state, &ids).await?, matched))
}

/// The approved assets of `ids` from the store, in the order of `ids` (one
/// changed since the index chose it is left out).
async fn read_assets(state: &AppState, ids: &[Uuid]) -> Result<Vec<Asset>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_id: HashMap<Uuid, Asset> = state
        .store
        .assets_by_ids(ids)
        .await?
        .into_iter()
        .filter(|a| a.status == Status::Approved)
        .map(|a| (a.id, a))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Reads a list's parameters and answers the page, each asset written by `write`.
async fn asset_list(
    state: AppState,
    raw: Option<String>,
    flags: &[&str],
    write: impl Fn(&Asset, &Params) -> Value,
) -> Result<Response, ApiError> {
    let allowed: Vec<&str> = SELECTION.iter().chain(flags).copied().collect();
    let params = Params::parse(raw.as_deref(), &allowed)?;
    let mut errors = Vec::new();
    format(&params, &mut errors);
    for f in flags {
        flag(&params, f, &mut errors);
    }
    let (page, per_page) = paging(&params, MAX_PER_PAGE, &mut errors);
    let q = selection(&params, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let (assets, matched) = asset_page(&state, q, page, per_page).await?;
    let contents = assets.iter().map(|a| write(a, &params)).collect();
    Ok(json_response(&objects::page(
        contents, matched, page, per_page,
    )))
}

fn is_true(p: &Params, name: &str) -> bool {
    p.get(name) == Some("true")
}

/// `GET /hsds/services`: services with their one-to-one members and
/// organization; whole with `full=true`; only id, name, status and
/// last_modified with `minimal=true`.
async fn services(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    asset_list(state, raw, &["full", "minimal"], |a, p| {
        if is_true(p, "minimal") {
            objects::service_minimal(a)
        } else if is_true(p, "full") {
            objects::service(a, true, true)
        } else {
            objects::service_brief(a)
        }
    })
    .await
}

/// `GET /hsds/service_at_locations`.
async fn service_at_locations(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    asset_list(state, raw, &["full"], |a, p| {
        if is_true(p, "full") {
            objects::service_at_location_full(a)
        } else {
            objects::service_at_location_brief(a)
        }
    })
    .await
}

/// `GET /hsds/locations`: whole locations.
async fn locations(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    asset_list(state, raw, &[], |a, _| objects::location_full(a)).await
}

/// One approved asset by the id its service, location and service_at_location share.
async fn one_asset(state: &AppState, kind: &str, id: &str) -> Result<Asset, ApiError> {
    let missing = || ApiError::NotFound(format!("no {kind} {id:?}"));
    let uuid = Uuid::parse_str(id).map_err(|_| missing())?;
    if !state.index.contains(uuid) {
        return Err(missing());
    }
    match state.store.asset(uuid).await {
        Ok(a) if a.status == Status::Approved => Ok(a),
        Ok(_) | Err(crate::store::StoreError::NotFound) => Err(missing()),
        Err(e) => Err(e.into()),
    }
}

/// `GET /hsds/{kind}/{id}`: the asset with that id, written by `write`.
async fn one(
    state: &AppState,
    raw: Option<String>,
    kind: &str,
    id: &str,
    write: fn(&Asset) -> Value,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let a = one_asset(state, kind, id).await?;
    Ok(json_response(&write(&a)))
}

async fn service(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    one(&state, raw, "service", &id, |a| {
        objects::service(a, true, true)
    })
    .await
}

async fn service_at_location(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let write = objects::service_at_location_full;
    one(&state, raw, "service_at_location", &id, write).await
}

async fn location(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    one(&state, raw, "location", &id, objects::location_full).await
}

/// An organization whole: its first [`MAX_NESTED`] services and locations.
async fn whole_organization(
    state: &AppState,
    id: Uuid,
    name: &str,
    full_service: bool,
) -> Result<Value, ApiError> {
    let q = AssetQuery {
        organization: Some(id),
        ..AssetQuery::default()
    };
    let (assets, _) = asset_page(state, q, 1, MAX_NESTED).await?;
    Ok(objects::organization_full(name, &assets, full_service))
}

/// `GET /hsds/organizations`: the organizations offering the assets the
/// filters match, ordered by id.
async fn organizations(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref(), ORGANIZATION_PARAMS)?;
    let mut errors = Vec::new();
    format(&params, &mut errors);
    let full = flag(&params, "full", &mut errors);
    let full_service = flag(&params, "full_service", &mut errors);
    let cap = if full {
        MAX_FULL_ORGANIZATIONS
    } else {
        MAX_PER_PAGE
    };
    let (page, per_page) = paging(&params, cap, &mut errors);
    let mut q = params.asset_query(&mut errors);
    if let Some(c) = categories(&params) {
        q.categories = Some(c);
    }
    let text = search(&params, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let index = state.index.clone();
    let mut orgs = tokio::task::spawn_blocking(move || index.organizations_matching(&q))
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    if let Some(s) = text {
        let s = s.to_lowercase();
        orgs.retain(|o| o.name.to_lowercase().contains(&s));
    }
    let matched = orgs.len();
    let offset = page.saturating_sub(1).saturating_mul(per_page);
    let mut contents = Vec::new();
    for o in orgs.iter().skip(offset).take(per_page) {
        contents.push(if full {
            whole_organization(&state, o.id, &o.name, full_service).await?
        } else {
            objects::organization_brief(&o.name)
        });
    }
    Ok(json_response(&objects::page(
        contents, matched, page, per_page,
    )))
}

async fn organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref(), &["full_service"])?;
    let mut errors = Vec::new();
    let full_service = flag(&params, "full_service", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let missing = || ApiError::NotFound(format!("no organization {id:?}"));
    let uuid = Uuid::parse_str(&id).map_err(|_| missing())?;
    let org = state.index.organization(uuid).ok_or_else(missing)?;
    Ok(json_response(
        &whole_organization(&state, org.id, &org.name, full_service).await?,
    ))
}

/// A list made in memory (the taxonomy and its terms), paged.
fn static_list(params: &Params, mut items: Vec<Value>) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    format(params, &mut errors);
    let (page, per_page) = paging(params, MAX_PER_PAGE, &mut errors);
    let text = search(params, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    if let Some(s) = text {
        let s = s.to_lowercase();
        items.retain(|v| {
            ["name", "description", "code"].iter().any(|k| {
                v[*k]
                    .as_str()
                    .is_some_and(|t| t.to_lowercase().contains(&s))
            })
        });
    }
    let matched = items.len();
    let offset = page.saturating_sub(1).saturating_mul(per_page);
    let contents = items.into_iter().skip(offset).take(per_page).collect();
    Ok(json_response(&objects::page(
        contents, matched, page, per_page,
    )))
}

async fn taxonomies(RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref(), TAXONOMY_PARAMS)?;
    static_list(&params, vec![objects::taxonomy()])
}

async fn taxonomy_item(
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    if Uuid::parse_str(&id).ok() != Some(objects::taxonomy_id()) {
        return Err(ApiError::NotFound(format!("no taxonomy {id:?}")));
    }
    Ok(json_response(&objects::taxonomy()))
}

/// `GET /hsds/taxonomy_terms`: the categories. They have no parents, so
/// `top_only` changes nothing and a `parent_id` matches none.
async fn taxonomy_terms(RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref(), TERM_PARAMS)?;
    let mut errors = Vec::new();
    flag(&params, "top_only", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let ours = params
        .get("taxonomy_id")
        .is_none_or(|t| Uuid::parse_str(t).ok() == Some(objects::taxonomy_id()));
    let terms = if ours && params.get("parent_id").is_none() {
        CATEGORIES.iter().map(objects::taxonomy_term).collect()
    } else {
        Vec::new()
    };
    static_list(&params, terms)
}

async fn taxonomy_term(
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let c = Uuid::parse_str(&id)
        .ok()
        .and_then(objects::category_of_term)
        .ok_or_else(|| ApiError::NotFound(format!("no taxonomy term {id:?}")))?;
    Ok(json_response(&objects::taxonomy_term(c)))
}
