//! Helpers shared by the black-box tests.
#![allow(dead_code)]

use std::sync::Arc;

use assetmap::domain::taxonomy;
use assetmap::domain::{Asset, AssetFields, Location, Status};
use assetmap::http::{AppState, WebConfig};
use assetmap::index::Index;
use assetmap::store::Store;
use chrono::Utc;
use uuid::Uuid;

/// The Seattle demo files read on their own, without assetmap's importer or
/// index: the oracle of the report and gap tests.
pub struct SeattleFiles {
    /// Every community asset: lon, lat and its taxonomy category.
    pub assets: Vec<(f64, f64, &'static str)>,
    /// Attendance areas by the district's school id.
    pub areas: std::collections::HashMap<String, geo::MultiPolygon<f64>>,
    /// Campuses by the district's school id.
    pub sites: std::collections::HashMap<String, (f64, f64)>,
}

impl SeattleFiles {
    pub fn read() -> Self {
        let read = |file: &str| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(seattle(file)).expect("read"))
                .expect("json")
        };
        let assets = read("seattle_community_assets_combined.geojson")["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| {
                let c = &f["geometry"]["coordinates"];
                let cat =
                    taxonomy::resolve(f["properties"]["category"].as_str().expect("category"))
                        .expect("known");
                (
                    c[0].as_f64().expect("lon"),
                    c[1].as_f64().expect("lat"),
                    cat,
                )
            })
            .collect();
        let mut areas = std::collections::HashMap::new();
        for (file, field) in [
            ("sps_attendance_area_ES_2020_2021.geojson", "ES_SCH"),
            ("sps_attendance_area_MS_2020_2021.geojson", "MS_SCH"),
            ("sps_attendance_area_HS_2020_2021.geojson", "HS_SCH"),
        ] {
            for f in read(file)["features"].as_array().expect("features") {
                let g: geojson::Geometry =
                    serde_json::from_value(f["geometry"].clone()).expect("geometry");
                let p: geo::Polygon<f64> = (&g.value).try_into().expect("polygon");
                areas.insert(
                    f["properties"][field].to_string(),
                    geo::MultiPolygon(vec![p]),
                );
            }
        }
        let sites = read("Sites_2020.geojson")["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| {
                let c = &f["geometry"]["coordinates"];
                (
                    f["properties"]["SchoolID"].to_string(),
                    (c[0].as_f64().expect("x"), c[1].as_f64().expect("y")),
                )
            })
            .collect();
        SeattleFiles {
            assets,
            areas,
            sites,
        }
    }
}

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
    call_with(router, method, uri, headers, Vec::new()).await
}

/// Like [`call`], with a body.
pub async fn call_with(
    router: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (axum::http::StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = router
        .clone()
        .oneshot(req.body(axum::body::Body::from(body)).expect("request"))
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

/// GET, and the body's pieces as they arrive: a streamed answer comes in
/// several, a buffered one in one.
pub async fn get_frames(router: &axum::Router, uri: &str) -> Vec<Vec<u8>> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let res = router
        .clone()
        .oneshot(
            axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(res.status(), 200, "{uri}");
    let mut body = res.into_body();
    let mut frames = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.expect("frame").into_data() {
            frames.push(data.to_vec());
        }
    }
    frames
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
    Asset::new(
        id,
        AssetFields::new(
            name,
            taxonomy::resolve(category).unwrap_or(taxonomy::OTHER),
            Location::new(lon, lat).expect("valid location"),
        ),
        Status::Approved,
        Utc::now(),
    )
}

/// Which store a test runs on. Every API and import test runs on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database for one test, dropped afterwards. `dir` is a scratch
/// directory for the test's files (and the SQLite file).
pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub url: String,
    /// (admin URL, database name) of a PostgreSQL database to drop.
    pg: Option<(String, String)>,
}

/// The PostgreSQL server tests create their databases on: `ASSETMAP_TEST_PG_URL`,
/// else the local server as `scripts/test.sh` prepares it.
pub fn pg_admin_url() -> String {
    std::env::var("ASSETMAP_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `postgres://…/db` with the database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let root = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

impl TempDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                TempDb { dir, url, pg: None }
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = pg_admin_url();
                let name = format!("assetmap_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is needed for the PostGIS tests and is not reachable at {admin} ({e}); run scripts/test.sh, which sets it up, or set ASSETMAP_TEST_PG_URL")
                });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let url = with_database(&admin, &name);
                TempDb {
                    dir,
                    url,
                    pg: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Drop the database from a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut conn)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs a test body once per store, as two named tests: `NAME::sqlite` and
/// `NAME::postgres`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        )*
    };
}

