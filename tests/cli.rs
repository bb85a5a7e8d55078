//! The `assetmap` command as a process: imports into a fresh database, the
//! Seattle oracle over every elementary attendance area, and `serve` with a
//! graceful shutdown.

use std::collections::{BTreeSet, HashMap};
use std::process::{Command, Output};

use geo::{Intersects, MultiPolygon, Point};
use serde_json::Value;

mod common;
use common::{Backend, get_json, seattle};

on_both_stores!(
    every_elementary_area_holds_exactly_the_assets_inside_it,
    bad_features_are_skipped_with_a_reason_and_a_total,
    serve_loads_the_demo_answers_and_stops_on_sigterm,
);

const BIN: &str = env!("CARGO_BIN_EXE_assetmap");

fn run(args: &[&str], url: &str) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .args(["--database-url", url])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run assetmap");
    assert!(
        out.status.success(),
        "assetmap {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

fn import_seattle(url: &str) {
    let sites = seattle("Sites_2020.geojson");
    let o = run(
        &[
            "import",
            "schools",
            sites.to_str().expect("path"),
            "--id-field",
            "SchoolID",
            "--name-field",
            "property_l",
            "--level-field",
            "status",
        ],
        url,
    );
    assert!(
        stderr(&o).contains("schools: 117 inserted"),
        "{}",
        stderr(&o)
    );
    let es = seattle("sps_attendance_area_ES_2020_2021.geojson");
    let o = run(
        &[
            "import",
            "catchments",
            es.to_str().expect("path"),
            "--school-field",
            "ES_SCH",
            "--year",
            "2020-2021",
        ],
        url,
    );
    assert!(
        stderr(&o).contains("catchments: 58 inserted"),
        "{}",
        stderr(&o)
    );
    let assets = seattle("seattle_community_assets_combined.geojson");
    let o = run(
        &[
            "import",
            "assets",
            assets.to_str().expect("path"),
            "--id-field",
            "id",
        ],
        url,
    );
    assert!(
        stderr(&o).contains("assets: 643 inserted, 0 updated, 0 unchanged, 0 skipped"),
        "{}",
        stderr(&o)
    );
}

async fn every_elementary_area_holds_exactly_the_assets_inside_it(b: Backend) {
    let db = common::TempDb::new(b).await;
    import_seattle(&db.url);

    // Importing the same file again never duplicates, and rewrites nothing
    // that did not change.
    let assets_path = seattle("seattle_community_assets_combined.geojson");
    let o = run(
        &[
            "import",
            "assets",
            assets_path.to_str().expect("path"),
            "--id-field",
            "id",
        ],
        &db.url,
    );
    assert!(
        stderr(&o).contains("assets: 0 inserted, 0 updated, 643 unchanged"),
        "{}",
        stderr(&o)
    );

    let (_, index, state) = common::app(&db.url, false).await;
    assert_eq!(index.len(), 643);
    let router = assetmap::http::router(state);

    let assets = read_json(&assets_path);
    let points: Vec<(String, f64, f64, Value)> = assets["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                f["properties"]["id"].as_str().expect("id").to_owned(),
                c[0].as_f64().expect("lon"),
                c[1].as_f64().expect("lat"),
                f["properties"].clone(),
            )
        })
        .collect();
    let by_source: HashMap<&str, &Value> = points.iter().map(|p| (p.0.as_str(), &p.3)).collect();

    let areas = read_json(&seattle("sps_attendance_area_ES_2020_2021.geojson"));
    let mut schools_checked = 0;
    for f in areas["features"].as_array().expect("features") {
        let school = f["properties"]["ES_SCH"].to_string();
        let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).expect("geometry");
        let poly: geo::Polygon<f64> = (&g.value).try_into().expect("polygon");
        let mp = MultiPolygon(vec![poly]);
        let want: BTreeSet<&str> = points
            .iter()
            .filter(|p| mp.intersects(&Point::new(p.1, p.2)))
            .map(|p| p.0.as_str())
            .collect();
        let (status, page) = get_json(
            &router,
            &format!("/collections/assets/items?school={school}&limit=10000"),
        )
        .await;
        assert_eq!(status, 200);
        let feats = page["features"].as_array().expect("features");
        let got: BTreeSet<&str> = feats
            .iter()
            .map(|f| f["properties"]["source_id"].as_str().expect("source id"))
            .collect();
        assert_eq!(got, want, "school {school}");
        assert_eq!(page["numberMatched"].as_u64(), Some(want.len() as u64));
        // Each asset carries the file's other properties.
        for feat in feats {
            let p = &feat["properties"];
            let original = by_source[p["source_id"].as_str().expect("sid")];
            assert_eq!(p["name"], original["name"]);
            assert_eq!(p["license"], original["license"]);
            assert_eq!(p["file_source_id"], original["source_id"]);
            assert_eq!(p["source"], original["source"]);
            assert_eq!(p["subcategory"], original["subcategory"]);
        }
        schools_checked += 1;
    }
    assert_eq!(schools_checked, 58);
}

