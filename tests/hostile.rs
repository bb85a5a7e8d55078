//! A hostile organization, on both stores: it cannot set or change provenance
//! (what the district's imports match on), cannot fill the review queue without
//! end, cannot grow a listing without end through its extra properties, and a
//! second change of its keeps the first; nothing is kept of a refusal; and a
//! district import never takes over a listing an organization owns.

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Backend, add_user, feature, send_as, sql};

on_both_stores!(
    organizations_cannot_squat_provenance,
    an_import_never_adopts_an_organizations_listing,
    the_review_queue_is_bounded_per_organization,
    a_second_patch_keeps_the_first,
    huge_extras_are_refused,
    cheap_denials_are_refused_quickly
);

async fn setup(b: Backend, max_pending: u64) -> (common::TempDb, axum::Router, String, String) {
    let db = common::TempDb::new(b).await;
    let (_, _, mut state) = common::app(&db.url, false).await;
    state.shared_mut().expect("not shared yet").max_pending = max_pending;
    let router = assetmap::http::router(state)
        .layer(MockConnectInfo(SocketAddr::from(([203, 0, 113, 5], 1))));
    let org = add_user(&db.url, "organization", "Org");
    let editor = add_user(&db.url, "editor", "Editor");
    (db, router, org, editor)
}

async fn pending(db: &common::TempDb) -> usize {
    let store = assetmap::store::connect(&db.url).await.expect("store");
    store
        .assets_with_status(assetmap::domain::Status::Pending)
        .await
        .expect("pending")
        .len()
        + store.revisions().await.expect("revisions").len()
}

