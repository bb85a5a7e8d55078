//! The map page: `/` for browsers, its static files under `/static/`, and the
//! page's settings at `/config.json`. The files in `web/` are built into the
//! binary, so the server does not depend on its working directory.

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use include_dir::{Dir, include_dir};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::ogc;
use super::params::Params;

static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/web");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/static/{*path}", get(asset))
        .route("/config.json", get(config))
        .route("/register", get(|| async { file("register.html") }))
        .route("/moderate", get(|| async { file("review.html") }))
        .route("/gap-analysis", get(|| async { file("gaps.html") }))
        .route("/import", get(|| async { file("import.html") }))
}

/// The Content-Security-Policy of every response: scripts and styles only from
/// this origin (no inline script), images also from the tile server.
pub fn content_security_policy(tile_url: &str) -> String {
    let tiles = tile_origin(tile_url);
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: {tiles}; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'"
    )
}

/// `https://{s}.tile.example.org/{z}/{x}/{y}.png` → `https://*.tile.example.org`.
fn tile_origin(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let host = rest.split('/').next().unwrap_or("");
    let host = host.replace("{s}", "*");
    if host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".-:*".contains(c))
        && !host.is_empty()
    {
        format!("{scheme}://{host}")
    } else {
        String::new()
    }
}

fn wants_html(headers: &HeaderMap, params: &Params) -> bool {
    match params.get("f") {
        Some("html") => return true,
        Some(_) => return false,
        None => {}
    }
    headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

async fn landing(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(
        raw.as_deref(),
        &[
            "f", "school", "year", "radius", "hide", "lang", "language", "open", "q", "sort",
            "partners",
        ],
    )?;
    if let Some(f) = params.get("f")
        && !matches!(f, "json" | "html")
    {
        return Err(ApiError::invalid(
            "f",
            format!("format {f:?} is not offered; use json or html"),
        ));
    }
    if wants_html(&headers, &params) {
        return Ok(file("index.html"));
    }
    Ok(Json(ogc::landing(&state.base_url(&headers))).into_response())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("txt") | Some("md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn file(path: &str) -> Response {
    match WEB.get_file(path) {
        Some(f) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(path)),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            f.contents(),
        )
            .into_response(),
        None => ApiError::NotFound(format!("no file {path:?}")).into_response(),
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    file(&path)
}

async fn config(State(state): State<AppState>) -> Json<serde_json::Value> {
    // Every language with a catalog, by its own name, for the pages' pickers.
    let languages: Vec<serde_json::Value> = crate::i18n::Lang::all()
        .into_iter()
        .map(|l| json!({"code": l.code(), "name": l.t("language.name")}))
        .collect();
    Json(json!({
        "tile_url": state.web.tile_url,
        "tile_attribution": state.web.tile_attribution,
        "languages": languages,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_origins() {
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            "https://tile.openstreetmap.org"
        );
        assert_eq!(
            tile_origin("https://{s}.tiles.example.org/{z}/{x}/{y}.png"),
            "https://*.tiles.example.org"
        );
        assert_eq!(tile_origin("nonsense"), "");
    }
}
