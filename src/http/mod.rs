//! The HTTP interface: an axum router built from [`AppState`].
//!
//! Route groups, one file each:
//! - `ogc`: landing page, conformance, collections; `items`: features (the hot
//!   read path); `openapi`: `/api`; `health`: `/healthz`, `/readyz`;
//! - `summary`: a school's landscape and the taxonomy; `reports`: coverage and the
//!   catchment join; `export`: whole-collection downloads;
//! - `partnerships`: a school's partnerships; `gaps`: the gap analysis by pillar
//!   and domain, per school and for the district;
//! - `audit`: the audit log for admins; `imports`: the import page's uploads,
//!   the record of imports and undo;
//! - `write`: asset writes; `review`: the review queue, approve/reject, history;
//!   `signup`: organizations' sign-up; `suggestions`: families' suggestions;
//! - `web`: the map, registration and review pages and their static files.
//!
//! Helpers: `params` (query strings that refuse what they do not know), `body`
//! (size limit, JSON bodies), `geojson` (the responder), `auth` (bearer tokens),
//! `limit` (rate limits, client address), `error` (the one error type and its
//! problem+json).
//!
//! Handlers are thin: reads parse parameters and ask the index for bytes;
//! writes read the body and call [`crate::service::Service`].

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tower_http::trace::TraceLayer;

use crate::index::Index;
use crate::service::Service;
use crate::store::Store;

pub mod audit;
pub mod auth;
pub mod body;
pub mod error;
pub mod export;
pub mod frame;
pub mod gaps;
pub mod geojson;
pub mod health;
pub mod hsds;
pub mod imports;
pub mod items;
pub mod lang;
pub mod limit;
pub mod limits;
pub mod ogc;
pub mod openapi;
pub mod params;
pub mod partnerships;
pub mod reports;
pub mod review;
pub mod signup;
pub mod stream;
pub mod suggestions;
pub mod summary;
pub mod web;
pub mod write;

/// Settings of the web page.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub tile_url: String,
    pub tile_attribution: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            tile_attribution: "© OpenStreetMap contributors".into(),
        }
    }
}

/// How much the server takes on at once, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Serving {
    /// Requests handled at once; more are refused at once with 503 and
    /// `Retry-After` rather than queued without end.
    pub max_concurrent_requests: usize,
    /// Longest a request may take to produce its answer (503 beyond).
    pub request_timeout: std::time::Duration,
    /// Longest a client may take to send a request's headers (the connection
    /// is closed beyond), against clients that trickle bytes to hold sockets.
    pub header_read_timeout: std::time::Duration,
}

impl Default for Serving {
    fn default() -> Self {
        Self {
            max_concurrent_requests: 1024,
            request_timeout: std::time::Duration::from_secs(30),
            header_read_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// What every handler can reach: one `Arc`, so that the clone axum makes for
/// each request is one atomic increment, not one per field (a profile of
/// one-feature reads showed the clone and drop of a many-`Arc` state).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl From<Shared> for AppState {
    fn from(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl AppState {
    /// Changes a field before the state is shared (tests, and set-up that
    /// needs the state built first); `None` once it has been cloned.
    pub fn shared_mut(&mut self) -> Option<&mut Shared> {
        Arc::get_mut(&mut self.0)
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub index: Index,
    pub web: Arc<WebConfig>,
    /// Base for absolute links; `None` derives it from the request's Host.
    pub public_url: Option<Arc<str>>,
    /// Sign-ups allowed per client address.
    pub signups: Arc<limit::RateLimit>,
    /// Concurrency and time limits of the whole router.
    pub serving: Serving,
    /// Proxies whose forwarded client address is believed (`--trusted-proxy`).
    pub trusted_proxies: Arc<[limit::Cidr]>,
    /// Most submissions one organization may have awaiting review.
    pub max_pending: u64,
    /// Families' suggestions allowed per client address.
    pub suggestions: Arc<limit::RateLimit>,
    /// Organizations' writes allowed per client address.
    pub submissions: Arc<limit::RateLimit>,
    /// The coordinate systems answers may be asked in (OGC API – Features Part 2).
    pub crs: crate::crs::Catalog,
}

impl AppState {
    /// The write side: every change goes through it.
    pub fn service(&self) -> Service {
        Service::new(self.store.clone(), self.index.clone()).with_max_pending(self.max_pending)
    }

    /// The base URL for links in a response.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(u) = &self.public_url {
            return u.trim_end_matches('/').to_owned();
        }
        let host = headers
            .get(header::HOST)
            .map(HeaderValue::as_bytes)
            .filter(|h| {
                !h.is_empty()
                    && h.iter()
                        .all(|&c| c.is_ascii_alphanumeric() || b".-:[]".contains(&c))
            })
            .and_then(|h| std::str::from_utf8(h).ok())
            .unwrap_or("localhost");
        let proto = match headers.get("x-forwarded-proto").map(HeaderValue::as_bytes) {
            Some(b"https") => "https://",
            _ => "http://",
        };
        let mut base = String::with_capacity(proto.len() + host.len());
        base.push_str(proto);
        base.push_str(host);
        base
    }
}

/// The base URL for links, read from the request's headers without copying
/// them (the read path takes this instead of a whole `HeaderMap`).
pub struct BaseUrl(pub String);

impl axum::extract::FromRequestParts<AppState> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(BaseUrl(state.base_url(&parts.headers)))
    }
}

/// A handler panicked: a generic 500; the cause is logged once, here.
fn panicked(cause: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = cause
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| cause.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned());
    error::ApiError::Internal(anyhow::anyhow!("handler panicked: {what}")).into_response()
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let csp = HeaderValue::from_str(&web::content_security_policy(&state.web.tile_url))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    let serving = state.serving;
    with_layers(routes(state), csp, serving)
}

/// Every route, before the layers every response goes through.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .merge(ogc::routes())
        .merge(items::routes())
        .merge(summary::routes())
        .merge(openapi::routes())
        .merge(health::routes())
        .merge(partnerships::routes())
        .merge(gaps::routes())
        .merge(review::routes())
        .merge(audit::routes())
        .merge(imports::routes())
        .merge(signup::routes())
        .merge(suggestions::routes())
        .merge(export::routes())
        .merge(hsds::routes())
        .merge(reports::routes())
        .merge(write::routes())
        .merge(web::routes())
        .fallback(ogc::not_found)
        .with_state(state)
}

/// The layers around the routes, innermost first: a panic becomes a generic
/// 500 (the server keeps serving); a request over the concurrency limit is
/// refused at once, one over the time limit cut, both with 503 and
/// `Retry-After`; CORS; the security headers; the trace of every request.
pub fn with_layers(routes: Router, csp: HeaderValue, serving: Serving) -> Router {
    let frame = frame::FrameLayer {
        csp,
        bare: routes.clone(),
    };
    // One `layer` call for the whole stack: axum boxes each layer it is given
    // around every route, and clones and boxes each again per request, so the
    // stack goes on as one (outermost first).
    routes.layer(
        tower::ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            // CORS, the security headers, OPTIONS.
            .layer(frame)
            // Problems (those of the limits below too) in the request's language.
            .layer(lang::ProblemsInLanguageLayer)
            .layer(limits::LimitsLayer::new(
                serving.max_concurrent_requests,
                serving.request_timeout,
            ))
            .map_response(IntoResponse::into_response)
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked)),
    )
}
