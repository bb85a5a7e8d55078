//! Helpers shared by the black-box tests.
#![allow(dead_code)]

use std::sync::Arc;

use assetmap::domain::taxonomy;
use assetmap::domain::{Asset, Location, Status};
use assetmap::http::{AppState, WebConfig};
use assetmap::index::Index;
use assetmap::store::Store;
use chrono::Utc;
use serde_json::Map;
use uuid::Uuid;

/// A file of the Seattle demo set in `data/seattle/`.
pub fn seattle(file: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/seattle")
        .join(file)
}

/// Sends one request to the router without a port; returns status, headers and body.
pub async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (axum::http::StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = router
        .clone()
        .oneshot(req.body(axum::body::Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

/// GET as JSON: status and parsed body.
pub async fn get_json(
    router: &axum::Router,
    uri: &str,
) -> (axum::http::StatusCode, serde_json::Value) {
    let (status, _, body) = call(router, "GET", uri, &[]).await;
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{uri}: not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, v)
}

/// A minimal approved asset.
pub fn asset(id: Uuid, lon: f64, lat: f64, category: &str, name: &str) -> Asset {
    Asset {
        id,
        name: name.into(),
        category: taxonomy::resolve(category)
            .unwrap_or(taxonomy::OTHER)
            .into(),
        description: None,
        address: None,
        phone: None,
        email: None,
        website: None,
        languages: vec![],
        hours: None,
        accessibility: None,
        ages_served: None,
        services: vec![],
        source: None,
        source_id: None,
        last_verified: None,
        status: Status::Approved,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        location: Location::new(lon, lat).expect("valid location"),
        extra: Map::new(),
    }
}

/// A fresh SQLite database file in a temporary directory (kept alive by the guard).
pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub url: String,
}

pub fn temp_sqlite() -> TempDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    TempDb { dir, url }
}

/// Opens a store on a fresh database, with or without the demo set, and its router state.
pub async fn app(url: &str, demo: bool) -> (Arc<dyn Store>, Index, AppState) {
    let (store, index) = assetmap::app::open(url, demo, assetmap::domain::sphere::MILE_M)
        .await
        .expect("open app");
    let state = AppState {
        store: store.clone(),
        index: index.clone(),
        web: Arc::new(WebConfig::default()),
        public_url: None,
    };
    (store, index, state)
}
