//! Tokens never reach the log: a server logging at `trace` handles sign-ups and
//! authenticated writes, and its whole log is searched for every token.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

mod common;
use common::{Backend, add_user, feature, free_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_appears_in_a_trace_log() {
    let db = common::TempDb::new(Backend::Sqlite).await;
    let editor = add_user(&db.url, "editor", "Editor");
    let log = db.dir.path().join("server.log");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &db.url,
        ])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let signup: Value = client
        .post(format!("{base}/organizations"))
        .json(&json!({"name": "Logged Org", "contact_name": "L", "email": "l@example.org"}))
        .send()
        .await
        .expect("sign up")
        .json()
        .await
        .expect("json");
    let org = signup["token"].as_str().expect("token").to_owned();
    for token in [&org, &editor] {
        let r = client
            .post(format!("{base}/collections/assets/items"))
            .bearer_auth(token)
            .header("content-type", "application/geo+json")
            .json(&feature("Logged Listing"))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 201);
    }
    // A wrong token too: refusals must not echo it either.
    let r = client
        .get(format!("{base}/review"))
        .bearer_auth("am_wrong_token_value")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    child.kill().expect("kill");
    child.wait().expect("wait");
    let text = std::fs::read_to_string(&log).expect("read log");
    assert!(text.len() > 1000, "the server logged at trace level");
    for token in [&org, &editor, &"am_wrong_token_value".to_owned()] {
        assert!(!text.contains(token.as_str()), "a token appears in the log");
        assert!(
            !text.contains(&token[3..]),
            "a token's secret part appears in the log"
        );
    }
}
