//! The server under strain: a handler panic is a generic 500 and the server
//! keeps serving; requests over the concurrency limit are shed at once with 503
//! and Retry-After; a request over the time limit is cut with 503; a client
//! that trickles its headers is disconnected while others are served.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;
use common::{Backend, call, spawn_server};

async fn panics() -> &'static str {
    let bug: Option<&str> = std::hint::black_box(None);
    bug.expect("a bug in a handler")
}

/// The application's routes plus test-only ones that panic or wait, under the
/// application's own layers. (A panic or a slow handler cannot be caused
/// through the real routes; these stand in for them.)
async fn router_with(
    serving: assetmap::http::Serving,
    gate: Arc<tokio::sync::Notify>,
) -> (common::TempDb, axum::Router) {
    let db = common::TempDb::new(Backend::Sqlite).await;
    let (_, _, state) = common::app(&db.url, false).await;
    let routes = assetmap::http::routes(state)
        .route("/test/panic", get(panics))
        .route(
            "/test/wait",
            get(move || {
                let gate = gate.clone();
                async move {
                    gate.notified().await;
                    "done"
                }
            }),
        );
    let router = assetmap::http::with_layers(
        routes,
        HeaderValue::from_static("default-src 'self'"),
        serving,
    );
    (db, router)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_a_generic_500_and_the_server_goes_on() {
    let (_db, router) = router_with(assetmap::http::Serving::default(), Arc::default()).await;
    let (s, h, body) = call(&router, "GET", "/test/panic", &[]).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(h["content-type"], "application/problem+json");
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("something went wrong on our side") && !text.contains("a bug in a handler"),
        "{text}"
    );
    assert_eq!(
        h["x-content-type-options"], "nosniff",
        "the security headers are still set"
    );
    let (s, _, _) = call(&router, "GET", "/conformance", &[]).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_the_limits_are_shed_with_503() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let serving = assetmap::http::Serving {
        max_concurrent_requests: 2,
        request_timeout: Duration::from_secs(30),
        header_read_timeout: Duration::from_secs(10),
    };
    let (_db, router) = router_with(serving, gate.clone()).await;
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let r = router.clone();
            tokio::spawn(async move { call(&r, "GET", "/test/wait", &[]).await.0 })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (s, h, _) = call(&router, "GET", "/conformance", &[]).await;
    assert_eq!(
        s,
        StatusCode::SERVICE_UNAVAILABLE,
        "a third request at once is shed"
    );
    assert_eq!(h["retry-after"], "1");
    gate.notify_waiters();
    for w in waiting {
        assert_eq!(w.await.expect("task"), StatusCode::OK);
    }
    let (s, _, _) = call(&router, "GET", "/conformance", &[]).await;
    assert_eq!(s, StatusCode::OK, "room again");

    // Over the time limit: cut with 503.
    let serving = assetmap::http::Serving {
        request_timeout: Duration::from_millis(200),
        ..serving
    };
    let (_db2, router) = router_with(serving, Arc::default()).await;
    let started = std::time::Instant::now();
    let (s, h, _) = call(&router, "GET", "/test/wait", &[]).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h["retry-after"], "1");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_trickles_its_headers_is_disconnected() {
    let db = common::TempDb::new(Backend::Sqlite).await;
    let server = spawn_server(&db.url, &["--header-read-timeout-secs", "1"]).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // Others are served meanwhile.
    let ok = reqwest::get(format!("{}/healthz", server.base))
        .await
        .expect("GET");
    assert_eq!(ok.status(), 200);
    // The trickling client is cut off after about a second.
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(8), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection is closed by the server");
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
}
