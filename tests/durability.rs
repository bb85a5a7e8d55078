//! An acknowledged write is never lost: a stream of writes, the server killed
//! with SIGKILL in the middle, a restart; every write that was acknowledged is
//! in the database and in the index. On both stores.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

mod common;
use common::{Backend, add_user, feature, spawn_server};

on_both_stores!(acknowledged_writes_survive_sigkill);

async fn acknowledged_writes_survive_sigkill(b: Backend) {
    let db = common::TempDb::new(b).await;
    let mut server = spawn_server(&db.url, &[]).await;
    let token = add_user(&db.url, "editor", "Load tester");
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();

    // Four writers, each posting until its connection fails.
    let mut writers = Vec::new();
    for w in 0..4 {
        let (base, token, acked) = (server.base.clone(), token.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0.. {
                let body = feature(&format!("Durable {w}-{i}"));
                let res = client
                    .post(format!("{base}/collections/assets/items"))
                    .bearer_auth(&token)
                    .header("content-type", "application/geo+json")
                    .json(&body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        let v: serde_json::Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => break, // killed while answering: not acknowledged
                        };
                        acked
                            .lock()
                            .await
                            .push(v["id"].as_str().expect("id").to_owned());
                    }
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    // Let writes flow, then kill the server without warning.
    let flowing = common::eventually(Duration::from_secs(30), || {
        let acked = acked.clone();
        async move { acked.lock().await.len() >= 100 }
    })
    .await;
    assert!(flowing.is_some(), "writes should be acknowledged");
    server.child.kill().expect("SIGKILL"); // std's kill() sends SIGKILL on Unix
    server.child.wait().expect("wait");
    for w in writers {
        w.await.expect("writer");
    }
    let acked = acked.lock().await.clone();
    println!("{} writes acknowledged before SIGKILL", acked.len());

    // Restart: every acknowledged write is in the store and in the index.
    let server = spawn_server(&db.url, &["--no-demo"]).await;
    let client = reqwest::Client::new();
    for id in &acked {
        let r = client
            .get(format!("{}/collections/assets/items/{id}", server.base))
            .send()
            .await
            .expect("get");
        assert_eq!(
            r.status(),
            200,
            "acknowledged asset {id} lost from the index"
        );
    }
    let store = assetmap::store::connect(&db.url).await.expect("store");
    for id in &acked {
        store
            .asset(uuid::Uuid::parse_str(id).expect("uuid"))
            .await
            .unwrap_or_else(|e| panic!("acknowledged asset {id} lost from the database: {e}"));
    }
    // Nothing half-written either: the index holds exactly what the store holds.
    let counts = store.counts().await.expect("counts");
    let page =
        common::fetch_json(&format!("{}/collections/assets/items?limit=1", server.base)).await;
    assert_eq!(page["numberMatched"].as_u64(), Some(counts.assets));
}