async fn organizations_cannot_squat_provenance(b: Backend) {
    let (db, router, org, editor) = setup(b, 50).await;
    let items = "/collections/assets/items";
    let mut squat = feature("Future directory listing");
    squat["properties"]["source"] = json!("wa-211");
    squat["properties"]["source_id"] = json!("211-00042");
    let (s, p) = send_as(&router, "POST", items, &org, Some(&squat)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    let named: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    assert_eq!(named, ["properties.source", "properties.source_id"]);
    assert_eq!(pending(&db).await, 0);

    // An editor's imported-style listing: the organization may send it back
    // as it is, never change its provenance.
    let mut official = feature("Official listing");
    official["properties"]["source"] = json!("wa-211");
    official["properties"]["source_id"] = json!("211-00001");
    let (s, created) = send_as(&router, "POST", items, &editor, Some(&official)).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = created["id"].as_str().expect("id").to_owned();
    let (s, _) = send_as(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing awaits review");
    // The organization does not own it: refused whatever it sends.
    let (s, _) = send_as(
        &router,
        "PATCH",
        &format!("{items}/{id}"),
        &org,
        Some(&json!({"properties": {"source_id": "x"}})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Its own listing, published: provenance sent back unchanged is fine, changed is not.
    let (s, mine) = send_as(&router, "POST", items, &org, Some(&feature("Own pantry"))).await;
    assert_eq!(s, StatusCode::CREATED);
    let mine_id = mine["id"].as_str().expect("id").to_owned();
    assert_eq!(mine["properties"]["source"], Value::Null);
    let (s, _) = send_as(
        &router,
        "POST",
        &format!("/review/{mine_id}/approve"),
        &editor,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) = send_as(
        &router,
        "PATCH",
        &format!("{items}/{mine_id}"),
        &org,
        Some(&json!({"properties": {"source": "wa-211", "source_id": "211-00001"}})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    let (s, _) = send_as(
        &router,
        "PATCH",
        &format!("{items}/{mine_id}"),
        &org,
        Some(&json!({"properties": {"phone": "206-555-0111"}})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
}

async fn the_review_queue_is_bounded_per_organization(b: Backend) {
    let (db, router, org, editor) = setup(b, 3).await;
    let items = "/collections/assets/items";
    let mut ids = Vec::new();
    for i in 0..3 {
        let (s, v) = send_as(
            &router,
            "POST",
            items,
            &org,
            Some(&feature(&format!("Listing {i}"))),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        ids.push(v["id"].as_str().expect("id").to_owned());
    }
    let (s, p) = send_as(&router, "POST", items, &org, Some(&feature("One too many"))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("await review")
    );
    assert_eq!(pending(&db).await, 3);
    let first = format!("{items}/{}", ids[0]);
    let approve = format!("/review/{}/approve", ids[0]);
    let phone = |p: &str| json!({"properties": {"phone": p}});
    /// method, path, token, body, expected status, why.
    type Step<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Option<Value>,
        StatusCode,
        &'a str,
    );
    let steps: Vec<Step> = vec![
        (
            "PATCH",
            &first,
            &org,
            Some(phone("206-555-0112")),
            StatusCode::OK,
            "changing a listing already waiting is not a new submission",
        ),
        (
            "POST",
            &approve,
            &editor,
            None,
            StatusCode::OK,
            "once reviewed, there is room again",
        ),
        (
            "POST",
            items,
            &org,
            Some(feature("Now there is room")),
            StatusCode::CREATED,
            "room for one",
        ),
        (
            "PATCH",
            &first,
            &org,
            Some(phone("206-555-0113")),
            StatusCode::CONFLICT,
            "a proposal for the published one is a submission too",
        ),
        (
            "DELETE",
            &first,
            &org,
            None,
            StatusCode::CONFLICT,
            "so is a deletion request",
        ),
    ];
    for (method, path, token, body, want, why) in steps {
        let (s, p) = send_as(&router, method, path, token, body.as_ref()).await;
        assert_eq!(s, want, "{why}: {p}");
    }
    assert_eq!(pending(&db).await, 3);
}

async fn a_second_patch_keeps_the_first(b: Backend) {
    let (_db, router, org, editor) = setup(b, 50).await;
    let items = "/collections/assets/items";
    let (_, v) = send_as(
        &router,
        "POST",
        items,
        &org,
        Some(&feature("Patched twice")),
    )
    .await;
    let id = v["id"].as_str().expect("id").to_owned();
    let (s, _) = send_as(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let item = format!("{items}/{id}");
    let (s, _) = send_as(
        &router,
        "PATCH",
        &item,
        &org,
        Some(&json!({"properties": {"phone": "206-555-0114"}})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, proposed) = send_as(
        &router,
        "PATCH",
        &item,
        &org,
        Some(&json!({"properties": {"hours": "Mon-Fri 9-5"}})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(
        proposed["properties"]["phone"], "206-555-0114",
        "the first change is kept"
    );
    assert_eq!(proposed["properties"]["hours"], "Mon-Fri 9-5");
    let (s, published) = send_as(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(published["properties"]["phone"], "206-555-0114");
    assert_eq!(published["properties"]["hours"], "Mon-Fri 9-5");
}

async fn huge_extras_are_refused(b: Backend) {
    let (db, router, org, _) = setup(b, 50).await;
    // Just under the 1 MiB body limit: a list of zeros that grows ~40x once parsed.
    let mut f = feature("Big extras");
    f["properties"]["x"] = json!(vec![0; 500_000]);
    let started = std::time::Instant::now();
    let (s, p) = send_as(&router, "POST", "/collections/assets/items", &org, Some(&f)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    assert!(p["detail"].as_str().expect("detail").contains("bytes"));
    eprintln!("refused in {:?}", started.elapsed());
    let mut f = feature("Deep extras");
    f["properties"]["deep"] = json!([[[[[[1]]]]]]);
    let (s, _) = send_as(&router, "POST", "/collections/assets/items", &org, Some(&f)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let mut f = feature("Nul in services");
    f["properties"]["services"] = json!(["meals\u{0}"]);
    let (s, _) = send_as(&router, "POST", "/collections/assets/items", &org, Some(&f)).await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "U+0000 is refused, not a 500 on PostGIS"
    );
    assert_eq!(pending(&db).await, 0);
}

async fn cheap_denials_are_refused_quickly(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let router = assetmap::http::router(state);
    // The nearest walk past the whole index: refused, naming offset.
    let (s, p) = common::get_json(
        &router,
        "/collections/assets/items?near=0,0&offset=4000000000",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["errors"][0]["name"], "offset");
    // A deep page that is allowed is cut off the async workers and answers.
    let (s, p) = common::get_json(
        &router,
        "/collections/assets/items?near=-122.33,47.61&offset=15000&limit=10000",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["numberMatched"], 643);
    assert_eq!(p["numberReturned"], 0);
    // A 64 KB query of unknown parameters gets a short answer.
    let raw: String = (0..4000).map(|i| format!("p{i}=1&")).collect();
    let (s, _, body) = common::call(
        &router,
        "GET",
        &format!("/collections/assets/items?{raw}"),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.len() < 8_000, "{} bytes of problem", body.len());
    let _: Value = serde_json::from_slice(&body).expect("problem+json");
}

/// A listing an organization owns that carries a directory's provenance (set
/// before organizations were refused it, or from psql): the district's import
/// (the CLI, as a process) matches it but leaves it as it is, says so, and
/// imports the rest.
async fn an_import_never_adopts_an_organizations_listing(b: Backend) {
    let (db, router, org, editor) = setup(b, 50).await;
    let items = "/collections/assets/items";
    let (s, mine) = send_as(&router, "POST", items, &org, Some(&feature("Own pantry"))).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = mine["id"].as_str().expect("id").to_owned();
    let (s, _) = send_as(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    sql(
        b,
        &db.url,
        "UPDATE assets SET source = 'wa-211', source_id = '211-00042' WHERE id = $1",
        &id,
    )
    .await;

    let file = db.dir.path().join("wa-211.geojson");
    let collection = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "211-00042", "geometry": {"type": "Point", "coordinates": [-122.3, 47.6]},
         "properties": {"name": "Official listing", "category": "food", "website": "https://example.org/x"}},
        {"type": "Feature", "id": "211-00043", "geometry": {"type": "Point", "coordinates": [-122.31, 47.61]},
         "properties": {"name": "Another listing", "category": "library"}},
    ]});
    std::fs::write(&file, collection.to_string()).expect("write");
    let stderr = common::import_assets_cli(&db.url, &file, &["--source", "wa-211"]);
    assert!(
        stderr.contains("skipped wa-211/211-00042: an organization owns this listing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("assets: 1 inserted, 0 updated, 0 unchanged, 1 skipped"),
        "{stderr}"
    );

    let store = assetmap::store::connect(&db.url).await.expect("store");
    let kept = store
        .asset(id.parse().expect("uuid"))
        .await
        .expect("still there");
    assert_eq!(kept.fields.name, "Own pantry");
    assert_eq!(kept.fields.website.as_deref(), Some("https://example.org/"));
    let owner = store.owner_of(kept.id).await.expect("owner");
    assert!(owner.is_some(), "still the organization's");
    let all = store.assets().await.expect("assets");
    assert_eq!(all.len(), 2, "the other feature was imported");
    assert!(all.iter().any(|a| a.fields.name == "Another listing"));
}
