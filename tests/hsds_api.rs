//! Open Referral's HSDS 3.0 API (`/hsds/…`), on both stores: every object
//! every route gives is valid against the HSDS 3.0 schema (closed objects,
//! formats checked), the schema itself accepting the specification's own
//! examples and refusing what HSDS does not define; the pages add up to the
//! whole; `school=`, `near=`/`radius=`, `bbox=`, the taxonomy, organization,
//! text and date filters agree with a brute-force reading of the store; bad
//! parameters get a 400 naming them and unknown ids a 404.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::{Value, json};
use uuid::Uuid;

mod common;
use common::{Backend, TempDb};

on_both_stores!(
    every_route_answers_valid_hsds,
    the_filters_agree_with_the_store
);

fn schema_doc() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hsds/schema/hsds-3.0.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema JSON")
}

/// A validator of one HSDS object (a `$defs` entry of the schema).
fn validator(def: &str) -> jsonschema::Validator {
    let mut doc = schema_doc();
    doc["$ref"] = json!(format!("#/$defs/{def}"));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&doc)
        .expect("a valid schema")
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let e = errors(v, instance);
    assert!(e.is_empty(), "{what}: {e:?}\n{instance}");
}

/// The schema accepts the specification's own examples, and refuses a member
/// HSDS does not define, a missing required one, a value outside an
/// enumeration and an id that is not a UUID.
#[test]
fn the_schema_accepts_the_specification_examples_and_nothing_else() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hsds/openreferral_hsds3_examples_fictional");
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(f)).expect("example")).expect("JSON")
    };
    for (file, def) in [
        ("service_full.json", "service"),
        ("organization_full.json", "organization"),
        ("location.json", "location"),
        ("service_at_location_full.json", "service_at_location"),
    ] {
        assert_valid(&validator(def), &read(file), file);
    }
    let service = validator("service");
    let example = read("service_full.json");
    let mut extra = example.clone();
    extra["colour"] = json!("red");
    let mut nested_extra = example.clone();
    nested_extra["service_at_locations"][0]["location"]["addresses"][0]["floor"] = json!(3);
    let mut missing = example.clone();
    missing.as_object_mut().expect("object").remove("status");
    let mut enumeration = example.clone();
    enumeration["status"] = json!("open");
    let mut not_uuid = example.clone();
    not_uuid["id"] = json!("service-1");
    let mut null = example.clone();
    null["description"] = Value::Null;
    for (what, bad) in [
        ("an unknown member", extra),
        ("an unknown member deep inside", nested_extra),
        ("a required member missing", missing),
        ("a value outside the enumeration", enumeration),
        ("an id that is not a UUID", not_uuid),
        ("null for a string", null),
    ] {
        assert!(!errors(&service, &bad).is_empty(), "{what} passed");
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_assetmap");

/// The Seattle demo set and the San Mateo directory (phones, languages,
/// weekly hours, addresses in parts), indexed, and the router.
async fn seattle_and_san_mateo(db: &TempDb) -> (axum::Router, Vec<assetmap::domain::Asset>) {
    let _ = common::app(&db.url, true).await;
    let ohana =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hsds/ohana_smc_sample_csv");
    let out = std::process::Command::new(BIN)
        .args(["import", "hsds", ohana.to_str().expect("path")])
        .args(["--database-url", &db.url])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (store, _, state) = common::app(&db.url, false).await;
    let assets: Vec<_> = store
        .assets()
        .await
        .expect("assets")
        .into_iter()
        .filter(|a| a.status == assetmap::domain::Status::Approved)
        .collect();
    (assetmap::http::router(state), assets)
}

/// Every page of a list, checked as a page and item by item; the contents.
async fn all_pages(
    router: &axum::Router,
    path: &str,
    per_page: usize,
    item: &jsonschema::Validator,
) -> Vec<Value> {
    let page_v = validator("page");
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let uri = format!("{path}{sep}page={page}&per_page={per_page}");
        let (status, headers, body) = common::call(router, "GET", &uri, &[]).await;
        assert_eq!(status, 200, "{uri}: {}", String::from_utf8_lossy(&body));
        assert_eq!(headers["content-type"], "application/json", "{uri}");
        let v: Value = serde_json::from_slice(&body).expect("JSON");
        assert_valid(&page_v, &v, &uri);
        let contents = v["contents"].as_array().expect("contents").clone();
        for c in &contents {
            assert_valid(item, c, &uri);
        }
        assert_eq!(v["page_number"], page);
        assert_eq!(v["size"], contents.len());
        assert_eq!(v["first_page"], page == 1);
        let total = v["total_items"].as_u64().expect("total") as usize;
        assert_eq!(v["total_pages"], total.div_ceil(per_page));
        assert_eq!(v["empty"], contents.is_empty());
        out.extend(contents);
        if v["last_page"] == true {
            assert_eq!(out.len(), total, "{path}: the pages add up to total_items");
            return out;
        }
        page += 1;
    }
}

