//! Operators' tools, as an operator uses them (the CLI as a process, a real
//! server): list users; revoke a token (it stops working at once); rotate one
//! (the old stops, the new works); tokens that expire; the audit log for
//! admins; and a backup taken while serving, restored as a round trip.

use std::process::Command;

use serde_json::{Value, json};

mod common;
use common::{Backend, TempDb, add_user, add_user_with, spawn_server};

on_both_stores!(
    tokens_are_listed_revoked_rotated_and_expire,
    the_audit_log_says_who_did_what
);

const BIN: &str = env!("CARGO_BIN_EXE_assetmap");

fn cli(args: &[&str], url: &str) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .args(["--database-url", url])
        .output()
        .expect("run assetmap")
}

async fn get_as(base: &str, path: &str, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn send_as(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/geo+json")
            .body(b.to_string());
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn tokens_are_listed_revoked_rotated_and_expire(b: Backend) {
    let db = TempDb::new(b).await;
    let server = spawn_server(&db.url, &[]).await;
    let base = server.base.as_str();
    let editor = add_user(&db.url, "editor", "Family engagement office");
    let staff = add_user_with(
        &db.url,
        "school",
        "Adams office",
        &["--school", "201", "--expires-in", "90d"],
    );
    let _twin1 = add_user(&db.url, "organization", "Same Name");
    let _twin2 = add_user(&db.url, "organization", "Same Name");

    let list = cli(&["user", "list"], &db.url);
    assert!(list.status.success());
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("editor\tFamily engagement office"), "{text}");
    let staff_line = text
        .lines()
        .find(|l| l.contains("Adams office"))
        .expect("listed");
    assert!(staff_line.contains("\t201\t"), "{staff_line}");
    assert!(
        !staff_line.ends_with("\t-\t-"),
        "an expiry is shown: {staff_line}"
    );
    assert!(!text.contains("am_"), "no token in the list");

    // Revoked: the very next request is refused.
    assert_eq!(get_as(base, "/review", &editor).await.0, 200);
    let out = cli(
        &["user", "revoke", "--name", "Family engagement office"],
        &db.url,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(get_as(base, "/review", &editor).await.0, 401);
    let text = String::from_utf8_lossy(&cli(&["user", "list"], &db.url).stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains("Family engagement office"))
        .expect("listed");
    assert!(!line.ends_with("\t-"), "revoked is shown: {line}");

    // Rotated: the old token stops, the new one works (and un-revokes).
    let out = cli(
        &["user", "rotate", "--name", "Family engagement office"],
        &db.url,
    );
    assert!(out.status.success());
    let fresh = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(fresh.starts_with("am_") && fresh != editor);
    assert_eq!(get_as(base, "/review", &editor).await.0, 401);
    assert_eq!(get_as(base, "/review", &fresh).await.0, 200);

    // A name two users share is refused, naming both ids.
    let out = cli(&["user", "revoke", "--name", "Same Name"], &db.url);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 users have that name"), "{err}");

    // Expiry: a token past its time is refused; one within it works.
    assert_eq!(
        get_as(base, "/schools/201/partnerships", &staff).await.0,
        200
    );
    let store = assetmap::store::connect(&db.url).await.expect("store");
    let expired = assetmap::domain::User {
        id: uuid::Uuid::new_v4(),
        name: "Temp".into(),
        role: assetmap::domain::Role::Editor,
        schools: Vec::new(),
        districts: Vec::new(),
        created_at: chrono::Utc::now() - chrono::Duration::days(2),
        expires_at: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
    };
    store
        .create_user(&expired, &assetmap::domain::user::token_hash("am_expired"))
        .await
        .expect("user");
    assert_eq!(get_as(base, "/review", "am_expired").await.0, 401);
    let out = cli(
        &[
            "user",
            "add",
            "--role",
            "editor",
            "--name",
            "X",
            "--expires-in",
            "soon",
        ],
        &db.url,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--expires-in"));
}

async fn the_audit_log_says_who_did_what(b: Backend) {
    let db = TempDb::new(b).await;
    let server = spawn_server(&db.url, &[]).await;
    let base = server.base.as_str();
    let admin = add_user(&db.url, "admin", "District admin");
    let editor = add_user(&db.url, "editor", "Reviewer Rosa");
    let org = add_user(&db.url, "organization", "Pantry org");

    let (s, listing) = send_as(
        base,
        reqwest::Method::POST,
        "/collections/assets/items",
        &org,
        Some(common::feature("Audited pantry")),
    )
    .await;
    assert_eq!(s, 201);
    let id = listing["id"].as_str().expect("id").to_owned();
    let (s, _) = send_as(
        base,
        reqwest::Method::POST,
        &format!("/review/{id}/approve"),
        &editor,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = send_as(
        base,
        reqwest::Method::DELETE,
        &format!("/collections/assets/items/{id}"),
        &editor,
        None,
    )
    .await;
    assert_eq!(s, 204);
    let out = cli(&["user", "revoke", "--name", "Pantry org"], &db.url);
    assert!(out.status.success());

    let (s, log) = get_as(base, "/audit", &admin).await;
    assert_eq!(s, 200, "{log}");
    let entries = log["entries"].as_array().expect("entries");
    let find = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} in {log}"))
    };
    assert_eq!(find("approved")["user_name"], "Reviewer Rosa");
    assert_eq!(find("approved")["target"], json!(format!("asset {id}")));
    assert_eq!(find("deleted")["user_name"], "Reviewer Rosa");
    assert_eq!(find("token revoked")["detail"]["name"], "Pantry org");
    // Newest first; the organization's own submission is not an operator's action.
    assert_eq!(entries[0]["action"], "token revoked");
    assert!(entries.iter().all(|e| e["action"] != "submitted"));
    // Admins only.
    assert_eq!(get_as(base, "/audit", &editor).await.0, 403);
    let anon = reqwest::get(format!("{base}/audit")).await.expect("GET");
    assert_eq!(anon.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_whole() {
    let db = TempDb::new(Backend::Sqlite).await;
    let server = spawn_server(&db.url, &[]).await;
    let editor = add_user(&db.url, "editor", "Editor");
    let (s, kept) = send_as(
        &server.base,
        reqwest::Method::POST,
        "/collections/assets/items",
        &editor,
        Some(common::feature("Kept by the backup")),
    )
    .await;
    assert_eq!(s, 201);
    let kept_id = kept["id"].as_str().expect("id").to_owned();

    // Taken while the server serves (and writes).
    let file = db.dir.path().join("backup.db");
    let writer = {
        let base = server.base.clone();
        let editor = editor.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let (s, _) = send_as(
                    &base,
                    reqwest::Method::POST,
                    "/collections/assets/items",
                    &editor,
                    Some(common::feature(&format!("During the backup {i}"))),
                )
                .await;
                assert_eq!(s, 201);
            }
        })
    };
    let out = cli(&["backup", file.to_str().expect("path")], &db.url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    writer.await.expect("writer");
    // A second backup to the same file is refused.
    assert!(
        !cli(&["backup", file.to_str().expect("path")], &db.url)
            .status
            .success()
    );

    // After the backup the asset is deleted; the restored copy still has it.
    let (s, _) = send_as(
        &server.base,
        reqwest::Method::DELETE,
        &format!("/collections/assets/items/{kept_id}"),
        &editor,
        None,
    )
    .await;
    assert_eq!(s, 204);
    drop(server);
    let restored_url = format!("sqlite://{}", db.dir.path().join("restored.db").display());
    let out = cli(&["restore", file.to_str().expect("path")], &restored_url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("assets"));
    let again = cli(&["restore", file.to_str().expect("path")], &restored_url);
    assert!(
        !again.status.success(),
        "an existing database is replaced only with --force"
    );
    let restored = spawn_server(&restored_url, &["--no-demo"]).await;
    let r = reqwest::get(format!(
        "{}/collections/assets/items/{kept_id}",
        restored.base
    ))
    .await
    .expect("GET");
    assert_eq!(r.status().as_u16(), 200);
    // The users came back too: the editor's token works on the restored copy.
    assert_eq!(get_as(&restored.base, "/review", &editor).await.0, 200);

    // Not a database: refused, nothing replaced.
    let junk = db.dir.path().join("junk.db");
    std::fs::write(&junk, "not a database").expect("write");
    let out = cli(
        &["restore", junk.to_str().expect("path"), "--force"],
        &restored_url,
    );
    assert!(!out.status.success());
    let r = reqwest::get(format!(
        "{}/collections/assets/items/{kept_id}",
        restored.base
    ))
    .await
    .expect("GET");
    assert_eq!(
        r.status().as_u16(),
        200,
        "the restored database is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgis_backups_point_to_pg_dump() {
    let db = TempDb::new(Backend::Postgres).await;
    let out = cli(&["migrate"], &db.url);
    assert!(out.status.success());
    let file = db.dir.path().join("pg.db");
    let out = cli(&["backup", file.to_str().expect("path")], &db.url);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}
