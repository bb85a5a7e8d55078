//! OGC API – Features Part 2 (coordinate reference systems), black-box through
//! the router on the Seattle demo set, against PROJ's own `cs2cs` as the
//! reference for every coordinate and as the oracle of which assets a box in
//! Washington State Plane North (EPSG:2926, US feet) holds.

use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::StatusCode;
use serde_json::Value;

mod common;
use common::{Backend, call, get_json};

on_both_stores!(
    collections_offer_their_systems,
    answers_in_another_system_agree_with_proj,
    a_box_in_state_plane_selects_what_proj_puts_in_it,
    systems_not_offered_are_refused_by_name,
);

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
const EPSG3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
const EPSG2926: &str = "http://www.opengis.net/def/crs/EPSG/0/2926";

async fn demo_router(b: Backend) -> (common::TempDb, axum::Router) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    (db, assetmap::http::router(state))
}

/// Longitude/latitude pairs moved into `to` by PROJ (`cs2cs`, which reads
/// EPSG:4326 latitude first), one process for all of them.
fn cs2cs(to: &str, lon_lat: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut child = Command::new("cs2cs")
        .args(["-f", "%.6f", "EPSG:4326", to])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cs2cs (Debian's proj-bin; scripts/test.sh installs it)");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for (lon, lat) in lon_lat {
            writeln!(stdin, "{lat} {lon}").expect("write");
        }
    }
    let out = child.wait_with_output().expect("cs2cs output");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let points: Vec<(f64, f64)> = text
        .lines()
        .map(|l| {
            let mut it = l
                .split_whitespace()
                .map(|n| n.parse::<f64>().expect("number"));
            (it.next().expect("x"), it.next().expect("y"))
        })
        .collect();
    assert_eq!(points.len(), lon_lat.len());
    points
}

fn coords(f: &Value) -> (f64, f64) {
    let c = &f["geometry"]["coordinates"];
    (
        c[0].as_f64().expect("first"),
        c[1].as_f64().expect("second"),
    )
}

async fn collections_offer_their_systems(b: Backend) {
    let (_db, router) = demo_router(b).await;
    let (_, conf) = get_json(&router, "/conformance").await;
    assert!(
        conf["conformsTo"]
            .as_array()
            .expect("list")
            .iter()
            .any(|c| c == "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs")
    );
    let (_, all) = get_json(&router, "/collections").await;
    for c in all["collections"].as_array().expect("collections") {
        assert_eq!(c["storageCrs"], CRS84, "{}", c["id"]);
        let list: Vec<&str> = c["crs"]
            .as_array()
            .expect("crs")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(list, [CRS84, EPSG4326, EPSG3857, EPSG2926], "{}", c["id"]);
    }
    // The document offers exactly the same systems.
    let (_, api) = get_json(&router, "/api").await;
    for p in ["crs", "bbox-crs"] {
        assert_eq!(
            api["components"]["parameters"][p]["schema"]["enum"],
            serde_json::json!([CRS84, EPSG4326, EPSG3857, EPSG2926]),
            "{p}"
        );
    }
}

