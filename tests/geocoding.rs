//! Addresses without coordinates, placed on both stores with the CLI as a
//! process: an address-point file (OpenAddresses layout) built here from the
//! real Seattle community centres and libraries that carry both an address
//! and coordinates; a spreadsheet of the same places by address alone lands
//! exactly where they are, one held out lands between its neighbours on the
//! street, one that cannot be found waits as a pending listing that cannot be
//! approved until an editor places it. Then a Nominatim-compatible geocoder:
//! one request a second, an identifying User-Agent, answers kept in the store.
//!
//! No outside network here, so the geocoder is a small server in this test
//! answering Nominatim's documented `/search?format=jsonv2` shape.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

mod common;
use common::{Backend, TempDb, seattle};

fn ok(args: &[&str], url: &str) -> String {
    common::cli_ok(args, url).1
}

on_both_stores!(
    addresses_are_placed_by_the_district_s_address_points,
    an_outside_geocoder_is_asked_politely_and_once,
);

/// A place of the demo set with a street address: (name, category, address, lon, lat).
type Place = (String, String, String, f64, f64);

/// The community centres and libraries that have a house-numbered address.
fn places() -> Vec<Place> {
    let fc: Value = serde_json::from_str(
        &std::fs::read_to_string(seattle("seattle_community_assets_combined.geojson"))
            .expect("read"),
    )
    .expect("json");
    fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter(|f| {
            let source = f["properties"]["source"].as_str().unwrap_or("");
            source.contains("community centers") || source.contains("Library")
        })
        .filter_map(|f| {
            let p = &f["properties"];
            let address = p["address"].as_str()?.trim().to_owned();
            // A street address (not "113 Music Bldg", a room on a campus).
            let street = address.starts_with(|c: char| c.is_ascii_digit())
                && !["Bldg", "Floor", "Room"]
                    .iter()
                    .any(|w| address.contains(w));
            street.then(|| {
                let c = &f["geometry"]["coordinates"];
                (
                    p["name"].as_str().unwrap_or("").to_owned(),
                    p["category"].as_str().unwrap_or("").to_owned(),
                    address,
                    c[0].as_f64().expect("lon"),
                    c[1].as_f64().expect("lat"),
                )
            })
        })
        .collect()
}

/// An address split the way an address-point file writes it, independently
/// of assetmap's own reading: the number, then the street up to a comma or a
/// unit, upper case (`1000 Fourth Ave.` → 1000, `FOURTH AVE.`).
fn split(address: &str) -> (String, String) {
    let first = address.split(',').next().unwrap_or("");
    let mut words = first.split_whitespace();
    let number = words.next().unwrap_or("").to_owned();
    let street: Vec<&str> = words
        .take_while(|w| !w.starts_with('#') && !["Suite", "Ste", "Ste."].contains(w))
        .filter(|w| *w != "-")
        .collect();
    (number, street.join(" ").to_uppercase())
}

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn rad(d: f64) -> f64 {
    d.to_radians()
}

/// Great-circle metres.
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dlat, dlon) = (rad(b.1 - a.1), rad(b.0 - a.0));
    let h =
        (dlat / 2.0).sin().powi(2) + rad(a.1).cos() * rad(b.1).cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

async fn stored(url: &str) -> HashMap<String, assetmap::domain::Asset> {
    let store = assetmap::store::connect(url).await.expect("open");
    store
        .assets()
        .await
        .expect("assets")
        .into_iter()
        .map(|a| (a.fields.name.clone(), a))
        .collect()
}