/// Opens a store on a fresh database, with or without the demo set, and its router state.
pub async fn app(url: &str, demo: bool) -> (Arc<dyn Store>, Index, AppState) {
    let (store, index) = assetmap::app::open(url, demo, assetmap::domain::sphere::MILE_M)
        .await
        .expect("open app");
    let state = AppState::from(assetmap::http::Shared {
        store: store.clone(),
        index: index.clone(),
        web: Arc::new(WebConfig::default()),
        public_url: None,
        signups: Arc::new(assetmap::http::limit::RateLimit::default()),
        suggestions: Arc::new(assetmap::http::limit::RateLimit::default()),
        max_pending: assetmap::service::DEFAULT_MAX_PENDING,
        trusted_proxies: Vec::new().into(),
        serving: assetmap::http::Serving::default(),
        submissions: Arc::new(assetmap::http::limit::RateLimit::new(
            120,
            std::time::Duration::from_secs(3600),
        )),
        crs: assetmap::crs::Catalog::new(&[2926]).expect("EPSG:2926"),
    });
    (store, index, state)
}

/// A running `assetmap serve` process, killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Starts `assetmap serve` on a free port and waits until it answers.
pub async fn spawn_server(url: &str, extra: &[&str]) -> Server {
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn assetmap serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("assetmap serve did not start on {}", server.base);
}

/// GET a JSON document from a running server.
pub async fn fetch_json(url: &str) -> serde_json::Value {
    reqwest::get(url)
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON")
}

/// Polls `check` until it holds or `limit` passes; returns how long it took.
pub async fn eventually<F, Fut>(
    limit: std::time::Duration,
    mut check: F,
) -> Option<std::time::Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}

/// Adds a user with the CLI (as an administrator would) and returns the token it prints.
pub fn add_user(url: &str, role: &str, name: &str) -> String {
    add_user_with(url, role, name, &[])
}

/// Like [`add_user`], with more arguments (`--school ID`).
pub fn add_user_with(url: &str, role: &str, name: &str, more: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args([
            "user",
            "add",
            "--role",
            role,
            "--name",
            name,
            "--database-url",
            url,
        ])
        .args(more)
        .output()
        .expect("assetmap user add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_owned()
}

/// A valid asset Feature inside Adams Elementary's area, with the given name.
pub fn feature(name: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-122.3905, 47.6745]},
        "properties": {
            "name": name,
            "category": "mental_health",
            "address": "1 Test Way",
            "phone": "206-555-0100",
            "email": "hello@example.org",
            "website": "https://example.org/",
            "languages": ["en", "es"],
            "funding": "county"
        }
    })
}

/// Sends JSON (a merge patch for PATCH) with a bearer token; returns the status
/// and the parsed answer (null when there is none).
pub async fn send_as(
    router: &axum::Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<&serde_json::Value>,
) -> (axum::http::StatusCode, serde_json::Value) {
    let auth = format!("Bearer {token}");
    let ct = if method == "PATCH" {
        "application/merge-patch+json"
    } else {
        "application/json"
    };
    let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
    let (status, _, out) = call_with(
        router,
        method,
        uri,
        &[("content-type", ct), ("authorization", &auth)],
        bytes.unwrap_or_default(),
    )
    .await;
    (
        status,
        serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null),
    )
}

/// `assetmap import assets FILE …` as a process against `url`: it must
/// succeed; answers what it printed on stderr (skips, warnings, totals).
pub fn import_assets_cli(url: &str, file: &std::path::Path, more: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args(["import", "assets", file.to_str().expect("path")])
        .args(more)
        .args(["--database-url", url])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run assetmap");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// Runs SQL against the database as an analyst would, outside assetmap.
pub async fn sql(b: Backend, url: &str, statement: &str, id: &str) {
    match b {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
            sqlx::query(sqlx::AssertSqlSafe(statement.replace("$1", "?1")))
                .bind(id)
                .execute(&pool)
                .await
                .expect("sql");
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.expect("postgres");
            sqlx::query(sqlx::AssertSqlSafe(statement.replace("$1", "$1::uuid")))
                .bind(id)
                .execute(&pool)
                .await
                .expect("sql");
            pool.close().await;
        }
    }
}

/// `assetmap ARGS --database-url URL` as a process, as a user of a GIS office
/// (`USER=gis-office`, which an import records), with warnings only.
pub fn cli(args: &[&str], url: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args(args)
        .args(["--database-url", url])
        .env("RUST_LOG", "warn")
        .env("USER", "gis-office")
        .output()
        .expect("run assetmap")
}

/// [`cli`] that must succeed: what it printed on stdout and on stderr.
pub fn cli_ok(args: &[&str], url: &str) -> (String, String) {
    let out = cli(args, url);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "assetmap {args:?}: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// [`cli`] that must fail: what it printed on stderr.
pub fn cli_refused(args: &[&str], url: &str) -> String {
    let out = cli(args, url);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "assetmap {args:?} should fail: {stderr}"
    );
    stderr
}
