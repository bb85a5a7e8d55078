//! Nothing unreviewed goes public: an organization signs up, submits, edits;
//! editors review with a diff and possible duplicates; approve and reject; the
//! history shows each step. On both stores.

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Backend, add_user, call, get_json};

on_both_stores!(submit_review_approve_edit_reject);

async fn send(
    router: &axum::Router,
    method: &str,
    uri: &str,
    token: &str,
    body: &Value,
) -> (StatusCode, Value) {
    common::send_as(router, method, uri, token, Some(body)).await
}

async fn get_as(router: &axum::Router, uri: &str, token: &str) -> (StatusCode, Value) {
    let auth = format!("Bearer {token}");
    let (status, _, bytes) = call(router, "GET", uri, &[("authorization", &auth)]).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn submit_review_approve_edit_reject(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let router = assetmap::http::router(state)
        .layer(MockConnectInfo(SocketAddr::from(([198, 51, 100, 1], 1))));
    let editor = add_user(&db.url, "editor", "District editor");

    // Sign up.
    let (status, org) = send(
        &router,
        "POST",
        "/organizations",
        "",
        &json!({"name": "Ballard Neighbors", "contact_name": "Lee", "email": "lee@example.org"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = org["token"].as_str().expect("token").to_owned();
    let (_, other) = send(
        &router,
        "POST",
        "/organizations",
        "",
        &json!({"name": "Another Org", "contact_name": "Kim", "email": "kim@example.org"}),
    )
    .await;
    let other = other["token"].as_str().expect("token").to_owned();

    // Submit a listing 20 m from an existing asset with a similar name.
    let (_, existing) = get_json(
        &router,
        "/collections/assets/items?q=Ballard%20Community%20Center&limit=1",
    )
    .await;
    let c = &existing["features"][0]["geometry"]["coordinates"];
    let (lon, lat) = (
        c[0].as_f64().expect("lon") + 0.0002,
        c[1].as_f64().expect("lat"),
    );
    let feature = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": "Ballard Community Center Youth Room", "category": "youth_programs", "phone": "206-555-0101"}});
    let (status, created) = send(
        &router,
        "POST",
        "/collections/assets/items",
        &token,
        &feature,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["properties"]["status"], "pending");
    let id = created["id"].as_str().expect("id").to_owned();
    let item = format!("/collections/assets/items/{id}");

    // Invisible to the public until approved.
    let (status, _) = get_json(&router, &item).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, search) = get_json(&router, "/collections/assets/items?q=Youth%20Room").await;
    assert_eq!(search["numberMatched"], 0);

    // The queue: for editors only, with the diff and the possible duplicate.
    let (status, _) = get_as(&router, "/review", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(&router, "GET", "/review", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, queue) = get_as(&router, "/review", &editor).await;
    assert_eq!(status, StatusCode::OK);
    let entry = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["asset_id"] == id.as_str())
        .expect("queued");
    assert_eq!(entry["kind"], "new listing");
    assert!(
        entry["diff"]
            .as_array()
            .expect("diff")
            .iter()
            .any(|d| d["field"] == "name")
    );
    let dups = entry["possible_duplicates"].as_array().expect("dups");
    assert!(
        dups.iter().any(|d| d["name"] == "Ballard Community Center"),
        "{dups:?}"
    );

    // Approve: public, and verified today.
    let (status, approved) = send(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(approved["properties"]["last_verified"], today.as_str());
    let (status, public) = get_json(&router, &item).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(public["properties"]["phone"], "206-555-0101");

    // An edit of the published listing is held; the published version stays.
    let (status, _) = send(
        &router,
        "PATCH",
        &item,
        &token,
        &json!({"properties": {"phone": "206-555-0199"}}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, public) = get_json(&router, &item).await;
    assert_eq!(public["properties"]["phone"], "206-555-0101");
    let (_, queue) = get_as(&router, "/review", &editor).await;
    let entry = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["asset_id"] == id.as_str())
        .expect("queued");
    assert_eq!(entry["kind"], "change to a published listing");
    assert_eq!(
        entry["diff"],
        json!([{"field": "phone", "old": "206-555-0101", "new": "206-555-0199"}])
    );
    let (status, _) = send(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, public) = get_json(&router, &item).await;
    assert_eq!(public["properties"]["phone"], "206-555-0199");

    // Another edit, rejected with a reason the organization can read.
    let (status, _) = send(
        &router,
        "PATCH",
        &item,
        &token,
        &json!({"properties": {"name": "Totally Different Place"}}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = send(
        &router,
        "POST",
        &format!("/review/{id}/reject"),
        &editor,
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason is required");
    let (status, _) = send(
        &router,
        "POST",
        &format!("/review/{id}/reject"),
        &editor,
        &json!({"reason": "The name must be the place's real name."}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, public) = get_json(&router, &item).await;
    assert_eq!(
        public["properties"]["name"],
        "Ballard Community Center Youth Room"
    );
    let (status, _) = send(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        &Value::Null,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "nothing awaits review any more"
    );

    // Nobody changes what is not theirs.
    let (status, _) = send(
        &router,
        "PATCH",
        &item,
        &other,
        &json!({"properties": {"phone": "206-555-0000"}}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get_as(&router, &format!("{item}/history"), &other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The history shows each step, for the owner and for editors.
    let (status, history) = get_as(&router, &format!("{item}/history"), &token).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = history["history"]
        .as_array()
        .expect("h")
        .iter()
        .filter_map(|h| h["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        vec![
            "submitted",
            "approved",
            "revision submitted",
            "approved",
            "revision submitted",
            "rejected"
        ]
    );
    let last = history["history"]
        .as_array()
        .expect("h")
        .last()
        .expect("last");
    assert_eq!(
        last["changes"]["reason"],
        "The name must be the place's real name."
    );
    let (status, _) = get_as(&router, &format!("{item}/history"), &editor).await;
    assert_eq!(status, StatusCode::OK);

    // The owner may ask to take its published listing down: it stays public
    // until a reviewer approves the deletion.
    let (status, _, _) = call(
        &router,
        "DELETE",
        &item,
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = get_json(&router, &item).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "still public while the request waits"
    );
    let (_, queue) = get_as(&router, "/review", &editor).await;
    let request = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["asset_id"] == json!(id))
        .expect("the request is in the queue");
    assert_eq!(request["kind"], "request to delete a published listing");
    let (status, _) = send(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = get_json(&router, &item).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