async fn answers_in_another_system_agree_with_proj(b: Backend) {
    let (_db, router) = demo_router(b).await;
    let (_, plain) = get_json(&router, "/collections/assets/items?limit=200").await;
    let features = plain["features"].as_array().expect("features");
    let lon_lat: Vec<(f64, f64)> = features.iter().map(coords).collect();
    // (system, PROJ's name for it, tolerance): feet and metres to a
    // centimetre or better; degrees exactly, latitude first.
    for (uri, proj, tolerance) in [
        (EPSG2926, "EPSG:2926", 0.05),
        (EPSG3857, "EPSG:3857", 0.01),
        (EPSG4326, "EPSG:4326", 1e-9),
    ] {
        let (status, headers, body) = call(
            &router,
            "GET",
            &format!("/collections/assets/items?limit=200&crs={uri}"),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers["content-crs"], format!("<{uri}>"));
        let page: Value = serde_json::from_slice(&body).expect("json");
        let moved = page["features"].as_array().expect("features");
        assert_eq!(moved.len(), features.len());
        let reference = if proj == "EPSG:4326" {
            lon_lat.iter().map(|&(lon, lat)| (lat, lon)).collect()
        } else {
            cs2cs(proj, &lon_lat)
        };
        for ((f, g), (x, y)) in features.iter().zip(moved).zip(&reference) {
            assert_eq!(f["id"], g["id"]);
            // Everything but the geometry is the same.
            assert_eq!(f["properties"], g["properties"], "{uri}");
            let (a, b) = coords(g);
            assert!(
                (a - x).abs() < tolerance && (b - y).abs() < tolerance,
                "{uri} {}: ({a}, {b}) but PROJ says ({x}, {y})",
                f["id"]
            );
        }
    }
    // One feature, and an attendance area, in State Plane.
    let id = features[0]["id"].as_str().expect("id");
    let (status, headers, body) = call(
        &router,
        "GET",
        &format!("/collections/assets/items/{id}?crs={EPSG2926}"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-crs"], format!("<{EPSG2926}>"));
    let one: Value = serde_json::from_slice(&body).expect("json");
    let (x, y) = cs2cs("EPSG:2926", &lon_lat[..1])[0];
    let (a, b) = coords(&one);
    assert!((a - x).abs() < 0.05 && (b - y).abs() < 0.05);
    assert!(one["links"].is_array());
    let (_, headers, _) = call(
        &router,
        "GET",
        &format!("/collections/assets/items/{id}"),
        &[],
    )
    .await;
    assert_eq!(headers["content-crs"], format!("<{CRS84}>"));

    let (_, areas) = get_json(&router, "/collections/catchments/items?limit=1").await;
    let ring = &areas["features"][0]["geometry"]["coordinates"][0][0];
    let ring_ll: Vec<(f64, f64)> = ring
        .as_array()
        .expect("ring")
        .iter()
        .map(|p| (p[0].as_f64().expect("lon"), p[1].as_f64().expect("lat")))
        .collect();
    let (_, areas_sp) = get_json(
        &router,
        &format!("/collections/catchments/items?limit=1&crs={EPSG2926}"),
    )
    .await;
    let ring_sp = areas_sp["features"][0]["geometry"]["coordinates"][0][0]
        .as_array()
        .expect("ring")
        .clone();
    assert_eq!(ring_sp.len(), ring_ll.len());
    for (p, (x, y)) in ring_sp.iter().zip(cs2cs("EPSG:2926", &ring_ll)) {
        let (a, b) = (p[0].as_f64().expect("x"), p[1].as_f64().expect("y"));
        assert!(
            (a - x).abs() < 0.05 && (b - y).abs() < 0.05,
            "({a}, {b}) vs ({x}, {y})"
        );
    }
}

async fn a_box_in_state_plane_selects_what_proj_puts_in_it(b: Backend) {
    let (_db, router) = demo_router(b).await;
    let (_, all) = get_json(&router, "/collections/assets/items?limit=10000").await;
    let features = all["features"].as_array().expect("features");
    let lon_lat: Vec<(f64, f64)> = features.iter().map(coords).collect();
    let projected = cs2cs("EPSG:2926", &lon_lat);
    // A box of about 2.5 by 2 miles around downtown Seattle, in US feet.
    let (x0, y0, x1, y1) = (1_262_000.0, 214_000.0, 1_275_000.0, 225_000.0);
    let inside = |&(x, y): &(f64, f64), margin: f64| {
        x >= x0 - margin && x <= x1 + margin && y >= y0 - margin && y <= y1 + margin
    };
    let (status, page) = get_json(
        &router,
        &format!(
            "/collections/assets/items?limit=10000&bbox-crs={EPSG2926}&bbox={x0},{y0},{x1},{y1}"
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let got: std::collections::HashSet<&str> = page["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    // Exactly the assets inside the box (PROJ and assetmap may differ by a
    // hundredth of a foot, so a point that close to an edge could go either way).
    let mut expected = 0;
    for (f, p) in features.iter().zip(&projected) {
        let id = f["id"].as_str().expect("id");
        if inside(p, -0.1) {
            expected += 1;
            assert!(
                got.contains(id),
                "{id} at {p:?} is in the box but was not returned"
            );
        } else if !inside(p, 0.1) {
            assert!(
                !got.contains(id),
                "{id} at {p:?} is outside the box but was returned"
            );
        }
    }
    assert!(expected > 20, "the box should hold assets: {expected}");

    // EPSG:4326 boxes are latitude first; the same box as CRS84 selects the same.
    let (_, a) = get_json(
        &router,
        "/collections/assets/items?limit=10000&bbox=-122.34,47.59,-122.30,47.62",
    )
    .await;
    let (_, b) = get_json(
        &router,
        &format!("/collections/assets/items?limit=10000&bbox-crs={EPSG4326}&bbox=47.59,-122.34,47.62,-122.30"),
    )
    .await;
    assert!(a["numberMatched"].as_u64().expect("n") > 0);
    assert_eq!(a["features"], b["features"]);
    // Schools take the box too.
    let (status, s) = get_json(
        &router,
        &format!("/collections/schools/items?bbox-crs={EPSG2926}&bbox={x0},{y0},{x1},{y1}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(s["numberMatched"].as_u64().expect("n") > 0, "{s}");
}

async fn systems_not_offered_are_refused_by_name(b: Backend) {
    let (_db, router) = demo_router(b).await;
    for (uri, param) in [
        ("/collections/assets/items?crs=EPSG:2926", "crs"),
        (
            "/collections/assets/items?crs=http://www.opengis.net/def/crs/EPSG/0/32610",
            "crs",
        ),
        (
            "/collections/schools/items?bbox-crs=EPSG:3857&bbox=0,0,1,1",
            "bbox-crs",
        ),
        (
            "/collections/catchments/items/00000000-0000-0000-0000-000000000001?crs=nope",
            "crs",
        ),
    ] {
        let (status, _, body) = call(&router, "GET", uri, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let p: Value = serde_json::from_slice(&body).expect("problem");
        assert_eq!(p["errors"][0]["name"], param, "{uri}: {p}");
    }
}
