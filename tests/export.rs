//! Exports: GeoJSON (RFC 7946), one Feature per line, CSV; filtered like the
//! API; from the CLI too; and a GeoJSON export re-imports into a fresh database
//! with identical features. On both stores.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

mod common;
use common::{Backend, call, get_json};

on_both_stores!(exports_are_complete_standard_and_round_trip);

const BIN: &str = env!("CARGO_BIN_EXE_assetmap");

/// Checks the RFC 7946 rules a consumer relies on; returns the features.
fn rfc7946(fc: &Value) -> &Vec<Value> {
    assert_eq!(fc["type"], "FeatureCollection");
    assert!(fc.get("crs").is_none(), "RFC 7946 has no crs member");
    let features = fc["features"].as_array().expect("features");
    for f in features {
        assert_eq!(f["type"], "Feature");
        assert!(f["id"].is_string());
        assert!(f["properties"].is_object());
        assert_eq!(f["geometry"]["type"], "Point");
        let c = f["geometry"]["coordinates"]
            .as_array()
            .expect("coordinates");
        assert_eq!(c.len(), 2);
        let (lon, lat) = (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
        assert!((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat));
    }
    features
}

fn by_source_id(features: &[Value]) -> BTreeMap<String, (Value, Value)> {
    features
        .iter()
        .map(|f| {
            (
                f["properties"]["source_id"]
                    .as_str()
                    .expect("source id")
                    .to_owned(),
                (f["geometry"].clone(), f["properties"].clone()),
            )
        })
        .collect()
}

async fn exports_are_complete_standard_and_round_trip(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let router = assetmap::http::router(state);

    // GeoJSON, complete and standard.
    let (status, headers, body) = call(&router, "GET", "/export/assets.geojson", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/geo+json");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"assets.geojson\""
    );
    let fc: Value = serde_json::from_slice(&body).expect("json");
    let features = rfc7946(&fc);
    assert_eq!(features.len(), 643);

    // One Feature per line.
    let (_, _, lines) = call(&router, "GET", "/export/assets.geojsonl", &[]).await;
    let lines: Vec<Value> = String::from_utf8(lines)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a Feature per line"))
        .collect();
    assert_eq!(lines.len(), 643);
    assert!(lines.iter().all(|f| f["type"] == "Feature"));

    // CSV: the same rows, with coordinates, the model's fields and the extra properties.
    let (_, headers, csv) = call(&router, "GET", "/export/assets.csv", &[]).await;
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/csv")
    );
    let csv = String::from_utf8(csv).expect("utf8");
    let rows: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(rows.len(), 644);
    let header: Vec<&str> = rows[0].split(',').collect();
    assert_eq!(&header[..4], &["id", "longitude", "latitude", "name"]);
    for extra in [
        "\"file_source_id\"",
        "\"license\"",
        "\"source_category\"",
        "\"subcategory\"",
    ] {
        assert!(header.contains(&extra), "{extra} missing from {header:?}");
    }

    // Filtered exactly like the items.
    let (_, items) = get_json(
        &router,
        "/collections/assets/items?school=201&category=parks_recreation&limit=10000",
    )
    .await;
    let (_, _, body) = call(
        &router,
        "GET",
        "/export/assets.geojson?school=201&category=parks_recreation",
        &[],
    )
    .await;
    let filtered: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(filtered["features"], items["features"]);
    let (status, _) = get_json(&router, "/export/assets.geojson?limit=5").await;
    assert_eq!(status, 400, "exports have no page limit");
    let (status, _) = get_json(&router, "/export/assets.txt").await;
    assert_eq!(status, 404);

    // The CLI writes the same export.
    let out = db.dir.path().join("adams.csv");
    let o = Command::new(BIN)
        .args([
            "export",
            "assets",
            out.to_str().expect("path"),
            "--school",
            "201",
            "--database-url",
            &db.url,
        ])
        .output()
        .expect("export");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, adams) = get_json(&router, "/collections/assets/items?school=201&limit=10000").await;
    let written = std::fs::read_to_string(&out).expect("read");
    assert_eq!(
        written.trim_end().split("\r\n").count() as u64,
        1 + adams["numberMatched"].as_u64().expect("n")
    );

    // Round trip: the GeoJSON export re-imports into a fresh database with identical features.
    let file = db.dir.path().join("export.geojson");
    std::fs::write(&file, serde_json::to_vec(&fc).expect("json")).expect("write");
    let fresh = common::TempDb::new(b).await;
    let o = Command::new(BIN)
        .args([
            "import",
            "assets",
            file.to_str().expect("path"),
            "--id-field",
            "source_id",
            "--database-url",
            &fresh.url,
        ])
        .output()
        .expect("import");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("643 inserted, 0 updated, 0 unchanged, 0 skipped, 0 warnings"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (_, _, state2) = common::app(&fresh.url, false).await;
    let (_, _, again) = call(
        &assetmap::http::router(state2),
        "GET",
        "/export/assets.geojson",
        &[],
    )
    .await;
    let again: Value = serde_json::from_slice(&again).expect("json");
    assert_eq!(by_source_id(rfc7946(&again)), by_source_id(features));
}
