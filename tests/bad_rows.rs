//! One bad row wedges nothing: an asset whose `extra` is set to `null` or an
//! array behind assetmap's back (psql, QGIS) is left out and named on
//! `/readyz` as degraded; servers start, serve everything else and follow
//! other changes; once the row is fixed it comes back. Real server processes,
//! on both stores.

use std::time::Duration;

use serde_json::Value;

mod common;
use common::{Backend, TempDb, eventually, fetch_json, spawn_server, sql};

const LOST: Duration = Duration::from_secs(10);

async fn matched(base: &str) -> u64 {
    fetch_json(&format!("{base}/collections/assets/items?limit=1")).await["numberMatched"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

async fn two_asset_ids(url: &str) -> (String, String) {
    let store = assetmap::store::connect(url).await.expect("store");
    let assets = store.assets().await.expect("assets");
    (assets[0].id.to_string(), assets[1].id.to_string())
}

async fn readyz(base: &str) -> Value {
    fetch_json(&format!("{base}/readyz")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_row_is_skipped_and_named_on_sqlite() {
    let b = Backend::Sqlite;
    let db = TempDb::new(b).await;
    drop(spawn_server(&db.url, &[]).await); // creates the database with the demo set
    let (null_id, array_id) = two_asset_ids(&db.url).await;
    sql(
        b,
        &db.url,
        "UPDATE assets SET extra = 'null' WHERE id = $1",
        &null_id,
    )
    .await;
    sql(
        b,
        &db.url,
        "UPDATE assets SET extra = '[1,2]' WHERE id = $1",
        &array_id,
    )
    .await;

    // It starts, serves the rest, and says what it left out.
    let server = spawn_server(&db.url, &["--no-demo"]).await;
    assert_eq!(matched(&server.base).await, 641);
    let ready = readyz(&server.base).await;
    assert_eq!(ready["status"], "degraded");
    let named: Vec<&str> = ready["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert!(named.contains(&null_id.as_str()) && named.contains(&array_id.as_str()));
    assert!(
        ready["skipped"][0]["reason"]
            .as_str()
            .expect("reason")
            .contains("extra")
    );
    drop(server);

    // Fixed, it comes back at the next start.
    sql(
        b,
        &db.url,
        "UPDATE assets SET extra = '{}' WHERE id = $1",
        &null_id,
    )
    .await;
    let server = spawn_server(&db.url, &["--no-demo"]).await;
    assert_eq!(matched(&server.base).await, 642);
    let ready = readyz(&server.base).await;
    assert_eq!(ready["skipped"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_row_wedges_no_follower_on_postgis() {
    let b = Backend::Postgres;
    let db = TempDb::new(b).await;
    let first = spawn_server(&db.url, &[]).await;
    assert_eq!(matched(&first.base).await, 643);
    let (bad, other) = two_asset_ids(&db.url).await;

    // Set from psql while the server follows: it leaves the row out and goes on.
    sql(
        b,
        &db.url,
        "UPDATE assets SET extra = 'null'::jsonb WHERE id = $1",
        &bad,
    )
    .await;
    eventually(LOST, || async { matched(&first.base).await == 642 })
        .await
        .expect("the bad row is left out");
    assert_eq!(readyz(&first.base).await["status"], "degraded");

    // A new server starts on the same database.
    let second = spawn_server(&db.url, &["--no-demo"]).await;
    assert_eq!(matched(&second.base).await, 642);
    assert_eq!(
        readyz(&second.base).await["skipped"][0]["id"],
        Value::String(bad.clone())
    );

    // Other changes still reach both.
    sql(b, &db.url, "DELETE FROM assets WHERE id = $1", &other).await;
    for base in [&first.base, &second.base] {
        eventually(LOST, || async { matched(base).await == 641 })
            .await
            .expect("the follower is not wedged");
    }

    // Fixed, the row comes back everywhere and the servers are ready again.
    sql(
        b,
        &db.url,
        "UPDATE assets SET extra = '{}'::jsonb WHERE id = $1",
        &bad,
    )
    .await;
    for base in [&first.base, &second.base] {
        eventually(LOST, || async { matched(base).await == 642 })
            .await
            .expect("the fixed row is back");
        assert_eq!(readyz(base).await["status"], "ready");
    }
}
