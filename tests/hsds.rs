//! Open Referral HSDS: the shared samples import (what cannot be used is
//! reported), and a round trip HSDS → assetmap → HSDS keeps every field both
//! models carry, through HSDS 3.0 JSON and through the Tabular Data Package;
//! the API's export pages through the store and leaves out what awaits review.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::Backend;

on_both_stores!(
    hsds_samples_import_and_round_trip,
    the_api_export_streams_every_approved_asset_once
);

const BIN: &str = env!("CARGO_BIN_EXE_assetmap");

fn samples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hsds")
}

fn assetmap(args: &[&str], url: &str) -> String {
    let out = Command::new(BIN)
        .args(args)
        .args(["--database-url", url])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "assetmap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An HSDS address's parts as one line, as assetmap keeps it.
fn address(a: &Value) -> Value {
    let parts: Vec<&str> = [
        "address_1",
        "address_2",
        "city",
        "state_province",
        "postal_code",
    ]
    .iter()
    .filter_map(|k| a[*k].as_str())
    .filter(|p| !p.is_empty())
    .collect();
    if parts.is_empty() {
        Value::Null
    } else {
        Value::from(parts.join(", "))
    }
}

/// The fields both models carry, per location, keyed by name.
fn carried(export: &Value) -> BTreeMap<String, Value> {
    export
        .as_array()
        .expect("services")
        .iter()
        .map(|s| {
            let l = &s["service_at_locations"][0]["location"];
            let key = l["name"].as_str().expect("name").to_owned();
            let v = serde_json::json!({
                "latitude": l["latitude"], "longitude": l["longitude"], "description": l["description"],
                "address": address(&l["addresses"][0]), "phone": l["phones"][0]["number"],
                "languages": l["languages"].as_array().expect("l").iter().map(|x| x["code"].clone()).collect::<Vec<_>>(),
                "hours": l["schedules"][0]["description"], "accessibility": l["accessibility"][0]["description"],
                "service": s["name"], "url": s["url"], "email": s["email"], "eligibility": s["eligibility_description"],
                "category": s["attributes"][0]["taxonomy_term"]["code"], "organization": s["organization"]["name"],
            });
            (key, v)
        })
        .collect()
}

async fn hsds_samples_import_and_round_trip(b: Backend) {
    let db = common::TempDb::new(b).await;
    let dir = samples();
    let ohana = dir.join("ohana_smc_sample_csv");
    let err = assetmap(&["import", "hsds", ohana.to_str().expect("p")], &db.url);
    assert!(
        err.contains("hsds: 21 inserted, 0 updated, 0 unchanged, 1 skipped"),
        "{err}"
    );
    assert!(
        err.contains("not mapped (no place in assetmap's model): contacts"),
        "{err}"
    );
    // Re-importing matches by location id, and rewrites nothing unchanged.
    let err = assetmap(&["import", "hsds", ohana.to_str().expect("p")], &db.url);
    assert!(
        err.contains("hsds: 0 inserted, 0 updated, 21 unchanged"),
        "{err}"
    );
    let err = assetmap(
        &[
            "import",
            "hsds",
            dir.join("openreferral_sample_hsds11_fictional")
                .to_str()
                .expect("p"),
        ],
        &db.url,
    );
    assert!(
        err.contains("hsds: 1 inserted, 0 updated, 0 unchanged, 9 skipped"),
        "{err}"
    );
    assert!(err.contains("no coordinates"), "{err}");
    for f in [
        "service_full.json",
        "organization_full.json",
        "service_at_location_full.json",
        "location.json",
    ] {
        // The fictional HSDS 3.0 examples place their one location at latitude 100.
        let err = assetmap(
            &[
                "import",
                "hsds",
                dir.join("openreferral_hsds3_examples_fictional")
                    .join(f)
                    .to_str()
                    .expect("p"),
            ],
            &db.url,
        );
        assert!(
            err.contains("latitude 100 is outside [-90, 90]") && err.contains("1 skipped"),
            "{f}: {err}"
        );
        assert!(err.contains("not mapped"), "{f}: {err}");
    }

    // The API gives the same HSDS 3.0 JSON as the CLI.
    let (_, _, state) = common::app(&db.url, false).await;
    let (status, _, body) = common::call(
        &assetmap::http::router(state),
        "GET",
        "/export/hsds.json",
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let via_api: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(via_api.as_array().expect("array").len(), 22);

    // Round trip through HSDS 3.0 JSON.
    let first = db.dir.path().join("first.json");
    assetmap(&["export", "hsds", first.to_str().expect("p")], &db.url);
    let first_json: Value =
        serde_json::from_str(&std::fs::read_to_string(&first).expect("read")).expect("json");
    assert_eq!(first_json.as_array().expect("array").len(), 22);
    let fresh = common::TempDb::new(b).await;
    let err = assetmap(&["import", "hsds", first.to_str().expect("p")], &fresh.url);
    assert!(err.contains("hsds: 22 inserted"), "{err}");
    let second = fresh.dir.path().join("second.json");
    assetmap(&["export", "hsds", second.to_str().expect("p")], &fresh.url);
    let second_json: Value =
        serde_json::from_str(&std::fs::read_to_string(&second).expect("read")).expect("json");
    let (a, b2) = (carried(&first_json), carried(&second_json));
    assert_eq!(a.len(), 22);
    assert_eq!(a, b2);
    // Spot-check that the fields were really carried, not lost on both sides.
    let fair_oaks = &a["Fair Oaks Adult Activity Center"];
    assert_eq!(fair_oaks["latitude"], 37.477227);
    assert_eq!(
        fair_oaks["address"],
        "2600 Middlefield Road, Redwood City, CA, 94063"
    );
    assert!(
        fair_oaks["languages"]
            .as_array()
            .expect("l")
            .contains(&Value::from("es"))
    );

    // And through the Tabular Data Package.
    let package = fresh.dir.path().join("package");
    assetmap(
        &["export", "hsds", package.to_str().expect("p")],
        &fresh.url,
    );
    let dp: Value = serde_json::from_str(
        &std::fs::read_to_string(package.join("datapackage.json")).expect("read"),
    )
    .expect("json");
    assert!(
        dp["resources"]
            .as_array()
            .expect("r")
            .iter()
            .any(|r| r["name"] == "service_at_locations")
    );
    let third = common::TempDb::new(b).await;
    let err = assetmap(
        &["import", "hsds", package.to_str().expect("p")],
        &third.url,
    );
    assert!(err.contains("hsds: 22 inserted"), "{err}");
    let out = third.dir.path().join("third.json");
    assetmap(&["export", "hsds", out.to_str().expect("p")], &third.url);
    let third_json: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    let c = carried(&third_json);
    for (name, v) in &a {
        let w = &c[name];
        for field in [
            "latitude",
            "longitude",
            "description",
            "address",
            "phone",
            "languages",
            "service",
            "url",
            "email",
            "category",
            "organization",
            "hours",
            "accessibility",
        ] {
            assert_eq!(v[field], w[field], "{name}: {field}");
        }
    }
}

/// More approved assets than one page of the store's reading (an exact
/// multiple of it, the edge where the last full page is followed by an empty
/// one), and pending ones among them: `/export/hsds.json` holds every approved
/// asset exactly once and nothing else.
async fn the_api_export_streams_every_approved_asset_once(b: Backend) {
    let db = common::TempDb::new(b).await;
    let store = assetmap::store::connect(&db.url).await.expect("store");
    store.migrate().await.expect("migrate");
    let mut assets = Vec::new();
    for i in 0..1_000 {
        let id = uuid::Uuid::new_v4();
        let lon = -122.4 + (i as f64) * 1e-4;
        assets.push(common::asset(
            id,
            lon,
            47.6,
            "library",
            &format!("Approved {i}"),
        ));
    }
    for i in 0..7 {
        let mut a = common::asset(
            uuid::Uuid::new_v4(),
            -122.3,
            47.61,
            "food",
            &format!("Pending {i}"),
        );
        a.status = assetmap::domain::Status::Pending;
        assets.push(a);
    }
    store.upsert_assets(&assets, None).await.expect("insert");
    let (_, _, state) = common::app(&db.url, false).await;
    let router = assetmap::http::router(state);
    let (status, headers, _) = common::call(&router, "GET", "/export/hsds.json", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    // Written a page of the store's reading at a time, not built whole.
    let frames = common::get_frames(&router, "/export/hsds.json").await;
    assert!(frames.len() >= 3, "{} pieces", frames.len());
    let body = frames.concat();
    let services: Value = serde_json::from_slice(&body).expect("one JSON document");
    let names: Vec<&str> = services
        .as_array()
        .expect("array")
        .iter()
        .map(|s| {
            s["service_at_locations"][0]["location"]["name"]
                .as_str()
                .expect("name")
        })
        .collect();
    let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), 1_000, "every approved asset");
    assert_eq!(unique.len(), 1_000, "each once");
    assert!(
        unique.iter().all(|n| n.starts_with("Approved ")),
        "nothing pending"
    );
}