fn ids(contents: &[Value]) -> BTreeSet<String> {
    contents
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn every_route_answers_valid_hsds(b: Backend) {
    let db = TempDb::new(b).await;
    let (router, assets) = seattle_and_san_mateo(&db).await;
    let every: BTreeSet<String> = assets.iter().map(|a| a.id.to_string()).collect();
    assert!(every.len() > 660, "the demo set and the directory");
    let (service, sal, location, organization) = (
        validator("service"),
        validator("service_at_location"),
        validator("location"),
        validator("organization"),
    );

    let mut whole_services = Vec::new();
    for (path, v) in [
        ("/hsds/services", &service),
        ("/hsds/services?full=true", &service),
        ("/hsds/services?minimal=true", &service),
        ("/hsds/service_at_locations", &sal),
        ("/hsds/service_at_locations?full=true", &sal),
        ("/hsds/locations", &location),
    ] {
        let contents = all_pages(&router, path, 250, v).await;
        assert_eq!(ids(&contents), every, "{path}: each approved asset once");
        if path == "/hsds/services?full=true" {
            whole_services = contents;
        }
    }
    // What the directory brought is all there, in HSDS's own members.
    let full = all_pages(
        &router,
        "/hsds/services?full=true&search=fair%20oaks",
        10,
        &service,
    )
    .await;
    let fair_oaks = full
        .iter()
        .find(|s| {
            s["service_at_locations"][0]["location"]["name"] == "Fair Oaks Adult Activity Center"
        })
        .expect("Fair Oaks");
    let l = &fair_oaks["service_at_locations"][0]["location"];
    assert_eq!(l["latitude"], 37.477227);
    let address = &l["addresses"][0];
    assert_eq!(
        (
            &address["address_1"],
            &address["city"],
            &address["state_province"],
            &address["postal_code"],
            &address["country"]
        ),
        (
            &json!("2600 Middlefield Road"),
            &json!("Redwood City"),
            &json!("CA"),
            &json!("94063"),
            &json!("US")
        )
    );
    assert!(
        l["languages"]
            .as_array()
            .expect("l")
            .iter()
            .any(|x| x["code"] == "es" && x["name"] == "Spanish")
    );
    assert!(!l["phones"].as_array().expect("phones").is_empty());
    // Weekly hours as weekly schedules.
    let weekly: Vec<&Value> = whole_services
        .iter()
        .flat_map(|s| {
            s["service_at_locations"][0]["location"]["schedules"]
                .as_array()
                .expect("s")
        })
        .filter(|s| s["freq"] == "WEEKLY")
        .collect();
    assert!(!weekly.is_empty(), "weekly schedules");
    for s in weekly {
        assert!(
            s["byday"].as_str().is_some_and(|d| !d.is_empty())
                && s["opens_at"].is_string()
                && s["closes_at"].is_string(),
            "{s}"
        );
    }

    // Each item route, for every asset (the ids are shared by the service,
    // the location and the link), and its organization.
    for a in assets.iter().take(40) {
        for (route, v) in [
            ("services", &service),
            ("service_at_locations", &sal),
            ("locations", &location),
        ] {
            let (status, body) =
                common::get_json(&router, &format!("/hsds/{route}/{}", a.id)).await;
            assert_eq!(status, 200, "{route}/{}", a.id);
            assert_valid(v, &body, route);
            assert_eq!(body["id"], a.id.to_string());
        }
    }
    let orgs = all_pages(&router, "/hsds/organizations", 2, &organization).await;
    let names: BTreeSet<&str> = assets.iter().map(|a| a.fields.organization()).collect();
    assert_eq!(orgs.len(), names.len());
    let whole = all_pages(
        &router,
        "/hsds/organizations?full=true&full_service=true",
        3,
        &organization,
    )
    .await;
    for o in &whole {
        let name = o["name"].as_str().expect("name");
        let n = assets
            .iter()
            .filter(|a| a.fields.organization() == name)
            .count();
        assert_eq!(
            o["services"].as_array().expect("services").len(),
            n.min(1000),
            "{name}"
        );
        assert_eq!(
            o["locations"].as_array().expect("locations").len(),
            n.min(1000),
            "{name}"
        );
        let (status, one) = common::get_json(
            &router,
            &format!("/hsds/organizations/{}", o["id"].as_str().expect("id")),
        )
        .await;
        assert_eq!(status, 200);
        assert_valid(&organization, &one, "organization");
        assert_eq!(one["services"].as_array().map(Vec::len), Some(n.min(1000)));
    }
    let terms = all_pages(
        &router,
        "/hsds/taxonomy_terms",
        5,
        &validator("taxonomy_term"),
    )
    .await;
    assert_eq!(terms.len(), assetmap::domain::taxonomy::CATEGORIES.len());
    let taxonomies = all_pages(&router, "/hsds/taxonomies", 5, &validator("taxonomy")).await;
    assert_eq!(taxonomies.len(), 1);
    let tax_id = taxonomies[0]["id"].as_str().expect("id");
    for t in &terms {
        assert_eq!(t["taxonomy_id"], tax_id);
        let (status, one) = common::get_json(
            &router,
            &format!("/hsds/taxonomy_terms/{}", t["id"].as_str().expect("id")),
        )
        .await;
        assert_eq!((status.as_u16(), &one), (200, t));
    }
    let (status, one) = common::get_json(&router, &format!("/hsds/taxonomies/{tax_id}")).await;
    assert_eq!((status.as_u16(), &one), (200, &taxonomies[0]));
    let (status, api) = common::get_json(&router, "/hsds").await;
    assert_eq!(status, 200);
    assert_valid(&validator("api"), &api, "/hsds");
    assert_eq!(api["version"], "3.0");

    // Unknown ids: 404 problem+json; bad parameters: 400 naming them.
    let nobody = Uuid::new_v4();
    for uri in [
        format!("/hsds/services/{nobody}"),
        format!("/hsds/locations/{nobody}"),
        format!("/hsds/service_at_locations/{nobody}"),
        format!("/hsds/organizations/{nobody}"),
        format!("/hsds/taxonomy_terms/{nobody}"),
        format!("/hsds/taxonomies/{nobody}"),
        "/hsds/services/not-an-id".to_owned(),
    ] {
        let (status, headers, _) = common::call(&router, "GET", &uri, &[]).await;
        assert_eq!(status, 404, "{uri}");
        assert_eq!(headers["content-type"], "application/problem+json", "{uri}");
    }
    for (uri, name) in [
        ("/hsds/services?page=0", "page"),
        ("/hsds/services?per_page=many", "per_page"),
        ("/hsds/services?full=maybe", "full"),
        ("/hsds/services?minimal=1", "minimal"),
        ("/hsds/services?modified_after=yesterday", "modified_after"),
        ("/hsds/services?format=xml", "format"),
        ("/hsds/services?postcode=94063", "postcode"),
        ("/hsds/locations?near=500,1", "near"),
        ("/hsds/locations?bbox=1,2,3", "bbox"),
        ("/hsds/organizations?full_service=yes", "full_service"),
        ("/hsds/taxonomy_terms?top_only=2", "top_only"),
        (
            "/hsds/organizations/00000000-0000-0000-0000-000000000000?colour=red",
            "colour",
        ),
    ] {
        let (status, body) = common::get_json(&router, uri).await;
        assert_eq!(status, 400, "{uri}: {body}");
        let named: Vec<&str> = body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["name"].as_str())
            .collect();
        assert!(named.contains(&name), "{uri}: {body}");
    }
    // A page past the end is empty, not an error.
    let (status, past) = common::get_json(&router, "/hsds/services?page=999&per_page=50").await;
    assert_eq!(
        (
            status.as_u16(),
            &past["empty"],
            past["contents"].as_array().map(Vec::len)
        ),
        (200, &json!(true), Some(0))
    );
}

fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (l1, p1, l2, p2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((l2 - l1) / 2.0).sin().powi(2);
    2.0 * assetmap::domain::sphere::EARTH_RADIUS_M * h.sqrt().asin()
}

async fn the_filters_agree_with_the_store(b: Backend) {
    let db = TempDb::new(b).await;
    let (router, assets) = seattle_and_san_mateo(&db).await;
    let service = validator("service");
    let listed = |contents: Vec<Value>| ids(&contents);
    let expect = |f: &dyn Fn(&assetmap::domain::Asset) -> bool| -> BTreeSet<String> {
        assets
            .iter()
            .filter(|a| f(a))
            .map(|a| a.id.to_string())
            .collect()
    };

    // near= and radius=: great-circle metres from the point.
    let centre = (-122.3321, 47.6062);
    for radius in [500.0, 2_000.0] {
        let got = listed(
            all_pages(
                &router,
                &format!(
                    "/hsds/services?near={},{}&radius={radius}",
                    centre.0, centre.1
                ),
                100,
                &service,
            )
            .await,
        );
        let want = expect(&|a| {
            haversine_m(centre, (a.fields.location.lon(), a.fields.location.lat())) <= radius
        });
        assert!(!want.is_empty());
        assert_eq!(got, want, "radius {radius}");
    }
    // bbox=
    let (x0, y0, x1, y1) = (-122.40, 47.60, -122.30, 47.66);
    let got = listed(
        all_pages(
            &router,
            &format!("/hsds/locations?bbox={x0},{y0},{x1},{y1}"),
            100,
            &validator("location"),
        )
        .await,
    );
    let want = expect(&|a| {
        let (x, y) = (a.fields.location.lon(), a.fields.location.lat());
        (x0..=x1).contains(&x) && (y0..=y1).contains(&y)
    });
    assert!(!want.is_empty());
    assert_eq!(got, want);
    // school=: the same members as the map's own answer for the area.
    let (_, schools) = common::get_json(&router, "/collections/schools/items?limit=200").await;
    let mut checked = 0;
    for s in schools["features"]
        .as_array()
        .expect("schools")
        .iter()
        .take(12)
    {
        let id = s["id"].as_str().expect("id");
        let (status, area) = common::get_json(
            &router,
            &format!("/collections/assets/items?school={id}&limit=100000"),
        )
        .await;
        if status != 200 {
            continue;
        }
        let want: BTreeSet<String> = area["features"]
            .as_array()
            .expect("f")
            .iter()
            .map(|f| f["id"].as_str().expect("id").to_owned())
            .collect();
        let got = listed(
            all_pages(
                &router,
                &format!("/hsds/service_at_locations?school={id}"),
                100,
                &validator("service_at_location"),
            )
            .await,
        );
        assert_eq!(got, want, "school {id}");
        checked += usize::from(!want.is_empty());
    }
    assert!(checked > 5, "areas with assets");
    // taxonomy_term_id= (a term's id, or a category's code) and taxonomy_id=.
    let (_, terms) = common::get_json(&router, "/hsds/taxonomy_terms?per_page=100").await;
    for t in terms["contents"].as_array().expect("terms") {
        let code = t["code"].as_str().expect("code");
        let want = expect(&|a| a.fields.category == code);
        for key in [t["id"].as_str().expect("id"), code] {
            let got = listed(
                all_pages(
                    &router,
                    &format!("/hsds/services?taxonomy_term_id={key}"),
                    200,
                    &service,
                )
                .await,
            );
            assert_eq!(got, want, "term {key}");
        }
    }
    let foreign = listed(
        all_pages(
            &router,
            &format!("/hsds/services?taxonomy_id={}", Uuid::new_v4()),
            50,
            &service,
        )
        .await,
    );
    assert!(foreign.is_empty());
    // organization_id=, and the organizations list under the same filters.
    let mut by_org: HashMap<&str, usize> = HashMap::new();
    for a in &assets {
        *by_org.entry(a.fields.organization()).or_default() += 1;
    }
    for name in by_org.keys() {
        let id = assetmap::domain::organization_id(name);
        let got = listed(
            all_pages(
                &router,
                &format!("/hsds/services?organization_id={id}"),
                200,
                &service,
            )
            .await,
        );
        assert_eq!(got, expect(&|a| a.fields.organization() == *name), "{name}");
    }
    let in_radius = all_pages(
        &router,
        &format!(
            "/hsds/organizations?near={},{}&radius=2000",
            centre.0, centre.1
        ),
        50,
        &validator("organization"),
    )
    .await;
    let want: BTreeSet<String> = assets
        .iter()
        .filter(|a| {
            haversine_m(centre, (a.fields.location.lon(), a.fields.location.lat())) <= 2000.0
        })
        .map(|a| assetmap::domain::organization_id(a.fields.organization()).to_string())
        .collect();
    assert_eq!(ids(&in_radius), want);
    // search= (text in the name, any case).
    let got = listed(
        all_pages(
            &router,
            "/hsds/locations?search=LIBRARY",
            100,
            &validator("location"),
        )
        .await,
    );
    let want = expect(&|a| a.fields.name.to_lowercase().contains("library"));
    assert!(!want.is_empty());
    assert_eq!(got, want);
    // modified_after=: all of them since yesterday, none after tomorrow.
    let day = chrono::Duration::days(1);
    let yesterday = (chrono::Utc::now() - day).format("%Y-%m-%d").to_string();
    let tomorrow = (chrono::Utc::now() + day).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        listed(
            all_pages(
                &router,
                &format!("/hsds/services?modified_after={yesterday}"),
                500,
                &service
            )
            .await
        )
        .len(),
        assets.len()
    );
    assert!(
        listed(
            all_pages(
                &router,
                &format!(
                    "/hsds/services?modified_after={}",
                    tomorrow.replace('+', "%2B")
                ),
                500,
                &service
            )
            .await
        )
        .is_empty()
    );
}
