//! The HTTP API, black-box through the router, on a fresh SQLite database with
//! the Seattle demo set.

use axum::http::StatusCode;
use serde_json::Value;

mod common;
use common::{Backend, call, get_json};

on_both_stores!(
    landing_conformance_collections_and_api,
    paging_counts_and_links,
    filters_by_category_text_school_and_distance,
    catchments_schools_and_summary,
    bad_requests_are_problems_that_name_the_parameter_and_change_nothing,
    bbox_across_the_antimeridian,
    the_service_does_what_its_document_says,
);

async fn demo_router(b: Backend) -> (common::TempDb, axum::Router, assetmap::index::Index) {
    let db = common::TempDb::new(b).await;
    let (_, index, state) = common::app(&db.url, true).await;
    (db, assetmap::http::router(state), index)
}

async fn landing_conformance_collections_and_api(b: Backend) {
    let (_db, router, _) = demo_router(b).await;

    let (status, landing) = get_json(&router, "/?f=json").await;
    assert_eq!(status, StatusCode::OK);
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["rel"].as_str())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "landing lacks {rel}: {rels:?}");
    }

    // Browsers get the page, with a CSP and no inline script allowed.
    let (status, headers, body) = call(
        &router,
        "GET",
        "/",
        &[("accept", "text/html,application/xhtml+xml")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(String::from_utf8_lossy(&body).contains("<html"));
    // JSON clients get the landing page.
    let (_, headers, _) = call(&router, "GET", "/", &[("accept", "application/json")]).await;
    assert_eq!(headers["content-type"], "application/json");

    let (_, conf) = get_json(&router, "/conformance").await;
    let classes = conf["conformsTo"].as_array().expect("conformsTo");
    assert!(
        classes
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.ends_with("/conf/core")))
    );
    assert!(
        classes
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.ends_with("/conf/geojson")))
    );

    let (_, cols) = get_json(&router, "/collections").await;
    let ids: Vec<&str> = cols["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["assets", "schools", "catchments"]);
    let bbox = &cols["collections"][0]["extent"]["spatial"]["bbox"][0];
    assert!(
        bbox[0].as_f64().expect("minx") < -122.3 && bbox[3].as_f64().expect("maxy") > 47.6,
        "{bbox}"
    );
    let (status, _) = get_json(&router, "/collections/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // /api documents every route and every asset parameter.
    let (status, headers, body) = call(&router, "GET", "/api", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("application/vnd.oai.openapi+json")
    );
    let api: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(api["openapi"], "3.0.3");
    for path in [
        "/collections/{collectionId}/queryables",
        "/export/{file}",
        "/reports/coverage",
        "/healthz",
        "/readyz",
    ] {
        assert!(api["paths"].get(path).is_some(), "/api lacks {path}");
    }
    assert!(
        api["paths"]["/collections/assets/items"]
            .get("post")
            .is_some()
    );
    for method in ["get", "patch", "delete"] {
        assert!(
            api["paths"]["/schools/{schoolId}/partnerships/{partnershipId}"]
                .get(method)
                .is_some(),
            "/api lacks {method} on a partnership"
        );
    }
    assert!(api["components"]["schemas"]["Partnership"].is_object());
    let patch_params = api["paths"]["/collections/assets/items/{featureId}"]["patch"]["parameters"]
        .as_array()
        .expect("parameters");
    assert!(
        patch_params
            .iter()
            .any(|p| p["name"] == "If-Match" && p["in"] == "header")
    );
    for method in ["put", "patch", "delete"] {
        assert!(
            api["paths"]["/collections/assets/items/{featureId}"]
                .get(method)
                .is_some(),
            "/api lacks {method}"
        );
    }
    for path in [
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/assets/items",
        "/collections/assets/items/{featureId}",
        "/schools/{schoolId}/summary",
        "/categories",
        "/schools/{schoolId}/partnerships",
        "/schools/{schoolId}/partnerships/{partnershipId}",
        "/schools/{schoolId}/partnerships/{partnershipId}/log",
        "/schools/{schoolId}/partners",
        "/schools/{schoolId}/gaps",
        "/reports/gaps",
        "/suggestions",
        "/audit",
    ] {
        assert!(api["paths"].get(path).is_some(), "/api lacks {path}");
    }
    let documented: Vec<String> = api["paths"]["/collections/assets/items"]["get"]["parameters"]
        .as_array()
        .expect("params")
        .iter()
        .map(|p| match p.get("$ref").and_then(Value::as_str) {
            Some(r) => r.rsplit('/').next().unwrap_or_default().to_owned(),
            None => p["name"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    for p in assetmap::http::items::ASSET_PARAMS {
        assert!(
            documented.iter().any(|d| d == p),
            "{p} not documented in /api: {documented:?}"
        );
    }
}

async fn paging_counts_and_links(b: Backend) {
    let (_db, router, index) = demo_router(b).await;
    assert_eq!(index.len(), 643);
    let (status, headers, body) =
        call(&router, "GET", "/collections/assets/items?limit=250", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/geo+json");
    let page: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(page["type"], "FeatureCollection");
    assert_eq!(page["numberMatched"], 643);
    assert_eq!(page["numberReturned"], 250);

    // Following `next` visits every asset once.
    let mut seen = std::collections::HashSet::new();
    let mut uri = "/collections/assets/items?limit=250".to_owned();
    loop {
        let (_, page) = get_json(&router, &uri).await;
        for f in page["features"].as_array().expect("features") {
            assert!(
                seen.insert(f["id"].as_str().expect("id").to_owned()),
                "repeated feature"
            );
            let c = f["geometry"]["coordinates"].as_array().expect("coords");
            assert!(
                c[0].as_f64().expect("lon") < -122.0 && c[1].as_f64().expect("lat") > 47.0,
                "lon/lat order"
            );
        }
        let next = page["links"]
            .as_array()
            .expect("links")
            .iter()
            .find(|l| l["rel"] == "next");
        match next {
            Some(l) => {
                let href = l["href"].as_str().expect("href");
                uri = href.trim_start_matches("http://localhost").to_owned();
                assert!(
                    page["links"]
                        .as_array()
                        .expect("links")
                        .iter()
                        .any(|l| l["rel"] == "self")
                );
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 643);

    // A limit above the maximum is clamped, not refused.
    let (status, page) = get_json(&router, "/collections/assets/items?limit=20000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["numberReturned"], 643);
    // An offset past the end is an empty page with a prev link.
    let (_, page) = get_json(&router, "/collections/assets/items?offset=5000").await;
    assert_eq!(page["numberReturned"], 0);
    assert!(
        page["links"]
            .as_array()
            .expect("links")
            .iter()
            .any(|l| l["rel"] == "prev")
    );
}

async fn filters_by_category_text_school_and_distance(b: Backend) {
    let (_db, router, _) = demo_router(b).await;
    let (_, libs) = get_json(
        &router,
        "/collections/assets/items?category=library&limit=10000",
    )
    .await;
    assert_eq!(libs["numberMatched"], 100);
    assert!(
        libs["features"]
            .as_array()
            .expect("f")
            .iter()
            .all(|f| f["properties"]["category"] == "library")
    );
    let (_, both) = get_json(
        &router,
        "/collections/assets/items?category=library,community_centre&limit=1",
    )
    .await;
    assert_eq!(both["numberMatched"], 128);
    let (_, q) = get_json(
        &router,
        "/collections/assets/items?q=green%20lake&limit=100",
    )
    .await;
    assert!(q["numberMatched"].as_u64().expect("n") >= 1);
    assert!(q["features"].as_array().expect("f").iter().all(|f| {
        f["properties"]["name"]
            .as_str()
            .expect("name")
            .to_lowercase()
            .contains("green lake")
    }));

    // near + limit: the k nearest, with distance_m ascending.
    let (_, near) = get_json(
        &router,
        "/collections/assets/items?near=-122.3321,47.6062&limit=5",
    )
    .await;
    let d: Vec<f64> = near["features"]
        .as_array()
        .expect("f")
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().expect("d"))
        .collect();
    assert_eq!(d.len(), 5);
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    let (_, within) = get_json(
        &router,
        "/collections/assets/items?near=-122.3321,47.6062&radius=1000&limit=10000",
    )
    .await;
    assert!(
        within["features"]
            .as_array()
            .expect("f")
            .iter()
            .all(|f| f["properties"]["distance_m"].as_f64().expect("d") <= 1000.0)
    );

    // A school by district id or by UUID gives the same assets.
    let (_, by_ext) = get_json(&router, "/collections/assets/items?school=201&limit=10000").await;
    let (_, school) = get_json(&router, "/collections/schools/items/201").await;
    let uuid = school["id"].as_str().expect("id");
    let (_, by_id) = get_json(
        &router,
        &format!("/collections/assets/items?school={uuid}&limit=10000"),
    )
    .await;
    assert_eq!(by_ext["features"], by_id["features"]);
    assert!(by_ext["numberMatched"].as_u64().expect("n") > 0);

    // An option school without an area uses a one-mile radius around its campus.
    let (_, schools) = get_json(&router, "/collections/schools/items?limit=1000").await;
    let option = schools["features"]
        .as_array()
        .expect("f")
        .iter()
        .find(|f| f["properties"]["level"] == "Option ELEM")
        .expect("an option school");
    let ext = option["properties"]["external_id"].as_str().expect("ext");
    let c = option["geometry"]["coordinates"].as_array().expect("c");
    let (_, by_school) = get_json(
        &router,
        &format!("/collections/assets/items?school={ext}&limit=10000"),
    )
    .await;
    let (_, by_radius) = get_json(
        &router,
        &format!(
            "/collections/assets/items?near={},{}&radius=1609.344&limit=10000",
            c[0], c[1]
        ),
    )
    .await;
    assert_eq!(by_school["numberMatched"], by_radius["numberMatched"]);

    // Single features, with links.
    let first = &by_ext["features"][0];
    let id = first["id"].as_str().expect("id");
    let (status, one) = get_json(&router, &format!("/collections/assets/items/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["properties"], first["properties"]);
    assert!(
        one["links"]
            .as_array()
            .expect("links")
            .iter()
            .any(|l| l["rel"] == "collection")
    );
    let (status, _) = get_json(
        &router,
        "/collections/assets/items/00000000-0000-0000-0000-000000000000",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get_json(&router, "/collections/assets/items/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn catchments_schools_and_summary(b: Backend) {
    let (_db, router, _) = demo_router(b).await;
    let (_, cs) = get_json(&router, "/collections/catchments/items?limit=1000").await;
    assert_eq!(
        cs["numberMatched"], 80,
        "58 elementary + 12 middle + 10 high"
    );
    assert!(
        cs["features"]
            .as_array()
            .expect("f")
            .iter()
            .all(|f| f["geometry"]["type"] == "MultiPolygon")
    );
    let (_, one) = get_json(&router, "/collections/catchments/items?school=201").await;
    assert_eq!(one["numberMatched"], 1);
    assert_eq!(one["features"][0]["properties"]["year"], "2020-2021");
    let cid = one["features"][0]["id"].as_str().expect("id");
    let (status, _) = get_json(&router, &format!("/collections/catchments/items/{cid}")).await;
    assert_eq!(status, StatusCode::OK);

    let (_, schools) = get_json(&router, "/collections/schools/items?limit=1000").await;
    assert_eq!(schools["numberMatched"], 117);

    let (status, s) = get_json(&router, "/schools/201/summary").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s["school"]["name"], "Adams");
    assert_eq!(s["area"]["kind"], "catchment");
    let (_, items) = get_json(&router, "/collections/assets/items?school=201&limit=10000").await;
    assert_eq!(s["total"], items["numberMatched"]);
    let counted: u64 = s["categories"]
        .as_array()
        .expect("c")
        .iter()
        .map(|c| c["count"].as_u64().expect("n"))
        .sum();
    assert_eq!(Value::from(counted), s["total"]);
    // Every category with no asset inside is a gap, stated plainly.
    let gaps = s["gaps"].as_array().expect("gaps");
    assert!(gaps.iter().any(|g| g["category"] == "mental_health"));
    assert!(
        gaps.iter()
            .all(|g| g["statement"].as_str().expect("s").starts_with("No "))
    );

    let (status, p) = get_json(&router, "/schools/999999/summary").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(p["status"], 404);
    let (_, cats) = get_json(&router, "/categories").await;
    assert!(cats["categories"].as_array().expect("c").len() >= 15);
}

/// Everything the index serves, as one value, to show that nothing changed.
async fn snapshot(router: &axum::Router) -> Value {
    let mut all = Vec::new();
    for c in ["assets", "schools", "catchments"] {
        let (_, v) = get_json(router, &format!("/collections/{c}/items?limit=10000")).await;
        all.push(v["features"].clone());
    }
    Value::Array(all)
}

async fn bad_requests_are_problems_that_name_the_parameter_and_change_nothing(b: Backend) {
    let (db, router, _) = demo_router(b).await;
    let before = snapshot(&router).await;
    let store = assetmap::store::connect(&db.url).await.expect("store");
    let counts_before = store.counts().await.expect("counts");
    let cases: &[(&str, &str)] = &[
        ("/collections/assets/items?bbox=1,2,3", "bbox"),
        ("/collections/assets/items?bbox=0,0,1,1,2", "bbox"),
        ("/collections/assets/items?bbox=0,1e400,1,1", "bbox"),
        ("/collections/assets/items?bbox=a,b,c,d", "bbox"),
        ("/collections/assets/items?bbox=0,NaN,1,1", "bbox"),
        (
            "/collections/assets/items?bbox-crs=EPSG:3857&bbox=0,0,1,1",
            "bbox-crs",
        ),
        ("/collections/assets/items?colour=red", "colour"),
        ("/collections/assets/items?limit=-1", "limit"),
        ("/collections/assets/items?limit=0", "limit"),
        ("/collections/assets/items?limit=ten", "limit"),
        ("/collections/assets/items?offset=-5", "offset"),
        ("/collections/assets/items?limit=5&limit=6", "limit"),
        ("/collections/assets/items?near=-181,47", "near"),
        ("/collections/assets/items?near=NaN,47", "near"),
        ("/collections/assets/items?near=1", "near"),
        ("/collections/assets/items?radius=-100", "radius"),
        (
            "/collections/assets/items?near=-122.3,47.6&radius=-1",
            "radius",
        ),
        (
            "/collections/assets/items?near=-122.3,47.6&radius=inf",
            "radius",
        ),
        ("/collections/assets/items?category=spaceport", "category"),
        ("/collections/assets/items?school=no-such-school", "school"),
        ("/collections/assets/items?school=201&year=1999", "year"),
        (
            "/collections/assets/items?school=201&year=1999-2000",
            "year",
        ),
        ("/collections/assets/items?year=2020", "year"),
        ("/collections/assets/items?category=Library", "category"),
        ("/collections/assets/items?language=%20en", "language"),
        ("/collections/assets/items?f=xml", "f"),
        ("/collections/schools/items?category=park", "category"),
        ("/collections/catchments/items?school=nope", "school"),
        ("/collections?limit=1", "limit"),
        ("/schools/201/summary?year=twenty", "year"),
        ("/collections/assets/items?%zz=1", "%zz"),
    ];
    for (uri, param) in cases {
        let (status, headers, body) = call(&router, "GET", uri, &[]).await;
        assert!(status.is_client_error(), "{uri}: {status}");
        assert_eq!(headers["content-type"], "application/problem+json", "{uri}");
        let p: Value = serde_json::from_slice(&body).expect("problem json");
        assert_eq!(p["status"], status.as_u16(), "{uri}");
        let names: Vec<&str> = p["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            names.contains(param),
            "{uri}: expected {param} in {names:?} ({p})"
        );
    }
    // Wrong method and unknown paths are problems too, never 500.
    let (status, _, _) = call(&router, "GET", "/nowhere", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(&router, "POST", "/collections/assets/items", &[]).await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(snapshot(&router).await, before);
    assert_eq!(store.counts().await.expect("counts"), counts_before);
}

async fn bbox_across_the_antimeridian(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (store, index, state) = common::app(&db.url, false).await;
    let ids: Vec<uuid::Uuid> = (1..=4).map(uuid::Uuid::from_u128).collect();
    let assets = vec![
        common::asset(ids[0], 179.5, 0.0, "park", "west of the line"),
        common::asset(ids[1], -179.5, 0.0, "park", "east of the line"),
        common::asset(ids[2], 0.0, 0.0, "park", "Greenwich"),
        common::asset(ids[3], 180.0, 1.0, "park", "on the line"),
    ];
    store.upsert_assets(&assets, None).await.expect("insert");
    assetmap::sync::reload(store.as_ref(), &index)
        .await
        .expect("reload");
    let router = assetmap::http::router(state);
    let (_, page) = get_json(&router, "/collections/assets/items?bbox=170,-5,-170,5").await;
    let mut names: Vec<&str> = page["features"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["properties"]["name"].as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["east of the line", "on the line", "west of the line"]
    );
    assert_eq!(page["numberMatched"], 3);
}

/// What an OpenAPI-driven checker (schemathesis) found where the service and
/// its document disagreed: an empty parameter is a parameter left out; a
/// problem without field errors has no `errors` member (not null); a write to
/// a read-only collection is 405 with `Allow`, whoever asks.
async fn the_service_does_what_its_document_says(b: Backend) {
    let (_db, router, _) = demo_router(b).await;
    let (_, plain) = get_json(&router, "/collections/assets/items?limit=5").await;
    let (status, empty) = get_json(
        &router,
        "/collections/assets/items?limit=5&q=&school=&year=&category=&near=&bbox=&f=",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["features"], plain["features"]);
    assert_eq!(empty["numberMatched"], plain["numberMatched"]);
    let (status, _) = get_json(&router, "/reports/coverage?year=").await;
    assert_eq!(status, StatusCode::OK);

    let (status, headers, body) = call(
        &router,
        "DELETE",
        "/collections/assets/items/00000000-0000-0000-0000-000000000001",
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["content-type"], "application/problem+json");
    let p: Value = serde_json::from_slice(&body).expect("problem");
    assert!(
        p.get("errors").is_none(),
        "no errors member rather than null: {p}"
    );
    for lang in ["en", "es"] {
        let (_, _, body) = call(
            &router,
            "GET",
            &format!("/collections/nowhere?lang={lang}"),
            &[],
        )
        .await;
        let p: Value = serde_json::from_slice(&body).expect("problem");
        assert!(p.get("errors").is_none(), "{lang}: {p}");
    }

    for collection in ["schools", "catchments"] {
        for method in ["PUT", "PATCH", "DELETE"] {
            let uri =
                format!("/collections/{collection}/items/00000000-0000-0000-0000-000000000001");
            let (status, headers, _) = call(&router, method, &uri, &[]).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            assert_eq!(headers["allow"], "GET, HEAD", "{method} {uri}");
        }
        // OPTIONS lists a collection's own methods, though the routes are shared.
        for uri in [
            format!("/collections/{collection}/items"),
            format!("/collections/{collection}/items/00000000-0000-0000-0000-000000000001"),
        ] {
            let (status, headers, _) = call(&router, "OPTIONS", &uri, &[]).await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{uri}");
            assert_eq!(headers["allow"], "GET,HEAD,OPTIONS", "{uri}");
        }
    }
    let (_, headers, _) = call(&router, "OPTIONS", "/collections/assets/items", &[]).await;
    assert_eq!(headers["allow"], "GET,HEAD,POST,OPTIONS");

    // bbox as the standard defines it: any numbers, 4 or 6 of them.
    let count = |v: &Value| v["numberMatched"].as_u64().expect("numberMatched");
    let (_, all) = get_json(&router, "/collections/assets/items?limit=1").await;
    for (bbox, expect_all) in [
        ("-1e300,-91,1e300,91", true),
        ("-180,-90,180,90", true),
        ("-180,-90,-1000,180,90,8848", true),
        ("-180,10,180,-10", false),
    ] {
        let (status, page) = get_json(
            &router,
            &format!("/collections/assets/items?limit=1&bbox={bbox}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{bbox}: {page}");
        if expect_all {
            assert_eq!(count(&page), count(&all), "{bbox}");
        } else {
            assert_eq!(count(&page), 0, "minLat > maxLat selects nothing");
        }
    }
    // A parameter that belongs to another has no effect alone; a number too
    // large for any type is still a limit, clamped.
    for uri in [
        "/collections/assets/items?limit=5&radius=100",
        "/collections/assets/items?limit=5&year=2020-2021",
    ] {
        let (status, page) = get_json(&router, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {page}");
        assert_eq!(page["features"], plain["features"], "{uri}");
    }
    let (status, page) = get_json(
        &router,
        "/collections/catchments/items?limit=7965193110322639265806248050688",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // A school or a school's year that does not exist is a 404 naming it.
    for (uri, param) in [
        ("/collections/assets/items?school=no-such-school", "school"),
        (
            "/collections/assets/items?school=201&year=1999-2000",
            "year",
        ),
        (
            "/collections/assets/items?school=201&year=2020-2027",
            "year",
        ),
    ] {
        let (status, _, body) = call(&router, "GET", uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        let p: Value = serde_json::from_slice(&body).expect("problem");
        assert_eq!(p["errors"][0]["name"], param, "{uri}: {p}");
    }
}
