//! A do-nothing HTTP server that answers each request with bytes recorded from
//! assetmap: the ceiling `benches/http.sh` holds assetmap's reads against.
//!
//! Usage: `replay ADDR MANIFEST`, where each line of MANIFEST is
//! `PATH_AND_QUERY<TAB>CONTENT_TYPE<TAB>BODY_FILE`. A request for a recorded
//! path gets the recorded body (a reference-counted copy, no work); anything
//! else is 404.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

type Recorded = Arc<HashMap<String, (HeaderValue, Bytes)>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(args.len() == 3, "usage: replay ADDR MANIFEST");
    let mut recorded = HashMap::new();
    for line in std::fs::read_to_string(&args[2])?.lines() {
        let mut parts = line.split('\t');
        let (Some(path), Some(ct), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
            anyhow::bail!("bad manifest line {line:?}");
        };
        let body = Bytes::from(std::fs::read(file)?);
        recorded.insert(path.to_owned(), (HeaderValue::from_str(ct)?, body));
    }
    let recorded: Recorded = Arc::new(recorded);
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let recorded = recorded.clone();
        async move { replay(&recorded, &uri) }
    });
    let listener = tokio::net::TcpListener::bind(&args[1]).await?;
    // Ends on Ctrl-C (SIGINT), which a background process otherwise ignores.
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn replay(recorded: &Recorded, uri: &Uri) -> Response {
    let key = uri.path_and_query().map_or("", |p| p.as_str());
    match recorded.get(key) {
        Some((ct, body)) => ([(header::CONTENT_TYPE, ct.clone())], body.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