async fn bad_features_are_skipped_with_a_reason_and_a_total(b: Backend) {
    let db = common::TempDb::new(b).await;
    let file = db.dir.path().join("flawed.geojson");
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","geometry":{"type":"Point","coordinates":[-122.3,47.6]},"properties":{"id":"a","name":"Good","category":"library"}},
          {"type":"Feature","geometry":null,"properties":{"id":"b","name":"No geometry"}},
          {"type":"Feature","geometry":{"type":"Point","coordinates":[-122.3,95]},"properties":{"id":"c","name":"Bad latitude"}},
          {"type":"Feature","geometry":{"type":"Point","coordinates":[-122.3,47.6]},"properties":{"id":"d","name":"Odd","category":"moon base"}},
          {"type":"Feature","geometry":{"type":"Point","coordinates":[-122.31,47.6]},"properties":{"id":"e","name":"Phish","category":"library","website":"javascript:alert(1)","email":"x"}}
        ]}"#,
    )
    .expect("write");
    let o = run(
        &[
            "import",
            "assets",
            file.to_str().expect("path"),
            "--id-field",
            "id",
            "--allow-partial",
        ],
        &db.url,
    );
    let err = stderr(&o);
    assert!(err.contains("skipped feature 2: null geometry"), "{err}");
    assert!(
        err.contains("skipped feature 3: invalid coordinates"),
        "{err}"
    );
    assert!(err.contains("unknown category \"moon base\""), "{err}");
    // Imports hold contacts to the API's rules: a javascript: URL is dropped.
    assert!(
        err.contains("website \"javascript:alert(1)\" dropped"),
        "{err}"
    );
    assert!(err.contains("e-mail \"x\" dropped"), "{err}");
    assert!(
        err.contains("assets: 3 inserted, 0 updated, 0 unchanged, 2 skipped, 3 warnings"),
        "{err}"
    );
    let store = assetmap::store::connect(&db.url).await.expect("store");
    let phish = store
        .assets()
        .await
        .expect("assets")
        .into_iter()
        .find(|a| a.fields.name == "Phish")
        .expect("imported");
    assert_eq!((phish.fields.website, phish.fields.email), (None, None));

    // A file that is not GeoJSON fails the command, naming the problem.
    std::fs::write(&file, "not json").expect("write");
    let out = Command::new(BIN)
        .args([
            "import",
            "assets",
            file.to_str().expect("path"),
            "--database-url",
            &db.url,
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a GeoJSON FeatureCollection"),
        "{}",
        stderr(&out)
    );
}

async fn serve_loads_the_demo_answers_and_stops_on_sigterm(b: Backend) {
    let db = common::TempDb::new(b).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &db.url,
        ])
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..200 {
        if let Ok(r) = client
            .get(format!("{base}/collections/assets/items?limit=1"))
            .send()
            .await
        {
            let v: Value = r.json().await.expect("json");
            assert_eq!(
                v["numberMatched"], 643,
                "the demo set is loaded into an empty database"
            );
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "server did not come up");
    let page = client
        .get(&base)
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    let leaflet = client
        .get(format!("{base}/static/vendor/leaflet/leaflet.js"))
        .send()
        .await
        .expect("leaflet");
    assert_eq!(leaflet.status(), 200);

    let pid = child.id().expect("pid").to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("status");
    assert!(status.success(), "{status:?}");
}

#[test]
fn no_password_in_any_message() {
    for url in [
        "postgres://assetmap:s3cret-pw@127.0.0.1:1/assetmap",
        "mysql://assetmap:s3cret-pw@db.internal/assetmap",
    ] {
        let out = Command::new(BIN)
            .args(["migrate", "--database-url", url])
            .env("RUST_LOG", "debug")
            .output()
            .expect("run");
        assert!(!out.status.success());
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("opening the database"), "{all}");
        assert!(!all.contains("s3cret-pw"), "{all}");
    }
}
