//! Structured opening hours and asset translations, on both stores: written
//! through the API, served with `open_now` and the week in words, filtered by
//! `open=` and `language=` on items and exports (checked against an
//! evaluation written here from the values' plain meaning), and read by the
//! importer (an unreadable value kept as the note and reported). Bad values
//! are refused naming the field, and change nothing.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::{Datelike, Timelike, Utc, Weekday};
use serde_json::{Value, json};

mod common;
use common::{Backend, add_user, call, send_as};

on_both_stores!(
    hours_are_served_filtered_and_checked,
    translations_are_kept_and_checked,
    the_importer_reads_hours_and_translations
);

const ITEMS: &str = "/collections/assets/items";

fn asset(name: &str, lon: f64, props: Value) -> Value {
    let mut p = json!({"name": name, "category": "food"});
    for (k, v) in props.as_object().expect("object") {
        p[k] = v.clone();
    }
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 47.6]}, "properties": p})
}

/// Names of the features a GET answers, sorted.
async fn names(router: &axum::Router, uri: &str) -> BTreeSet<String> {
    let (status, _, body) = call(router, "GET", uri, &[]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    let v: Value = serde_json::from_slice(&body).expect("json");
    v["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["name"].as_str().expect("name").to_owned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// "Mo-Fr 09:00-17:00; Sa 10:00-14:00", read by hand on Seattle's clocks.
fn weekday_hours_open(now: chrono::DateTime<chrono_tz::Tz>) -> bool {
    let m = now.hour() * 60 + now.minute();
    match now.weekday() {
        Weekday::Sat => (600..840).contains(&m),
        Weekday::Sun => false,
        _ => (540..1020).contains(&m),
    }
}

async fn hours_are_served_filtered_and_checked(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, false).await;
    let router = assetmap::http::router(state);
    let editor = add_user(&db.url, "editor", "Editor");
    let made = [
        asset(
            "Weekday pantry",
            -122.30,
            json!({"opening_hours": "Mo-Fr 09:00-17:00; Sa 10:00-14:00", "languages": ["es"]}),
        ),
        asset(
            "Always open shelter",
            -122.31,
            json!({"opening_hours": "24/7", "languages": ["zh"]}),
        ),
        asset(
            "Evening tutoring",
            -122.32,
            json!({"opening_hours": "Tu,Th 15:00-19:30", "languages": ["en"]}),
        ),
        asset(
            "Call-ahead clinic",
            -122.33,
            json!({"hours": "call ahead", "languages": ["es", "vi"]}),
        ),
        asset("Closed for good", -122.34, json!({"opening_hours": "off"})),
    ];
    let mut created = Vec::new();
    for f in &made {
        let (s, v) = send_as(&router, "POST", ITEMS, &editor, Some(f)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        created.push(v);
    }
    let p = |i: usize| &created[i]["properties"];
    assert_eq!(p(0)["opening_hours"], "Mo-Fr 09:00-17:00; Sa 10:00-14:00");
    assert_eq!(
        p(0)["hours_text"]["en"],
        "Mon–Fri 9:00–17:00; Sat 10:00–14:00"
    );
    assert_eq!(
        p(0)["hours_text"]["es"],
        "lun–vie 9:00–17:00; sáb 10:00–14:00"
    );
    assert_eq!(p(2)["hours_text"]["en"], "Tue 15:00–19:30; Thu 15:00–19:30");
    assert_eq!(p(3)["hours"], "call ahead");
    assert_eq!(p(3)["opening_hours"], Value::Null);
    assert_eq!(p(3)["hours_text"], Value::Null);

    // open_now as served (one feature, a page, an export), against the hand reading.
    let seattle: chrono_tz::Tz = "America/Los_Angeles".parse().expect("tz");
    let before = weekday_hours_open(Utc::now().with_timezone(&seattle));
    let (_, _, body) = call(&router, "GET", &format!("{ITEMS}?limit=10"), &[]).await;
    let after = weekday_hours_open(Utc::now().with_timezone(&seattle));
    let page: Value = serde_json::from_slice(&body).expect("json");
    let open_now = |name: &str| -> Value {
        page["features"]
            .as_array()
            .expect("features")
            .iter()
            .find(|f| f["properties"]["name"] == name)
            .expect("feature")["properties"]["open_now"]
            .clone()
    };
    assert_eq!(open_now("Always open shelter"), Value::Bool(true));
    assert_eq!(open_now("Closed for good"), Value::Bool(false));
    assert_eq!(open_now("Call-ahead clinic"), Value::Null);
    if before == after {
        // (Unless the request straddled an opening or closing minute.)
        assert_eq!(open_now("Weekday pantry"), Value::Bool(before));
    }
    let id = created[1]["id"].as_str().expect("id");
    let (_, _, one) = call(&router, "GET", &format!("{ITEMS}/{id}"), &[]).await;
    let one: Value = serde_json::from_slice(&one).expect("json");
    assert_eq!(one["properties"]["open_now"], true);
    assert!(
        names(&router, &format!("{ITEMS}?open=now&category=food"))
            .await
            .contains("Always open shelter")
    );

    // open= at given moments (Seattle is UTC-8 in December).
    for (when, expected) in [
        // Monday 18:30
        ("2026-12-07T18:30:00-08:00", vec!["Always open shelter"]),
        // Tuesday 18:30
        (
            "2026-12-08T18:30:00-08:00",
            vec!["Always open shelter", "Evening tutoring"],
        ),
        // Saturday 11:00, written in UTC
        (
            "2026-12-12T19:00:00Z",
            vec!["Always open shelter", "Weekday pantry"],
        ),
        // Monday 09:00 sharp: open; 17:00 sharp: closed
        (
            "2026-12-07T09:00:00-08:00",
            vec!["Always open shelter", "Weekday pantry"],
        ),
        ("2026-12-07T17:00:00-08:00", vec!["Always open shelter"]),
    ] {
        let uri = format!("{ITEMS}?open={}", when.replace('+', "%2B"));
        assert_eq!(names(&router, &uri).await, set(&expected), "{when}");
    }
    assert_eq!(
        names(&router, &format!("{ITEMS}?open=evening")).await,
        set(&["Always open shelter", "Evening tutoring"])
    );
    assert_eq!(
        names(&router, &format!("{ITEMS}?open=weekend")).await,
        set(&["Always open shelter", "Weekday pantry"])
    );
    assert_eq!(
        names(&router, &format!("{ITEMS}?language=es,zh")).await,
        set(&["Always open shelter", "Weekday pantry", "Call-ahead clinic"])
    );
    assert_eq!(
        names(&router, &format!("{ITEMS}?language=es&open=weekend")).await,
        set(&["Weekday pantry"])
    );
    assert_eq!(
        names(
            &router,
            &format!("{ITEMS}?language=es&open=weekend&bbox=-122.305,47.5,-122.295,47.7")
        )
        .await,
        set(&["Weekday pantry"])
    );
    assert_eq!(
        names(
            &router,
            &format!("{ITEMS}?near=-122.30,47.6&limit=2&open=evening")
        )
        .await,
        set(&["Always open shelter", "Evening tutoring"])
    );
    // The export takes the same filters; its CSV has the opening_hours column.
    let (s, _, csv) = call(&router, "GET", "/export/assets.csv?open=weekend", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let csv = String::from_utf8(csv).expect("utf8");
    let header = csv.lines().next().expect("header");
    assert!(header.split(',').any(|c| c == "opening_hours"), "{header}");
    assert_eq!(csv.lines().count(), 3, "{csv}");

    // Bad filters and bad values: named, and nothing changes.
    for (uri, name) in [
        (format!("{ITEMS}?open=tomorrow"), "open"),
        (format!("{ITEMS}?open=2026-12-07"), "open"),
        (format!("{ITEMS}?language=spanish"), "language"),
        (format!("{ITEMS}?language=es,"), "language"),
    ] {
        let (s, _, body) = call(&router, "GET", &uri, &[]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        let p: Value = serde_json::from_slice(&body).expect("problem");
        assert_eq!(p["errors"][0]["name"], name, "{uri}: {p}");
    }
    let count = names(&router, ITEMS).await.len();
    for bad in [
        "whenever",
        "Mo-Fr 25:00-26:00x",
        &"Mo 09:00-10:00; ".repeat(30),
    ] {
        let f = asset("Bad hours", -122.35, json!({"opening_hours": bad}));
        let (s, p) = send_as(&router, "POST", ITEMS, &editor, Some(&f)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {p}");
        assert_eq!(p["errors"][0]["name"], "properties.opening_hours", "{p}");
    }
    let (s, p) = send_as(
        &router,
        "PATCH",
        &format!("{ITEMS}/{id}"),
        &editor,
        Some(&json!({"properties": {"opening_hours": "nope"}})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    assert_eq!(names(&router, ITEMS).await.len(), count);
    let (_, _, one) = call(&router, "GET", &format!("{ITEMS}/{id}"), &[]).await;
    let one: Value = serde_json::from_slice(&one).expect("json");
    assert_eq!(one["properties"]["opening_hours"], "24/7");

    // A patch changes the hours and what is served at once.
    let (s, p) = send_as(
        &router,
        "PATCH",
        &format!("{ITEMS}/{id}"),
        &editor,
        Some(&json!({"properties": {"opening_hours": "Sa-Su 08:00-12:00"}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["properties"]["hours_text"]["en"], "Sat–Sun 8:00–12:00");
    assert_eq!(
        names(&router, &format!("{ITEMS}?open=evening")).await,
        set(&["Evening tutoring"])
    );
}

async fn translations_are_kept_and_checked(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, false).await;
    let router = assetmap::http::router(state);
    let editor = add_user(&db.url, "editor", "Editor");
    let f = asset(
        "Food bank",
        -122.3,
        json!({"description": "Groceries every week", "hours": "Wednesdays",
               "translations": {"es": {"name": "Banco de alimentos", "description": "Comida cada semana"},
                                "vi": {"name": "Ngân hàng thực phẩm"}}}),
    );
    let (s, v) = send_as(&router, "POST", ITEMS, &editor, Some(&f)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id").to_owned();
    assert_eq!(
        v["properties"]["translations"],
        json!({"es": {"name": "Banco de alimentos", "description": "Comida cada semana"},
               "vi": {"name": "Ngân hàng thực phẩm"}})
    );
    // Kept in the store: a fresh server reads it back.
    let (_, _, state) = common::app(&db.url, false).await;
    let fresh = assetmap::http::router(state);
    let (_, _, one) = call(&fresh, "GET", &format!("{ITEMS}/{id}"), &[]).await;
    let one: Value = serde_json::from_slice(&one).expect("json");
    assert_eq!(
        one["properties"]["translations"]["es"]["name"],
        "Banco de alimentos"
    );
    assert_eq!(one["properties"].get("file_translations"), None);

    for (bad, name) in [
        (
            json!({"es-MX": {"name": "x"}}),
            "properties.translations.es-MX",
        ),
        (
            json!({"es": {"address": "x"}}),
            "properties.translations.es.address",
        ),
        (
            json!({"es": {"name": "x".repeat(201)}}),
            "properties.translations.es.name",
        ),
        (json!({"es": "Banco"}), "properties.translations.es"),
        (json!(["es"]), "properties.translations"),
    ] {
        let (s, p) = send_as(
            &router,
            "PATCH",
            &format!("{ITEMS}/{id}"),
            &editor,
            Some(&json!({"properties": {"translations": bad}})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        assert_eq!(p["errors"][0]["name"], name, "{p}");
    }
    let (_, _, one) = call(&router, "GET", &format!("{ITEMS}/{id}"), &[]).await;
    let one: Value = serde_json::from_slice(&one).expect("json");
    assert_eq!(
        one["properties"]["translations"]["vi"]["name"],
        "Ngân hàng thực phẩm"
    );
}

async fn the_importer_reads_hours_and_translations(b: Backend) {
    let db = common::TempDb::new(b).await;
    let file = db.dir.path().join("district.geojson");
    let features = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a", "geometry": {"type": "Point", "coordinates": [-122.3, 47.6]},
         "properties": {"name": "Pantry", "category": "food", "opening_hours": "Mo-Fr 09:00-17:00",
                        "name_es": "Despensa", "description_es": "Comida gratis"}},
        {"type": "Feature", "id": "b", "geometry": {"type": "Point", "coordinates": [-122.31, 47.6]},
         "properties": {"name": "Clinic", "category": "health", "opening_hours": "weekdays, mornings",
                        "hours": "ask at the desk"}},
        {"type": "Feature", "id": "c", "geometry": {"type": "Point", "coordinates": [-122.32, 47.6]},
         "properties": {"name": "Library", "category": "library", "hours": "Tu-Sa 10:00-18:00"}},
    ]});
    std::fs::write(&file, features.to_string()).expect("write");
    let stderr = common::import_assets_cli(&db.url, &file, &[]);
    assert!(
        stderr.contains("feature 2 (Clinic): opening_hours \"weekdays, mornings\" is not an OpenStreetMap opening_hours value"),
        "{stderr}"
    );
    assert!(stderr.contains("assets: 3 inserted"), "{stderr}");

    let store = assetmap::store::connect(&db.url).await.expect("store");
    let all = store.assets().await.expect("assets");
    let by = |n: &str| {
        all.iter()
            .find(|a| a.fields.name == n)
            .expect(n)
            .fields
            .clone()
    };
    let pantry = by("Pantry");
    assert_eq!(pantry.opening_hours.as_deref(), Some("Mo-Fr 09:00-17:00"));
    assert_eq!(pantry.translations["es"].name.as_deref(), Some("Despensa"));
    assert_eq!(
        pantry.translations["es"].description.as_deref(),
        Some("Comida gratis")
    );
    assert!(!pantry.extra.contains_key("name_es"));
    let clinic = by("Clinic");
    assert_eq!(clinic.opening_hours, None);
    assert_eq!(
        clinic.hours.as_deref(),
        Some("ask at the desk; weekdays, mornings"),
        "kept, not dropped"
    );
    let library = by("Library");
    assert_eq!(library.opening_hours.as_deref(), Some("Tu-Sa 10:00-18:00"));
    assert_eq!(library.hours, None);
}