async fn addresses_are_placed_by_the_district_s_address_points(b: Backend) {
    let db = TempDb::new(b).await;
    let url = db.url.as_str();
    let all = places();
    assert!(all.len() > 40, "{} places", all.len());
    let dir = tempfile::tempdir().expect("dir");
    let points = dir.path().join("addresses.csv");
    let mut text = String::from("LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE\n");
    let mut seen = std::collections::HashSet::new();
    for (_, _, address, lon, lat) in &all {
        let (number, street) = split(address);
        if seen.insert((number.clone(), street.clone())) {
            text.push_str(&format!(
                "{lon},{lat},{number},{},,SEATTLE,,WA,\n",
                csv_field(&street)
            ));
        }
    }
    text.push_str("not a number,47.6,1,X ST,,,,,\n");
    std::fs::write(&points, &text).expect("write");
    let e = ok(
        &["import", "addresses", points.to_str().expect("path")],
        url,
    );
    assert!(e.contains("skipped row"), "{e}");

    // The places again, by address alone (as a school's spreadsheet has them),
    // and one that no address point knows.
    let sheet = dir.path().join("inventory.csv");
    let mut rows = String::from("name,category,address\n");
    for (name, category, address, _, _) in &all {
        rows.push_str(&format!(
            "{},{},{}\n",
            csv_field(name),
            category,
            csv_field(address)
        ));
    }
    // Magnuson Park (a park of the demo set, not in the address points) lies
    // on Sand Point Way NE between two libraries that are: 6125 and 7700.
    rows.push_str("Magnuson Park,park,7400 Sand Point Way Northeast\n");
    rows.push_str("Pop-up Pantry,food,\"1 Nowhere Lane, Seattle, WA 98199\"\n");
    std::fs::write(&sheet, rows).expect("write");
    let sheet = sheet.to_str().expect("path");
    let e = ok(&["import", "assets", sheet, "--dry-run"], url);
    assert!(
        e.contains(&format!("geocoded {} addresses", all.len() + 2)),
        "{e}"
    );
    assert!(e.contains("1 not found"), "{e}");
    assert!(stored(url).await.is_empty(), "a dry run writes nothing");
    ok(&["import", "assets", sheet], url);
    let got = stored(url).await;

    let mut exact = 0;
    for (name, _, address, lon, lat) in &all {
        let a = &got[name];
        let quality = a.fields.extra["geocode_quality"].as_str().unwrap_or("");
        // Two places at one address (a library inside a building) share a point.
        let same_address = all.iter().filter(|p| split(&p.2) == split(address)).count();
        assert_eq!(quality, "exact", "{name} at {address}");
        if same_address == 1 {
            let l = a.fields.location;
            assert!(
                (l.lon() - lon).abs() < 1e-9 && (l.lat() - lat).abs() < 1e-9,
                "{name}: {l:?}"
            );
        }
        assert_eq!(a.status, assetmap::domain::Status::Approved);
        exact += 1;
    }
    assert_eq!(exact, all.len());
    let park = &got["Magnuson Park"];
    assert_eq!(park.fields.extra["geocode_quality"], "interpolated");
    let at = |name: &str| {
        all.iter()
            .find(|p| p.0 == name)
            .map(|p| (p.3, p.4))
            .expect(name)
    };
    let (lo, hi) = (
        at("National Archives at Seattle"),
        at("Mountaineers Library"),
    );
    let t = (7400.0 - 6125.0) / (7700.0 - 6125.0);
    let want = (lo.0 + t * (hi.0 - lo.0), lo.1 + t * (hi.1 - lo.1));
    let l = park.fields.location;
    assert!(
        (l.lon() - want.0).abs() < 1e-9 && (l.lat() - want.1).abs() < 1e-9,
        "{l:?} {want:?}"
    );
    // The park's own coordinates in the demo set: the interpolation is near.
    assert!(metres((l.lon(), l.lat()), (-122.2582488, 47.6829036)) < 1_000.0);

    // The one no one could place waits, pending, for an editor.
    let pantry = &got["Pop-up Pantry"];
    assert_eq!(pantry.status, assetmap::domain::Status::Pending);
    assert_eq!(pantry.fields.extra["geocode_quality"], "none");
    assert_eq!(pantry.fields.extra["location_needed"], true);
    let (_, _, state) = common::app(url, false).await;
    let router = assetmap::http::router(state);
    let editor = common::add_user(url, "editor", "Reviewer");
    let id = pantry.id;
    let (status, problem) = common::send_as(
        &router,
        "POST",
        &format!("/review/{id}/approve"),
        &editor,
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("could not be placed"),
        "{problem}"
    );
    // Placing it on the map publishes it.
    let (status, placed) = common::send_as(
        &router,
        "PATCH",
        &format!("/collections/assets/items/{id}"),
        &editor,
        Some(&json!({"geometry": {"type": "Point", "coordinates": [-122.3937, 47.6447]}})),
    )
    .await;
    assert_eq!(status, 200, "{placed}");
    assert!(
        placed["properties"].get("location_needed").is_none(),
        "{placed}"
    );
    let (_, _, body) = common::call(
        &router,
        "GET",
        &format!("/collections/assets/items/{id}"),
        &[],
    )
    .await;
    let f: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        f["geometry"]["coordinates"],
        json!([-122.3937, 47.6447]),
        "{f}"
    );
}

