//! Standard clients read the service: GDAL's OGC API – Features driver
//! (`ogrinfo`, `ogr2ogr`) and OWSLib, against a real server on the demo data.
//! `scripts/test.sh` installs `gdal-bin` and OWSLib when they are missing.

use std::process::Command;

use serde_json::Value;

mod common;
use common::{fetch_json, spawn_server};

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed for this test (scripts/test.sh installs it): {e}")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn feature_count(ogrinfo_output: &str) -> u64 {
    ogrinfo_output
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in:\n{ogrinfo_output}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_and_owslib_read_everything() {
    let db = common::TempDb::new(common::Backend::Sqlite).await;
    let server = spawn_server(&db.url, &["--crs", "EPSG:2926"]).await;
    let base = server.base.clone();
    let oapif = format!("OAPIF:{base}");

    // GDAL lists the collections and reads the schema and counts.
    let layers = run("ogrinfo", &["-ro", "-q", &oapif]);
    for layer in ["assets", "schools", "catchments"] {
        assert!(layers.contains(layer), "{layers}");
    }
    let assets = run("ogrinfo", &["-ro", "-so", &oapif, "assets"]);
    assert_eq!(feature_count(&assets), 643);
    for field in [
        "name: String",
        "category: String",
        "source_id: String",
        "license: String",
    ] {
        assert!(assets.contains(field), "{field} missing from\n{assets}");
    }
    let catchments = run("ogrinfo", &["-ro", "-so", &oapif, "catchments"]);
    assert_eq!(feature_count(&catchments), 80);
    assert!(catchments.contains("Multi Polygon"));

    // A bbox and a property filter.
    let (x0, y0, x1, y1) = ("-122.40", "47.66", "-122.38", "47.68");
    let want = fetch_json(&format!(
        "{base}/collections/assets/items?bbox={x0},{y0},{x1},{y1}&limit=1"
    ))
    .await["numberMatched"]
        .as_u64();
    let boxed = run(
        "ogrinfo",
        &["-ro", "-so", "-spat", x0, y0, x1, y1, &oapif, "assets"],
    );
    assert_eq!(Some(feature_count(&boxed)), want);
    let libraries = run(
        "ogrinfo",
        &[
            "-ro",
            "-so",
            "-where",
            "category = 'library'",
            &oapif,
            "assets",
        ],
    );
    assert_eq!(feature_count(&libraries), 100);

    // A -where GDAL translates into a CQL2 filter (GDAL 3.6 sends the part it
    // can, `filter-lang=cql-text`, and evaluates LIKE itself): the count is
    // what the API's own filter finds.
    let filtered = fetch_json(&format!(
        "{base}/collections/assets/items?limit=1&filter={}",
        "category%20%3D%20%27library%27%20AND%20name%20LIKE%20%27%25Public%25%27"
    ))
    .await["numberMatched"]
        .as_u64()
        .expect("matched");
    assert!(filtered > 0);
    let out = Command::new("ogrinfo")
        .env("OGR_OAPIF_ALLOW_CQL_TEXT", "YES")
        .env("CPL_DEBUG", "ON")
        .args([
            "-ro",
            "-so",
            "-where",
            "category = 'library' AND name LIKE '%Public%'",
            &oapif,
            "assets",
        ])
        .output()
        .expect("ogrinfo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("filter="), "GDAL sent no filter:\n{stderr}");
    assert_eq!(feature_count(&stdout), filtered);

    // A -spat in Washington State Plane North (EPSG:2926, US feet): GDAL 3.6
    // reads the box into CRS84 itself; the API reads a bbox-crs box exactly.
    // The two agree but for a point within feet of an edge (GDAL's box has
    // straight edges in longitude/latitude, the State Plane box in feet).
    let (sx0, sy0, sx1, sy1) = ("1262000", "214000", "1275000", "225000");
    let api = fetch_json(&format!(
        "{base}/collections/assets/items?limit=10000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/2926&bbox={sx0},{sy0},{sx1},{sy1}"
    ))
    .await;
    let api_ids: std::collections::BTreeSet<String> = api["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_owned))
        .collect();
    let spat = db.dir.path().join("spat.geojson");
    run(
        "ogr2ogr",
        &[
            "-f",
            "GeoJSON",
            spat.to_str().expect("path"),
            "-spat",
            sx0,
            sy0,
            sx1,
            sy1,
            "-spat_srs",
            "EPSG:2926",
            &oapif,
            "assets",
        ],
    );
    let gdal: Value =
        serde_json::from_str(&std::fs::read_to_string(&spat).expect("spat")).expect("geojson");
    let gdal_ids: std::collections::BTreeSet<String> = gdal["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| {
            f["properties"]["id"]
                .as_str()
                .or(f["id"].as_str())
                .map(str::to_owned)
        })
        .collect();
    assert!(api_ids.len() > 20, "{}", api_ids.len());
    let differ = api_ids.symmetric_difference(&gdal_ids).count();
    assert!(
        differ <= 2,
        "GDAL found {} and the API {}; {differ} differ",
        gdal_ids.len(),
        api_ids.len()
    );

    // ogr2ogr pages through `next` links and writes every feature.
    let gpkg = db.dir.path().join("out.gpkg");
    run(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            gpkg.to_str().expect("path"),
            &format!("OAPIF:{base}/collections/assets"),
        ],
    );
    let written = run(
        "ogrinfo",
        &["-ro", "-so", gpkg.to_str().expect("path"), "assets"],
    );
    assert_eq!(feature_count(&written), 643);

    // OWSLib, as an analyst's script.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/owslib_check.py");
    let found: Value = serde_json::from_str(&run("python3", &[script, &base])).expect("json");
    assert_eq!(
        found["collections"],
        serde_json::json!(["assets", "catchments", "schools"])
    );
    assert_eq!(found["assets_title"], "Community assets");
    assert!(
        found["queryables"]
            .as_array()
            .expect("q")
            .iter()
            .any(|q| q == "category")
    );
    assert_eq!(found["number_matched"], 643);
    assert_eq!(found["first_page"], 100);
    assert_eq!(found["bbox_matched"].as_u64(), want);
    assert_eq!(found["libraries"], 100);
    assert_eq!(found["paged"], 643);
}
