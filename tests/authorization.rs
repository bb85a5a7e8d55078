//! Who may do what: every asset write and review endpoint × every kind of
//! caller (the partnership routes are in `tests/partnerships.rs`), each expected
//! status asserted and the data checked unchanged after every refusal; 50
//! organizations submitting at once; and no token in the server's log.

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Backend, add_user, call, call_with, feature};

on_both_stores!(the_authorization_matrix, fifty_organizations_at_once);

/// Everything a caller could change, as seen by an editor.
async fn state_of(router: &axum::Router, editor: &str) -> Value {
    let auth = format!("Bearer {editor}");
    let (_, _, items) = call(router, "GET", "/collections/assets/items?limit=10000", &[]).await;
    let (_, _, queue) = call(router, "GET", "/review", &[("authorization", &auth)]).await;
    let items: Value = serde_json::from_slice(&items).expect("items");
    let mut queue: Value = serde_json::from_slice(&queue).expect("queue");
    for item in queue["items"].as_array_mut().expect("items") {
        item.as_object_mut()
            .expect("o")
            .remove("possible_duplicates");
    }
    json!({"items": items["features"], "queue": queue})
}

async fn the_authorization_matrix(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let router =
        assetmap::http::router(state).layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 1], 1))));
    let editor = add_user(&db.url, "editor", "Editor");
    let admin = add_user(&db.url, "admin", "Admin");
    let owner = add_user(&db.url, "organization", "Owner org");
    let stranger = add_user(&db.url, "organization", "Another org");
    let staff = common::add_user_with(&db.url, "school", "School staff", &["--school", "201"]);

    // The owner's listing: published, with a pending change; and a new pending one.
    let post = |token: &str, body: Value| {
        let auth = format!("Bearer {token}");
        let router = router.clone();
        async move {
            let (s, _, b) = call_with(
                &router,
                "POST",
                "/collections/assets/items",
                &[
                    ("content-type", "application/geo+json"),
                    ("authorization", &auth),
                ],
                serde_json::to_vec(&body).expect("json"),
            )
            .await;
            (
                s,
                serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null),
            )
        }
    };
    let (_, listed) = post(&owner, feature("Owner's Food Pantry")).await;
    let listed = listed["id"].as_str().expect("id").to_owned();
    let (s, _, _) = call(
        &router,
        "POST",
        &format!("/review/{listed}/approve"),
        &[("authorization", &format!("Bearer {editor}"))],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, pending) = post(&owner, feature("Owner's New Clinic")).await;
    let pending = pending["id"].as_str().expect("id").to_owned();

    let body = serde_json::to_vec(&feature("Changed Name")).expect("json");
    let patch =
        serde_json::to_vec(&json!({"properties": {"phone": "206-555-0123"}})).expect("json");
    let reason = serde_json::to_vec(&json!({"reason": "not a real place"})).expect("json");
    let item = format!("/collections/assets/items/{listed}");
    let endpoints: Vec<(&str, String, &[u8], &str)> = vec![
        (
            "POST",
            "/collections/assets/items".into(),
            &body,
            "application/geo+json",
        ),
        ("PUT", item.clone(), &body, "application/geo+json"),
        (
            "PATCH",
            item.clone(),
            &patch,
            "application/merge-patch+json",
        ),
        ("DELETE", item.clone(), b"", "application/json"),
        (
            "POST",
            format!("/review/{pending}/approve"),
            b"",
            "application/json",
        ),
        (
            "POST",
            format!("/review/{pending}/reject"),
            &reason,
            "application/json",
        ),
    ];
    // Refusals only: each must leave everything as it was.
    let callers: Vec<(&str, Option<String>)> = vec![
        ("nobody", None),
        ("a bad token", Some("Bearer am_0000".into())),
        ("another organization", Some(format!("Bearer {stranger}"))),
        // School staff keep partnerships, and write no asset and review nothing.
        ("school staff", Some(format!("Bearer {staff}"))),
    ];
    let expected = |who: &str, method: &str, path: &str| -> StatusCode {
        match who {
            "nobody" | "a bad token" => StatusCode::UNAUTHORIZED,
            "school staff" => StatusCode::FORBIDDEN,
            // Another organization may add its own listing, never change this one or review.
            _ if method == "POST" && path == "/collections/assets/items" => StatusCode::CREATED,
            _ => StatusCode::FORBIDDEN,
        }
    };
    for (who, auth) in &callers {
        for (method, path, body, ct) in &endpoints {
            let before = state_of(&router, &editor).await;
            let mut headers = vec![("content-type", *ct)];
            if let Some(a) = auth {
                headers.push(("authorization", a.as_str()));
            }
            let (status, _, answer) =
                call_with(&router, method, path, &headers, body.to_vec()).await;
            let want = expected(who, method, path);
            assert_eq!(
                status,
                want,
                "{method} {path} as {who}: {}",
                String::from_utf8_lossy(&answer)
            );
            if want == StatusCode::CREATED {
                continue;
            }
            let after = state_of(&router, &editor).await;
            assert_eq!(after, before, "{method} {path} as {who} changed data");
        }
    }
    // The owner: may change its own listing (held for review), not review.
    for (method, path, want) in [
        ("PATCH", item.clone(), StatusCode::ACCEPTED),
        (
            "POST",
            format!("/review/{pending}/approve"),
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            format!("/review/{pending}/reject"),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let ct = if method == "PATCH" {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        let payload = if method == "PATCH" {
            patch.clone()
        } else {
            reason.clone()
        };
        let (status, _, _) = call_with(
            &router,
            method,
            &path,
            &[
                ("content-type", ct),
                ("authorization", &format!("Bearer {owner}")),
            ],
            payload,
        )
        .await;
        assert_eq!(status, want, "{method} {path} as the owner");
    }
    // Editors and admins: everything.
    for (token, name) in [
        (&editor, "Edited by the editor"),
        (&admin, "Edited by the admin"),
    ] {
        let body = serde_json::to_vec(&feature(name)).expect("json");
        let (status, _, _) = call_with(
            &router,
            "PUT",
            &item,
            &[
                ("content-type", "application/geo+json"),
                ("authorization", &format!("Bearer {token}")),
            ],
            body,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _, _) = call_with(
        &router,
        "POST",
        &format!("/review/{pending}/reject"),
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {admin}")),
        ],
        reason.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(
        &router,
        "DELETE",
        &item,
        &[("authorization", &format!("Bearer {admin}"))],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn fifty_organizations_at_once(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (store, _, mut state) = common::app(&db.url, false).await;
    state.shared_mut().expect("not shared yet").signups = std::sync::Arc::new(
        assetmap::http::limit::RateLimit::new(1000, std::time::Duration::from_secs(60)),
    );
    let router =
        assetmap::http::router(state).layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 2], 1))));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let router = router.clone();
        tasks.push(tokio::spawn(async move {
            let signup = json!({"name": format!("Organization {i}"), "contact_name": "C", "email": format!("org{i}@example.org")});
            let (s, _, b) = call_with(&router, "POST", "/organizations", &[("content-type", "application/json")], serde_json::to_vec(&signup).expect("json")).await;
            assert_eq!(s, StatusCode::CREATED);
            let token = serde_json::from_slice::<Value>(&b).expect("json")["token"].as_str().expect("token").to_owned();
            let listing = feature(&format!("Listing of organization {i}"));
            let (s, _, b) = call_with(&router, "POST", "/collections/assets/items", &[("content-type", "application/geo+json"), ("authorization", &format!("Bearer {token}"))], serde_json::to_vec(&listing).expect("json")).await;
            assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
            let id = serde_json::from_slice::<Value>(&b).expect("json")["id"].as_str().expect("id").to_owned();
            (i, token, id)
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("task"));
    }
    // Nothing lost, nothing mixed up: each listing is its organization's, with its name.
    let pending = store
        .assets_with_status(assetmap::domain::Status::Pending)
        .await
        .expect("pending");
    assert_eq!(pending.len(), 50);
    for (i, token, id) in &results {
        let asset = pending
            .iter()
            .find(|a| a.id.to_string() == *id)
            .expect("stored");
        assert_eq!(asset.fields.name, format!("Listing of organization {i}"));
        let owner = store
            .owner_of(asset.id)
            .await
            .expect("owner")
            .expect("has one");
        let user = store
            .user_by_token_hash(&assetmap::domain::user::token_hash(token))
            .await
            .expect("user")
            .expect("exists");
        assert_eq!(owner, user.id);
        assert_eq!(user.name, format!("Organization {i}"));
    }
}