/// What the stand-in geocoder saw: when, with which User-Agent, asking what.
type Seen = Arc<Mutex<Vec<(std::time::Instant, String, String)>>>;

async fn nominatim(seen: Seen) -> String {
    use axum::extract::{Query, State};
    use axum::http::HeaderMap;
    async fn search(
        State(seen): State<Seen>,
        headers: HeaderMap,
        Query(q): Query<HashMap<String, String>>,
    ) -> axum::Json<Value> {
        let agent = headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = q.get("q").cloned().unwrap_or_default();
        assert_eq!(q.get("format").map(String::as_str), Some("jsonv2"));
        seen.lock()
            .expect("lock")
            .push((std::time::Instant::now(), agent, text.clone()));
        // Nominatim's jsonv2: lat/lon as strings, category, type, place_rank.
        axum::Json(if text.starts_with("2101 NW 77th St") {
            json!([{"lat": "47.6849", "lon": "-122.3834", "category": "building", "type": "yes", "place_rank": 30}])
        } else if text.starts_with("6535 Ravenna Ave NE") {
            json!([{"lat": "47.6766", "lon": "-122.3041", "category": "place", "type": "house", "place_rank": 30}])
        } else if text.starts_with("NW 80th St") {
            json!([{"lat": "47.6870", "lon": "-122.3800", "category": "highway", "type": "residential", "place_rank": 26}])
        } else {
            json!([])
        })
    }
    let app = axum::Router::new()
        .route("/search", axum::routing::get(search))
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn an_outside_geocoder_is_asked_politely_and_once(b: Backend) {
    let db = TempDb::new(b).await;
    let url = db.url.as_str();
    let seen: Seen = Arc::default();
    let geocoder = nominatim(seen.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    let sheet = dir.path().join("more.csv");
    std::fs::write(
        &sheet,
        "name,category,address,city\n\
         Loyal Heights Community Center,community_centre,2101 NW 77th St,Seattle\n\
         Ravenna-Eckstein Community Center,community_centre,6535 Ravenna Ave NE,Seattle\n\
         A stretch of NW 80th,park,NW 80th St,Seattle\n\
         Nowhere,park,99999 Imaginary Blvd,Seattle\n",
    )
    .expect("write");
    let sheet = sheet.to_str().expect("path");
    let args = [
        "import",
        "assets",
        sheet,
        "--geocoder-url",
        &geocoder,
        "--geocoder-contact",
        "gis@district.example",
    ];
    let e = ok(&args, url);
    assert!(
        e.contains("1 exact, 1 interpolated, 1 on the street only, 1 not found"),
        "{e}"
    );
    let asked = seen.lock().expect("lock").clone();
    assert_eq!(asked.len(), 4, "{asked:?}");
    for pair in asked.windows(2) {
        let gap = pair[1].0.duration_since(pair[0].0);
        assert!(
            gap >= std::time::Duration::from_millis(990),
            "one request a second: {gap:?}"
        );
    }
    for (_, agent, _) in &asked {
        assert!(
            agent.starts_with("assetmap/") && agent.contains("gis@district.example"),
            "{agent}"
        );
    }
    assert!(
        asked[0].2.contains("Seattle"),
        "the city goes with the address: {}",
        asked[0].2
    );
    let got = stored(url).await;
    let quality = |n: &str| {
        got[n].fields.extra["geocode_quality"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(quality("Loyal Heights Community Center"), "exact");
    let l = got["Loyal Heights Community Center"].fields.location;
    assert_eq!((l.lon(), l.lat()), (-122.3834, 47.6849));
    assert_eq!(quality("Ravenna-Eckstein Community Center"), "interpolated");
    assert_eq!(quality("A stretch of NW 80th"), "street");
    assert_eq!(quality("Nowhere"), "none");
    assert_eq!(got["Nowhere"].status, assetmap::domain::Status::Pending);

    // The same file again: every answer comes from the store, none is asked twice.
    let e = ok(&args, url);
    assert!(e.contains("4 unchanged"), "{e}");
    assert_eq!(seen.lock().expect("lock").len(), 4, "answers are kept");
}
