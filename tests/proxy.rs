//! Behind a load balancer: with `--trusted-proxy`, each client the proxy
//! forwards has its own sign-up budget; without it, forwarded addresses are
//! not believed and the peer is the client. A real server process.

use serde_json::json;

mod common;
use common::{Backend, TempDb, spawn_server};

async fn sign_up(base: &str, forwarded_for: &str, i: usize) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/organizations"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"name": format!("Org {i}"), "contact_name": "C", "email": format!("o{i}@example.org")}))
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_clients_are_counted_apart_only_behind_a_trusted_proxy() {
    let db = TempDb::new(Backend::Sqlite).await;
    let behind = spawn_server(
        &db.url,
        &[
            "--trusted-proxy",
            "127.0.0.1/32,::1",
            "--signups-per-hour",
            "2",
        ],
    )
    .await;
    let b = behind.base.as_str();
    assert_eq!(sign_up(b, "198.51.100.1", 0).await, 201);
    assert_eq!(sign_up(b, "198.51.100.1", 1).await, 201);
    assert_eq!(
        sign_up(b, "198.51.100.1", 2).await,
        429,
        "the same client, over its budget"
    );
    assert_eq!(
        sign_up(b, "198.51.100.2", 3).await,
        201,
        "another client behind the same proxy"
    );
    // A client cannot choose its address by sending its own header first.
    assert_eq!(sign_up(b, "203.0.113.50, 198.51.100.1", 4).await, 429);
    drop(behind);

    let direct = spawn_server(&db.url, &["--no-demo", "--signups-per-hour", "2"]).await;
    let d = direct.base.as_str();
    assert_eq!(sign_up(d, "198.51.100.3", 5).await, 201);
    assert_eq!(sign_up(d, "198.51.100.4", 6).await, 201);
    assert_eq!(
        sign_up(d, "198.51.100.5", 7).await,
        429,
        "not trusted: all one peer"
    );
}
