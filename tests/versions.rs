//! Versions, on both stores: every asset has an ETag; `If-Match` on PUT,
//! PATCH and DELETE refuses a stale version with 412 and changes nothing; two
//! PATCHes at once never lose one another; a reviewer's approval stands only
//! for the version they saw (409 after the listing changed).

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Backend, add_user, call, call_with, feature, send_as};

on_both_stores!(
    if_match_refuses_a_stale_version,
    concurrent_patches_never_lose_an_acknowledged_write,
    approval_stands_only_for_the_version_seen
);

async fn patch(
    router: &axum::Router,
    uri: &str,
    token: &str,
    body: &Value,
    if_match: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let auth = format!("Bearer {token}");
    let mut headers = vec![
        ("content-type", "application/merge-patch+json"),
        ("authorization", auth.as_str()),
    ];
    if let Some(m) = if_match {
        headers.push(("if-match", m));
    }
    let (s, h, b) = call_with(
        router,
        "PATCH",
        uri,
        &headers,
        serde_json::to_vec(body).expect("json"),
    )
    .await;
    (s, h, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

async fn setup(b: Backend) -> (common::TempDb, axum::Router, String, String) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, false).await;
    let router = assetmap::http::router(state)
        .layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 44], 1))));
    let editor = add_user(&db.url, "editor", "Editor");
    let (s, created) = send_as(
        &router,
        "POST",
        "/collections/assets/items",
        &editor,
        Some(&feature("Versioned")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let item = format!(
        "/collections/assets/items/{}",
        created["id"].as_str().expect("id")
    );
    (db, router, editor, item)
}

async fn if_match_refuses_a_stale_version(b: Backend) {
    let (_db, router, editor, item) = setup(b).await;
    let (s, h, _) = call(&router, "GET", &item, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["etag"], "\"1\"");

    let (s, h, _) = patch(
        &router,
        &item,
        &editor,
        &json!({"properties": {"phone": "206-555-0101"}}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["etag"], "\"2\"");
    let (_, h, _) = call(&router, "GET", &item, &[]).await;
    assert_eq!(
        h["etag"], "\"2\"",
        "the index serves the new version's ETag"
    );

    // Stale: 412, the current ETag, the header named, nothing changed.
    let (s, h, p) = patch(
        &router,
        &item,
        &editor,
        &json!({"properties": {"phone": "206-555-0102"}}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{p}");
    assert_eq!(h["etag"], "\"2\"");
    assert_eq!(p["errors"][0]["name"], "If-Match");
    let auth = format!("Bearer {editor}");
    for (method, body) in [
        (
            "PUT",
            serde_json::to_vec(&feature("Replaced")).expect("json"),
        ),
        ("DELETE", Vec::new()),
    ] {
        let (s, _, _) = call_with(
            &router,
            method,
            &item,
            &[
                ("content-type", "application/geo+json"),
                ("authorization", &auth),
                ("if-match", "\"1\""),
            ],
            body,
        )
        .await;
        assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{method}");
    }
    let (_, _, body) = call(&router, "GET", &item, &[]).await;
    let now: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(now["properties"]["phone"], "206-555-0101");
    assert_eq!(now["properties"]["name"], "Versioned");

    // Not an ETag we gave: 400 naming the header. `*`: any version.
    let (s, _, p) = patch(
        &router,
        &item,
        &editor,
        &json!({"properties": {"phone": "206-555-0103"}}),
        Some("W/\"2\""),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["errors"][0]["name"], "If-Match");
    let (s, h, _) = patch(
        &router,
        &item,
        &editor,
        &json!({"properties": {"phone": "206-555-0103"}}),
        Some("*"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["etag"], "\"3\"");
    let (s, _, _) = call_with(
        &router,
        "DELETE",
        &item,
        &[("authorization", &auth), ("if-match", "\"3\"")],
        Vec::new(),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

async fn concurrent_patches_never_lose_an_acknowledged_write(b: Backend) {
    let (_db, router, editor, item) = setup(b).await;
    // The same If-Match from two clients at once: exactly one wins.
    for round in 0..5 {
        let (_, h, _) = call(&router, "GET", &item, &[]).await;
        let tag = h["etag"].to_str().expect("etag").to_owned();
        let (ba, bb) = (
            json!({"properties": {"hours": format!("a{round}")}}),
            json!({"properties": {"hours": format!("b{round}")}}),
        );
        let a = patch(&router, &item, &editor, &ba, Some(&tag));
        let b2 = patch(&router, &item, &editor, &bb, Some(&tag));
        let ((sa, _, _), (sb, _, _)) = tokio::join!(a, b2);
        let mut got = [sa, sb];
        got.sort();
        assert_eq!(
            got,
            [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
            "round {round}"
        );
    }
    // Without If-Match, eight patches of eight fields at once: each is either
    // acknowledged and kept, or refused (409) and not applied; none is lost.
    let fields = [
        "phone",
        "hours",
        "accessibility",
        "ages_served",
        "description",
        "address",
        "email",
        "website",
    ];
    let values = [
        "206-555-0110",
        "Mon 9-5",
        "Ramp",
        "5-12",
        "Desc",
        "9 Way",
        "x@example.org",
        "https://example.com/",
    ];
    let tasks: Vec<_> = fields
        .iter()
        .zip(values)
        .map(|(f, v)| {
            let (router, item, editor) = (router.clone(), item.clone(), editor.clone());
            let body = json!({"properties": {*f: v}});
            tokio::spawn(async move { patch(&router, &item, &editor, &body, None).await.0 })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("task"));
    }
    let (_, _, body) = call(&router, "GET", &item, &[]).await;
    let now: Value = serde_json::from_slice(&body).expect("json");
    for ((f, v), s) in fields.iter().zip(values).zip(&outcomes) {
        match *s {
            StatusCode::OK => assert_eq!(
                now["properties"][*f], v,
                "{f} was acknowledged and must be kept"
            ),
            StatusCode::CONFLICT => assert_ne!(
                now["properties"][*f], v,
                "{f} was refused and must not be applied"
            ),
            other => panic!("{f}: {other}"),
        }
    }
    assert!(outcomes.contains(&StatusCode::OK));
}

async fn approval_stands_only_for_the_version_seen(b: Backend) {
    let (db, router, editor, _) = setup(b).await;
    let org = add_user(&db.url, "organization", "Org");
    let (s, listing) = send_as(
        &router,
        "POST",
        "/collections/assets/items",
        &org,
        Some(&feature("Honest pantry")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = listing["id"].as_str().expect("id").to_owned();
    let item = format!("/collections/assets/items/{id}");

    // The reviewer loads the queue...
    let (_, queue) = send_as(&router, "GET", "/review", &editor, None).await;
    let seen = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["asset_id"] == json!(id))
        .expect("queued")["version"]
        .clone();
    assert_eq!(seen, json!(1));
    // ...the organization swaps in a phishing link meanwhile...
    let (s, _, _) = patch(
        &router,
        &item,
        &org,
        &json!({"properties": {"website": "https://phish.example/login"}}),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // ...and the approval of what the reviewer saw is refused.
    let (s, p) = send_as(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        Some(&json!({"version": seen})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("changed since it was loaded")
    );
    let (s, _, _) = call(&router, "GET", &item, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nothing was published");
    let (s, _) = send_as(
        &router,
        "POST",
        &format!("/review/{id}/reject"),
        &editor,
        Some(&json!({"reason": "no", "version": seen})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "a rejection too");

    // Reloaded, the reviewer sees the link and approves what they now saw.
    let (_, queue) = send_as(&router, "GET", "/review", &editor, None).await;
    let entry = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["asset_id"] == json!(id))
        .expect("queued")
        .clone();
    assert_eq!(
        entry["proposed"]["properties"]["website"],
        "https://phish.example/login"
    );
    let (s, _) = send_as(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        Some(&json!({"version": entry["version"]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // A proposal to a published listing raises its version; the ETag follows.
    let (_, h, _) = call(&router, "GET", &item, &[]).await;
    let before = h["etag"].to_str().expect("etag").to_owned();
    let (s, _, _) = patch(
        &router,
        &item,
        &org,
        &json!({"properties": {"phone": "206-555-0177"}}),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (_, h, _) = call(&router, "GET", &item, &[]).await;
    let after = h["etag"].to_str().expect("etag").to_owned();
    assert_ne!(before, after);
    let (s, _, _) = patch(
        &router,
        &item,
        &editor,
        &json!({"properties": {"hours": "Sat"}}),
        Some(&after),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the ETag served is the one the store holds"
    );
    let (s, p) = send_as(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        Some(&json!({"version": "three"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["errors"][0]["name"], "version");
}
