//! A family's suggestion from the public form through review to the map, on
//! both stores: accepted without a token (202), never public before approval,
//! shown to reviewers as a family's suggestion with possible duplicates and the
//! family's contact, which never becomes public; bots (the honeypot) dropped,
//! bad input named, one client address limited.

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Backend, add_user, call, call_with, get_json, send_as};

on_both_stores!(a_suggestion_goes_through_review_to_the_map);

async fn post(router: &axum::Router, body: &Value) -> (StatusCode, Value) {
    let (s, _, b) = call_with(
        router,
        "POST",
        "/suggestions",
        &[("content-type", "application/geo+json")],
        serde_json::to_vec(body).expect("json"),
    )
    .await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

fn suggestion(name: &str, lon: f64, lat: f64, more: Value) -> Value {
    let mut props = json!({
        "name": name,
        "category": "food",
        "how_known": "We pick up bags there on Fridays",
        "contact": "maria.family@example.org",
    });
    for (k, v) in more.as_object().expect("object") {
        props[k] = v.clone();
    }
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
}

async fn a_suggestion_goes_through_review_to_the_map(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (store, _, state) = common::app(&db.url, true).await;
    let router = assetmap::http::router(state)
        .layer(MockConnectInfo(SocketAddr::from(([198, 51, 100, 7], 1))));
    let editor = add_user(&db.url, "editor", "Editor");
    let count = || async { store.counts().await.expect("counts").assets };
    let before = count().await;

    // Next to a published asset with a similar name: a possible duplicate.
    let (_, near) = get_json(
        &router,
        "/collections/assets/items?near=-122.3847604,47.6686841&category=food&limit=1",
    )
    .await;
    let existing = &near["features"][0];
    let c = &existing["geometry"]["coordinates"];
    let (lon, lat) = (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
    let dup_name = existing["properties"]["name"]
        .as_str()
        .expect("name")
        .to_owned();

    let (s, answer) = post(
        &router,
        &suggestion(
            "Corner Food Pantry",
            -122.3901,
            47.6740,
            json!({"address": "1 Test Way"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{answer}");
    let (s, _) = post(
        &router,
        &suggestion(&format!("{dup_name} stall"), lon + 0.0001, lat, json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(count().await, before + 2);

    // A bot fills the hidden field: answered alike, kept nowhere.
    let (s, _) = post(
        &router,
        &suggestion("Cheap pills", -122.39, 47.67, json!({"nickname": "bot"})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(count().await, before + 2);

    // Bad input: named, nothing kept.
    for (body, field) in [
        (suggestion("", -122.39, 47.67, json!({})), "properties.name"),
        (
            suggestion("X", 500.0, 47.67, json!({})),
            "geometry.coordinates",
        ),
        (
            suggestion(
                "X",
                -122.39,
                47.67,
                json!({"website": "javascript:alert(1)"}),
            ),
            "properties.website",
        ),
        (
            suggestion(
                "X",
                -122.39,
                47.67,
                json!({"source": "211", "status": "approved"}),
            ),
            "properties.source",
        ),
        (
            suggestion("X", -122.39, 47.67, json!({"contact": "x".repeat(201)})),
            "properties.contact",
        ),
    ] {
        let (s, p) = post(&router, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        assert!(
            p["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["name"] == field),
            "{field} in {p}"
        );
    }
    assert_eq!(count().await, before + 2);

    // Not public: neither listed nor readable by id.
    let (_, all) = get_json(&router, "/collections/assets/items?limit=10000").await;
    let text = all.to_string();
    assert!(!text.contains("Corner Food Pantry") && !text.contains("maria.family"));

    // The review queue: a family's suggestion, with how they know it, the
    // contact, and the possible duplicate.
    let (s, queue) = send_as(&router, "GET", "/review", &editor, None).await;
    assert_eq!(s, StatusCode::OK);
    let items = queue["items"].as_array().expect("items");
    let corner = items
        .iter()
        .find(|i| i["proposed"]["properties"]["name"] == "Corner Food Pantry")
        .expect("in the queue");
    assert_eq!(corner["kind"], "family suggestion");
    assert_eq!(corner["suggestion"]["contact"], "maria.family@example.org");
    assert_eq!(
        corner["suggestion"]["how_known"],
        "We pick up bags there on Fridays"
    );
    assert!(
        corner["proposed"]
            .to_string()
            .find("maria.family")
            .is_none()
    );
    let stall = items
        .iter()
        .find(|i| i["proposed"]["properties"]["name"] == json!(format!("{dup_name} stall")))
        .expect("in the queue");
    assert_eq!(stall["possible_duplicates"][0]["name"], json!(dup_name));

    // Approved: on the map, without the family's contact.
    let id = corner["asset_id"].as_str().expect("id");
    let (s, _) = send_as(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, body) = call(
        &router,
        "GET",
        &format!("/collections/assets/items/{id}"),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("Corner Food Pantry"));
    assert!(
        !text.contains("maria.family") && !text.contains("Fridays"),
        "{text}"
    );
    let (_, page) = get_json(&router, "/collections/assets/items?q=Corner%20Food&limit=5").await;
    assert_eq!(page["features"][0]["id"], json!(id));

    // One client address may suggest ten an hour (two above and a bot and five refusals used eight).
    let mut statuses = Vec::new();
    for i in 0..3 {
        statuses.push(
            post(
                &router,
                &suggestion(&format!("Pantry {i}"), -122.39, 47.67, json!({})),
            )
            .await
            .0,
        );
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}
