//! Writing assets through the API as an editor: create, replace, patch, delete;
//! who may write; and bad bodies that are refused field by field and change
//! nothing. On both stores.

use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Backend, add_user, call, call_with, feature, get_json};

on_both_stores!(
    editors_create_replace_patch_and_delete,
    who_may_write,
    bad_bodies_are_refused_field_by_field
);

const GEOJSON: (&str, &str) = ("content-type", "application/geo+json");

async fn setup(b: Backend) -> (common::TempDb, axum::Router, String) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let token = add_user(&db.url, "editor", "District editor");
    (db, assetmap::http::router(state), format!("Bearer {token}"))
}

async fn snapshot(router: &axum::Router) -> Value {
    get_json(router, "/collections/assets/items?limit=10000")
        .await
        .1["features"]
        .clone()
}

async fn editors_create_replace_patch_and_delete(b: Backend) {
    let (db, router, auth) = setup(b).await;
    let auth = auth.as_str();

    // Create.
    let body = serde_json::to_vec(&feature("Ballard Youth Counseling")).expect("json");
    let (status, headers, created) = call_with(
        &router,
        "POST",
        "/collections/assets/items",
        &[GEOJSON, ("authorization", auth)],
        body,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&created)
    );
    let created: Value = serde_json::from_slice(&created).expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(
        headers["location"]
            .to_str()
            .expect("loc")
            .ends_with(&format!("/collections/assets/items/{id}"))
    );
    assert_eq!(created["properties"]["status"], "approved");
    assert_eq!(created["properties"]["funding"], "county");
    let (_, shown) = get_json(&router, &format!("/collections/assets/items/{id}")).await;
    assert_eq!(shown["properties"]["name"], "Ballard Youth Counseling");
    let (_, area) = get_json(
        &router,
        "/collections/assets/items?school=201&category=mental_health",
    )
    .await;
    assert_eq!(
        area["numberMatched"], 1,
        "the new asset is in its school's area"
    );
    let store = assetmap::store::connect(&db.url).await.expect("store");
    let stored = store
        .asset(uuid::Uuid::parse_str(&id).expect("uuid"))
        .await
        .expect("committed");
    assert_eq!(stored.fields.name, "Ballard Youth Counseling");

    // Replace the whole Feature.
    let mut whole = feature("Ballard Youth Counseling Center");
    whole["properties"]["hours"] = json!("Mon-Fri 9-5");
    let (status, _, body) = call_with(
        &router,
        "PUT",
        &format!("/collections/assets/items/{id}"),
        &[GEOJSON, ("authorization", auth)],
        serde_json::to_vec(&whole).expect("json"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (_, shown) = get_json(&router, &format!("/collections/assets/items/{id}")).await;
    assert_eq!(
        shown["properties"]["name"],
        "Ballard Youth Counseling Center"
    );
    assert_eq!(shown["properties"]["hours"], "Mon-Fri 9-5");
    assert_eq!(
        shown["properties"]["created_at"],
        created["properties"]["created_at"]
    );

    // Patch one field (RFC 7396); the rest stays; null removes.
    let patch = json!({"properties": {"phone": "206-555-0199", "hours": null}});
    let (status, _, body) = call_with(
        &router,
        "PATCH",
        &format!("/collections/assets/items/{id}"),
        &[
            ("content-type", "application/merge-patch+json"),
            ("authorization", auth),
        ],
        serde_json::to_vec(&patch).expect("json"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (_, shown) = get_json(&router, &format!("/collections/assets/items/{id}")).await;
    assert_eq!(shown["properties"]["phone"], "206-555-0199");
    assert_eq!(shown["properties"]["hours"], Value::Null);
    assert_eq!(
        shown["properties"]["name"],
        "Ballard Youth Counseling Center"
    );
    assert_eq!(shown["properties"]["funding"], "county");

    // Delete.
    let (status, _, _) = call(
        &router,
        "DELETE",
        &format!("/collections/assets/items/{id}"),
        &[("authorization", auth)],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = get_json(&router, &format!("/collections/assets/items/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        store
            .asset(uuid::Uuid::parse_str(&id).expect("uuid"))
            .await
            .is_err()
    );
    let (status, _, _) = call(
        &router,
        "DELETE",
        &format!("/collections/assets/items/{id}"),
        &[("authorization", auth)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn who_may_write(b: Backend) {
    let (db, router, editor) = setup(b).await;
    let org = format!("Bearer {}", add_user(&db.url, "organization", "Food Bank"));
    let before = snapshot(&router).await;
    let body = serde_json::to_vec(&feature("Unwelcome")).expect("json");
    let (_, existing) = get_json(&router, "/collections/assets/items?limit=1").await;
    let existing = existing["features"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let item = format!("/collections/assets/items/{existing}");
    let cases: Vec<(&str, &str, Option<&str>, StatusCode)> = vec![
        (
            "POST",
            "/collections/assets/items",
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "POST",
            "/collections/assets/items",
            Some("Bearer am_not_a_real_token"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "POST",
            "/collections/assets/items",
            Some("Basic dXNlcjpwYXNz"),
            StatusCode::UNAUTHORIZED,
        ),
        // An organization's new listing waits for review: nothing public changes.
        (
            "POST",
            "/collections/assets/items",
            Some(org.as_str()),
            StatusCode::CREATED,
        ),
        ("PUT", item.as_str(), None, StatusCode::UNAUTHORIZED),
        (
            "PUT",
            item.as_str(),
            Some(org.as_str()),
            StatusCode::FORBIDDEN,
        ),
        ("PATCH", item.as_str(), None, StatusCode::UNAUTHORIZED),
        ("DELETE", item.as_str(), None, StatusCode::UNAUTHORIZED),
        (
            "DELETE",
            item.as_str(),
            Some(org.as_str()),
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/collections/schools/items",
            Some(editor.as_str()),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "DELETE",
            "/collections/schools/items/201",
            Some(editor.as_str()),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (method, uri, auth, want) in cases {
        let mut headers = vec![GEOJSON];
        if let Some(a) = auth {
            headers.push(("authorization", a));
        }
        let (status, h, problem) = call_with(&router, method, uri, &headers, body.clone()).await;
        assert_eq!(
            status,
            want,
            "{method} {uri} as {auth:?}: {}",
            String::from_utf8_lossy(&problem)
        );
        if !want.is_success() {
            assert_eq!(h["content-type"], "application/problem+json");
        }
        if want == StatusCode::UNAUTHORIZED {
            assert_eq!(h["www-authenticate"], "Bearer");
        }
        assert_eq!(
            snapshot(&router).await,
            before,
            "{method} {uri} changed data"
        );
    }
}

async fn bad_bodies_are_refused_field_by_field(b: Backend) {
    let (_db, router, auth) = setup(b).await;
    let before = snapshot(&router).await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = feature("Good Name");
        f(&mut v);
        serde_json::to_vec(&v).expect("json")
    };
    let cases: Vec<(&str, Vec<u8>, &str, StatusCode)> = vec![
        (
            "malformed JSON",
            b"{\"type\": \"Feature\",".to_vec(),
            "body",
            StatusCode::BAD_REQUEST,
        ),
        (
            "not an object",
            b"[1, 2]".to_vec(),
            "body",
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong type",
            with(&|v| v["type"] = json!("FeatureCollection")),
            "type",
            StatusCode::BAD_REQUEST,
        ),
        (
            "no geometry",
            with(&|v| v["geometry"] = Value::Null),
            "geometry",
            StatusCode::BAD_REQUEST,
        ),
        (
            "polygon",
            with(&|v| {
                v["geometry"] =
                    json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
            }),
            "geometry",
            StatusCode::BAD_REQUEST,
        ),
        (
            "latitude 91",
            with(&|v| v["geometry"]["coordinates"] = json!([-122.3, 91])),
            "geometry.coordinates",
            StatusCode::BAD_REQUEST,
        ),
        (
            "string coordinates",
            with(&|v| v["geometry"]["coordinates"] = json!(["a", "b"])),
            "geometry.coordinates",
            StatusCode::BAD_REQUEST,
        ),
        (
            "no properties",
            with(&|v| v["properties"] = json!("none")),
            "properties",
            StatusCode::BAD_REQUEST,
        ),
        (
            "empty name",
            with(&|v| v["properties"]["name"] = json!("  ")),
            "properties.name",
            StatusCode::BAD_REQUEST,
        ),
        (
            "numeric name",
            with(&|v| v["properties"]["name"] = json!(42)),
            "properties.name",
            StatusCode::BAD_REQUEST,
        ),
        (
            "long name",
            with(&|v| v["properties"]["name"] = json!("x".repeat(201))),
            "properties.name",
            StatusCode::BAD_REQUEST,
        ),
        (
            "markup in name",
            with(&|v| v["properties"]["name"] = json!("<script>alert(1)</script>")),
            "properties.name",
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown category",
            with(&|v| v["properties"]["category"] = json!("spaceport")),
            "properties.category",
            StatusCode::BAD_REQUEST,
        ),
        (
            "no category",
            with(&|v| {
                v["properties"]
                    .as_object_mut()
                    .expect("o")
                    .remove("category");
            }),
            "properties.category",
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad email",
            with(&|v| v["properties"]["email"] = json!("not-an-address")),
            "properties.email",
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad website",
            with(&|v| v["properties"]["website"] = json!("javascript:alert(1)")),
            "properties.website",
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad phone",
            with(&|v| v["properties"]["phone"] = json!("call us")),
            "properties.phone",
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad language",
            with(&|v| v["properties"]["languages"] = json!(["english"])),
            "properties.languages",
            StatusCode::BAD_REQUEST,
        ),
        (
            "languages not a list",
            with(&|v| v["properties"]["languages"] = json!("en")),
            "properties.languages",
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad date",
            with(&|v| v["properties"]["last_verified"] = json!("yesterday")),
            "properties.last_verified",
            StatusCode::BAD_REQUEST,
        ),
        (
            "oversized",
            with(&|v| v["properties"]["description"] = json!("x".repeat(1 << 20))),
            "body",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "no type",
            with(&|v| {
                v.as_object_mut().expect("o").remove("type");
            }),
            "type",
            StatusCode::BAD_REQUEST,
        ),
        (
            "geometry not an object",
            with(&|v| v["geometry"] = json!("here")),
            "geometry",
            StatusCode::BAD_REQUEST,
        ),
        (
            "a MultiPoint",
            with(&|v| v["geometry"] = json!({"type": "MultiPoint", "coordinates": [[0, 0]]})),
            "geometry",
            StatusCode::BAD_REQUEST,
        ),
        (
            "longitude 181",
            with(&|v| v["geometry"]["coordinates"] = json!([181, 47])),
            "geometry.coordinates",
            StatusCode::BAD_REQUEST,
        ),
        (
            "one coordinate",
            with(&|v| v["geometry"]["coordinates"] = json!([-122.3])),
            "geometry.coordinates",
            StatusCode::BAD_REQUEST,
        ),
        (
            "NaN as text",
            with(&|v| v["geometry"]["coordinates"] = json!(["NaN", 47])),
            "geometry.coordinates",
            StatusCode::BAD_REQUEST,
        ),
        (
            "name as a list",
            with(&|v| v["properties"]["name"] = json!(["a", "b"])),
            "properties.name",
            StatusCode::BAD_REQUEST,
        ),
        (
            "control character in the name",
            with(&|v| v["properties"]["name"] = json!("Bell\u{7} Hall")),
            "properties.name",
            StatusCode::BAD_REQUEST,
        ),
        (
            "category as a number",
            with(&|v| v["properties"]["category"] = json!(5)),
            "properties.category",
            StatusCode::BAD_REQUEST,
        ),
        (
            "description too long",
            with(&|v| v["properties"]["description"] = json!("d".repeat(4001))),
            "properties.description",
            StatusCode::BAD_REQUEST,
        ),
        (
            "address as an object",
            with(&|v| v["properties"]["address"] = json!({"street": "x"})),
            "properties.address",
            StatusCode::BAD_REQUEST,
        ),
        (
            "services not a list",
            with(&|v| v["properties"]["services"] = json!("meals")),
            "properties.services",
            StatusCode::BAD_REQUEST,
        ),
        (
            "hours too long",
            with(&|v| v["properties"]["hours"] = json!("h".repeat(1001))),
            "properties.hours",
            StatusCode::BAD_REQUEST,
        ),
        (
            "e-mail with a space",
            with(&|v| v["properties"]["email"] = json!("a b@example.org")),
            "properties.email",
            StatusCode::BAD_REQUEST,
        ),
        (
            "phone too short",
            with(&|v| v["properties"]["phone"] = json!("123")),
            "properties.phone",
            StatusCode::BAD_REQUEST,
        ),
    ];
    assert!(cases.len() >= 30, "the table holds at least 30 bad bodies");
    for (what, body, field, want) in cases {
        let (status, h, problem) = call_with(
            &router,
            "POST",
            "/collections/assets/items",
            &[GEOJSON, ("authorization", auth.as_str())],
            body,
        )
        .await;
        assert_eq!(
            status,
            want,
            "{what}: {}",
            String::from_utf8_lossy(&problem)
        );
        assert_eq!(h["content-type"], "application/problem+json", "{what}");
        let p: Value = serde_json::from_slice(&problem).expect("problem");
        let names: Vec<&str> = p["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            names.contains(&field),
            "{what}: expected {field} in {names:?}"
        );
    }
    // Several problems come back together.
    let body = with(&|v| {
        v["properties"]["email"] = json!("x");
        v["properties"]["website"] = json!("y");
        v["geometry"]["coordinates"] = json!([200, 0]);
    });
    let (status, _, problem) = call_with(
        &router,
        "POST",
        "/collections/assets/items",
        &[GEOJSON, ("authorization", auth.as_str())],
        body,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let p: Value = serde_json::from_slice(&problem).expect("problem");
    assert_eq!(p["errors"].as_array().expect("errors").len(), 3, "{p}");
    // The wrong media type.
    let (status, _, _) = call_with(
        &router,
        "POST",
        "/collections/assets/items",
        &[
            ("content-type", "text/plain"),
            ("authorization", auth.as_str()),
        ],
        with(&|_| {}),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(snapshot(&router).await, before);
}
