//! Keeping the in-memory index in step with the store: the full reload, and the
//! LISTEN/NOTIFY follower of a shared PostGIS database.
//!
//! Several stateless `assetmap serve` processes can share one database. A
//! trigger on each table sends `NOTIFY assetmap_changes` with the table and row
//! id of every committed change, whoever made it (another server, `assetmap
//! import`, an analyst in QGIS or psql). Each server LISTENs, fetches the changed
//! rows and updates its index. Notifications sent while a server was not
//! listening are lost, so after every (re)connection it reloads everything.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgListener;
use uuid::Uuid;

use crate::domain::Status;
use crate::index::Index;
use crate::store::{Store, StoreError};

/// Fills the index from the store (all three collections at once): at start-up,
/// and after every reconnection, when notifications may have been missed. Only
/// published assets are read: pending listings never reach the index.
pub async fn reload(store: &dyn Store, index: &Index) -> Result<(), StoreError> {
    let assets = store.assets_with_status(Status::Approved).await?;
    let schools = store.schools().await?;
    let catchments = store.catchments().await?;
    index.load(&assets, schools, catchments);
    Ok(())
}

/// The channel the trigger notifies.
pub const CHANNEL: &str = "assetmap_changes";

#[derive(Deserialize)]
struct Change {
    table: String,
    id: Uuid,
}

/// A batch of changes to apply together.
#[derive(Default)]
struct Batch {
    assets: BTreeSet<Uuid>,
    areas: bool,
}

impl Batch {
    fn add(&mut self, payload: &str) {
        match serde_json::from_str::<Change>(payload) {
            Ok(c) if c.table == "assets" => {
                self.assets.insert(c.id);
            }
            Ok(_) => self.areas = true,
            Err(e) => tracing::warn!(error = %e, "ignoring a malformed change notification"),
        }
    }
}

async fn apply(batch: Batch, store: &dyn Store, index: &Index) -> Result<(), StoreError> {
    if !batch.assets.is_empty() {
        let ids: Vec<Uuid> = batch.assets.iter().copied().collect();
        let found = store.assets_by_ids(&ids).await?;
        let present: BTreeSet<Uuid> = found.iter().map(|a| a.id).collect();
        // A fetch may be older than a write this server has applied since:
        // the index keeps whichever version is newer.
        for a in &found {
            index.upsert_asset(a);
        }
        // Missing: deleted, unless the row is there but does not decode; that
        // one is only hidden, so that it comes back once it is fixed.
        let undecodable: BTreeSet<String> = store
            .skipped()
            .into_iter()
            .filter(|s| s.table == "assets")
            .map(|s| s.id)
            .collect();
        for id in ids.iter().filter(|id| !present.contains(id)) {
            if undecodable.contains(&id.to_string()) {
                index.hide_asset(*id);
            } else {
                index.remove_asset(*id);
            }
        }
    }
    if batch.areas {
        let schools = store.schools().await?;
        let catchments = store.catchments().await?;
        index.set_schools(schools, catchments);
    }
    Ok(())
}

/// Connects a listener and subscribes to the channel. Start it before loading
/// the index, so that no change falls between the load and the first message.
pub async fn subscribe(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Applies notifications until the connection is lost (`Ok`) or fails (`Err`).
async fn drain(
    listener: &mut PgListener,
    store: &dyn Store,
    index: &Index,
) -> Result<(), anyhow::Error> {
    loop {
        let Some(first) = listener.try_recv().await? else {
            return Ok(()); // connection lost; reconnect and reload
        };
        tracing::debug!(payload = first.payload(), "change");
        let mut batch = Batch::default();
        batch.add(first.payload());
        // Gather what arrives together (an import sends many) into one fetch.
        while batch.assets.len() < 5_000 {
            match tokio::time::timeout(Duration::from_millis(20), listener.try_recv()).await {
                Ok(Ok(Some(n))) => batch.add(n.payload()),
                Ok(Ok(None)) => {
                    apply(batch, store, index).await?;
                    return Ok(());
                }
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => break,
            }
        }
        apply(batch, store, index).await?;
    }
}

/// Follows the database forever with a listener already subscribed before the
/// index was loaded; reconnects with a capped back-off and reloads everything
/// after each reconnection.
pub async fn follow(mut listener: PgListener, url: String, store: Arc<dyn Store>, index: Index) {
    tracing::info!("following database changes on {CHANNEL}");
    let mut delay = Duration::from_millis(200);
    loop {
        match drain(&mut listener, store.as_ref(), &index).await {
            Ok(()) => tracing::warn!("lost the change listener's connection; reconnecting"),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "change listener failed; reconnecting")
            }
        }
        loop {
            tokio::time::sleep(delay).await;
            let attempt = async {
                let l = subscribe(&url).await?;
                reload(store.as_ref(), &index).await?;
                Ok::<_, anyhow::Error>(l)
            };
            match attempt.await {
                Ok(l) => {
                    listener = l;
                    delay = Duration::from_millis(200);
                    tracing::info!(assets = index.len(), "reconnected; index reloaded");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), retry_in_ms = delay.as_millis() as u64, "database still unreachable");
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}
