//! Building and running the service: store → migrate → (demo) → index → router → serve.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::ServeArgs;
use crate::http::{self, AppState, WebConfig};
use crate::import::run::Quiet;
use crate::index::Index;
use crate::store::{self, Store};

/// Opens the store, migrates it, loads the demo set into an empty database when
/// asked, and builds the index.
pub async fn open(
    database_url: &str,
    load_demo: bool,
    default_radius_m: f64,
) -> anyhow::Result<(Arc<dyn Store>, Index)> {
    let store = store::connect(database_url).await.with_context(|| {
        format!(
            "opening the database {}",
            crate::store::redact(database_url)
        )
    })?;
    store.migrate().await.context("migrating the database")?;
    let counts = store.counts().await?;
    if load_demo && counts.assets == 0 && counts.schools == 0 {
        let s = crate::demo::load(&store, &mut Quiet)
            .await
            .context("loading the demo set")?;
        tracing::info!(
            inserted = s.inserted,
            skipped = s.skipped,
            "loaded the Seattle demo set into an empty database"
        );
    }
    let index = Index::new(default_radius_m);
    // On a shared PostGIS database, subscribe to changes before loading, so that
    // nothing committed in between is missed.
    let listener = match store::Backend::of(database_url)? {
        store::Backend::Postgres => Some(
            crate::sync::subscribe(database_url)
                .await
                .context("listening for database changes")?,
        ),
        store::Backend::Sqlite => None,
    };
    let started = std::time::Instant::now();
    crate::sync::reload(store.as_ref(), &index)
        .await
        .context("loading the index")?;
    tracing::info!(
        assets = index.len(),
        ms = started.elapsed().as_millis() as u64,
        "index built"
    );
    if let Some(listener) = listener {
        tokio::spawn(crate::sync::follow(
            listener,
            database_url.to_owned(),
            store.clone(),
            index.clone(),
        ));
    }
    Ok((store, index))
}

/// The router state for a configuration.
pub fn state(args: &ServeArgs, store: Arc<dyn Store>, index: Index) -> AppState {
    AppState::from(crate::http::Shared {
        store,
        index,
        web: Arc::new(WebConfig {
            tile_url: args.tile_url.clone(),
            tile_attribution: args.tile_attribution.clone(),
        }),
        public_url: args.public_url.as_deref().map(Arc::from),
        signups: Arc::new(crate::http::limit::RateLimit::new(
            args.signups_per_hour,
            std::time::Duration::from_secs(3600),
        )),
        max_pending: args.max_pending_per_organization,
        serving: crate::http::Serving {
            max_concurrent_requests: args.max_concurrent_requests.max(1),
            request_timeout: std::time::Duration::from_secs(args.request_timeout_secs.max(1)),
            header_read_timeout: std::time::Duration::from_secs(
                args.header_read_timeout_secs.max(1),
            ),
        },
        trusted_proxies: args.trusted_proxies.clone().into(),
        suggestions: Arc::new(crate::http::limit::RateLimit::new(
            args.suggestions_per_hour,
            std::time::Duration::from_secs(3600),
        )),
        submissions: Arc::new(crate::http::limit::RateLimit::new(
            args.submissions_per_hour,
            std::time::Duration::from_secs(3600),
        )),
        // Each code was checked as the arguments were read.
        crs: crate::crs::Catalog::new(&args.crs).unwrap_or_default(),
    })
}

/// How long the requests in flight may take to finish once shutdown begins.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves until `shutdown` resolves, then finishes the requests in flight.
///
/// The accept loop is hyper's own, so that each HTTP/1 connection has a
/// header-read timeout (`Serving::header_read_timeout`); every request carries the
/// peer's address (`ConnectInfo`) for rate limits.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::ServiceExt;

    let header_read_timeout = state.serving.header_read_timeout;
    let router = http::router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service =
            router
                .clone()
                .map_request(move |mut r: axum::http::Request<hyper::body::Incoming>| {
                    r.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                    r
                });
        let conn = builder.serve_connection_with_upgrades(
            TokioIo::new(stream),
            hyper_util::service::TowerToHyperService::new(service),
        );
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}; stopping anyway");
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// `assetmap serve`.
pub async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    // Before anything is indexed: features' `open_now` and `open=` read these clocks.
    crate::domain::hours::set_timezone(args.timezone);
    let (store, index) = open(&args.db.database_url, !args.no_demo, args.default_radius_m).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, "assetmap listening");
    serve(listener, state(&args, store, index), shutdown_signal()).await
}
