//! Property-based fuzzing of every parser that takes outside input: request
//! bodies (assets, partnerships, log entries, suggestions, sign-ups, merge
//! patches), query strings, GeoJSON and HSDS files, school references,
//! lifetimes, networks and forwarded headers. None may panic, and the HTTP
//! layer never answers a bad query with a 5xx.
//!
//! A fixed number of cases in CI (`PROPTEST_CASES`, 256 by default here); the
//! longer run is `benches/fuzz.sh`.

use assetmap::domain::partnership::{LogEntry, PartnershipFields};
use assetmap::domain::validate;
use assetmap::http::params::Params;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Any JSON value, nested a few levels, with keys drawn partly from the names
/// the parsers look for so that the interesting branches are reached.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("type".to_owned()),
        Just("geometry".to_owned()),
        Just("coordinates".to_owned()),
        Just("properties".to_owned()),
        Just("name".to_owned()),
        Just("category".to_owned()),
        Just("features".to_owned()),
        Just("status".to_owned()),
        Just("contact".to_owned()),
        Just("email".to_owned()),
        Just("website".to_owned()),
        Just("date".to_owned()),
        Just("note".to_owned()),
        Just("pillars".to_owned()),
        Just("agreement_start".to_owned()),
        Just("agreement_end".to_owned()),
        Just("languages".to_owned()),
        Just("services".to_owned()),
        Just("id".to_owned()),
        "\\PC{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("Feature".to_owned()),
            Just("Point".to_owned()),
            Just("FeatureCollection".to_owned()),
            Just("food".to_owned()),
            Just("active".to_owned()),
            Just("2026-10-01".to_owned()),
            Just("javascript:alert(1)".to_owned()),
            Just("<b>x</b>".to_owned()),
            "\\PC{0,40}",
            ".{0,10}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A Feature-shaped value: a Point with any coordinates and any properties.
fn feature() -> impl Strategy<Value = Value> {
    (any::<f64>(), any::<f64>(), json()).prop_map(|(x, y, props)| {
        let mut f = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]}});
        f["properties"] = if props.is_object() { props } else { serde_json::json!({"name": props}) };
        f
    })
}

/// A query string of known and unknown names with odd values.
fn query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("bbox"),
        Just("limit"),
        Just("offset"),
        Just("near"),
        Just("radius"),
        Just("category"),
        Just("school"),
        Just("year"),
        Just("q"),
        Just("f"),
        Just("bbox-crs"),
        Just("colour"),
    ];
    let value = prop_oneof![
        "-?[0-9]{1,12}(\\.[0-9]{1,6})?".prop_map(|s| s),
        "(-?[0-9]{1,4}(\\.[0-9]{1,3})?,){1,6}".prop_map(|s| s),
        Just("NaN,inf,-inf,1e309".to_owned()),
        Just("18446744073709551616".to_owned()),
        "\\PC{0,20}",
    ];
    prop::collection::vec((name, value), 0..8).prop_map(|pairs| {
        serde_urlencoded::to_string(
            pairs
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default()
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn bodies_never_panic(v in json(), f in feature()) {
        let _ = validate::feature(&v);
        let _ = validate::feature(&f);
        let _ = PartnershipFields::from_json(&v, &["asset_id"]);
        let _ = LogEntry::from_json(&v, uuid::Uuid::nil(), chrono::Utc::now());
        let _ = assetmap::domain::suggestion::suggestion(&f);
        let _ = assetmap::domain::organization::sign_up(&v);
        let mut target = f.clone();
        validate::merge_patch(&mut target, &v);
        let _ = validate::feature(&target);
    }

    #[test]
    fn files_never_panic(v in json(), text in "\\PC{0,200}") {
        let props = assetmap::import::AssetProperties::default();
        use assetmap::import::{AreaKey, SchoolProperties, parse_areas, parse_assets, parse_schools, read_geojson_text};
        let schools = SchoolProperties { id: Some("id".into()), name: "name".into(), level: Some("level".into()), district: String::new() };
        let collection = serde_json::json!({"type": "FeatureCollection", "features": [v.clone()]});
        for text in [v.to_string(), text, collection.to_string()] {
            let read = || read_geojson_text("fuzz.geojson", &text);
            if let Ok(t) = read() { let _ = parse_assets(t, &props); }
            if let Ok(t) = read() { let _ = parse_schools(t, &schools); }
            if let Ok(t) = read() { let _ = parse_areas(t, &AreaKey::Id("id".into())); }
        }
        let _ = assetmap::hsds::from_json(&v, "fuzz");
    }

    #[test]
    fn small_parsers_never_panic(s in "\\PC{0,60}") {
        let _ = assetmap::domain::SchoolRef::parse(&s);
        let _ = assetmap::domain::user::parse_lifetime(&s);
        let _ = s.parse::<assetmap::http::limit::Cidr>();
        let mut errors = Vec::new();
        let _ = assetmap::index::parse_bbox(Some(&s), None, &mut errors);
        let _ = assetmap::index::parse_year(Some(&s), &mut errors);
        let mut headers = axum::http::HeaderMap::new();
        if let Ok(v) = axum::http::HeaderValue::from_str(&s) {
            headers.insert("x-forwarded-for", v.clone());
            headers.insert("forwarded", v);
        }
        let mut ext = axum::http::Extensions::new();
        ext.insert(axum::extract::ConnectInfo(std::net::SocketAddr::from(([10, 0, 0, 1], 1))));
        let trusted = ["10.0.0.0/8".parse().expect("cidr")];
        let _ = assetmap::http::limit::client_addr(&ext, &headers, &trusted);
    }

    #[test]
    fn query_strings_never_panic(q in query()) {
        let allowed = assetmap::http::items::ASSET_PARAMS;
        if let Ok(p) = Params::parse(Some(&q), allowed) {
            let mut errors = Vec::new();
            let _ = p.paging(&mut errors);
            let _ = p.asset_query(&mut errors);
            let _ = p.with_offset(10);
        }
    }
}

/// Through the real router (both of the query and the body paths): never a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_never_answers_bad_input_with_a_5xx() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let db = common::TempDb::new(common::Backend::Sqlite).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let router = assetmap::http::router(state);
    let mut runner = TestRunner::new(config());
    let cases = config().cases;
    for _ in 0..cases {
        let q = query().new_tree(&mut runner).expect("tree").current();
        for path in [
            "/collections/assets/items",
            "/collections/schools/items",
            "/export/assets.csv",
            "/schools/201/gaps",
            "/reports/coverage",
        ] {
            let (s, _, _) = common::call(&router, "GET", &format!("{path}?{q}"), &[]).await;
            assert!(s.as_u16() < 500, "{path}?{q} answered {s}");
        }
        let body = json().new_tree(&mut runner).expect("tree").current();
        let (s, _, _) = common::call_with(
            &router,
            "POST",
            "/suggestions",
            &[("content-type", "application/json")],
            serde_json::to_vec(&body).expect("json"),
        )
        .await;
        assert!(s.as_u16() < 500, "POST /suggestions {body} answered {s}");
    }
}

mod common;
