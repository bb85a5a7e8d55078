//! The gap analysis against an independent count from the files: per school
//! and category, the count inside the attendance area (point in polygon), the
//! count within the radius (haversine) and the nearest distance (brute force);
//! per pillar and domain their sums; the active partners recorded in the test;
//! and the district table, cell by cell, on both stores.

use assetmap::domain::sphere::{MILE_M, distance_m};
use assetmap::domain::taxonomy::{self, CATEGORIES, Domain, Pillar};
use geo::{Intersects, Point};
use serde_json::{Value, json};

mod common;
use common::{Backend, add_user_with, call, get_json, send_as};

on_both_stores!(gaps_match_an_independent_count);

/// The first asset of a category nearest to a point, by the API.
async fn nearest_of(router: &axum::Router, lon: f64, lat: f64, category: &str) -> Value {
    let (s, page) = get_json(
        router,
        &format!("/collections/assets/items?near={lon},{lat}&category={category}&limit=1"),
    )
    .await;
    assert_eq!(s, 200);
    page["features"][0].clone()
}

async fn gaps_match_an_independent_count(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let router = assetmap::http::router(state);
    let files = common::SeattleFiles::read();
    let staff = add_user_with(&db.url, "school", "Adams staff", &["--school", "201"]);
    let campus = files.sites["201"];
    let library_pillars = taxonomy::by_id("library").expect("library").pillars;

    // Adams's partners: an active food bank serving one pillar as recorded, an
    // active library with no pillars recorded (its category's pillars count),
    // and a prospective park (not a partner yet).
    let food = nearest_of(&router, campus.0, campus.1, "food").await;
    let library = nearest_of(&router, campus.0, campus.1, "library").await;
    let park = nearest_of(&router, campus.0, campus.1, "parks_recreation").await;
    for (asset, body) in [
        (
            &food,
            json!({"status": "active", "pillars": ["integrated_student_supports"], "provides": "Food bags", "public": true}),
        ),
        (&library, json!({"status": "active"})),
        (&park, json!({"status": "prospective"})),
    ] {
        let mut body = body;
        body["asset_id"] = asset["id"].clone();
        let (s, p) = send_as(
            &router,
            "POST",
            "/schools/201/partnerships",
            &staff,
            Some(&body),
        )
        .await;
        assert_eq!(s, 201, "{p}");
    }

    for radius in [MILE_M, 500.0] {
        let (s, g) = get_json(&router, &format!("/schools/201/gaps?radius={radius}")).await;
        assert_eq!(s, 200, "{g}");
        let a = &g["analysis"];
        let area = &files.areas["201"];
        let inside = |x: f64, y: f64| area.intersects(&Point::new(x, y));
        let mut statements = 0;
        for (c, row) in CATEGORIES
            .iter()
            .zip(a["categories"].as_array().expect("categories"))
        {
            assert_eq!(row["category"], c.id);
            let in_area = files
                .assets
                .iter()
                .filter(|x| x.2 == c.id && inside(x.0, x.1))
                .count();
            let within = files
                .assets
                .iter()
                .filter(|x| x.2 == c.id && distance_m(campus.0, campus.1, x.0, x.1) <= radius)
                .count();
            assert_eq!(row["in_area"], json!(in_area), "{}", c.id);
            assert_eq!(
                row["within_radius"],
                json!(within),
                "{} within {radius}",
                c.id
            );
            let nearest = files
                .assets
                .iter()
                .filter(|x| x.2 == c.id)
                .map(|x| distance_m(campus.0, campus.1, x.0, x.1))
                .min_by(f64::total_cmp);
            match (row["nearest"]["distance_m"].as_f64(), nearest) {
                (Some(got), Some(want)) => assert!((got - want).abs() <= 0.051, "{}", c.id),
                (None, None) => {}
                (got, want) => panic!("{}: {got:?} vs {want:?}", c.id),
            }
            let partners = [(&food, "food"), (&library, "library")]
                .iter()
                .filter(|(asset, _)| asset["properties"]["category"] == c.id)
                .count();
            assert_eq!(row["active_partners"], json!(partners), "{}", c.id);
            let gap = in_area == 0 && c.id != taxonomy::OTHER;
            assert_eq!(row["gap"].is_string(), gap, "{}", c.id);
            if gap {
                statements += 1;
                let s = row["gap"].as_str().expect("statement");
                assert!(
                    s.starts_with(&format!("No {}", c.label.to_lowercase())),
                    "{s}"
                );
                assert!(s.contains("attendance area"), "{s}");
            }
        }
        // Pillars and domains: sums of their categories; partners by pillar.
        let cats = a["categories"].as_array().expect("categories");
        let sum = |pred: &dyn Fn(&taxonomy::Category) -> bool, key: &str| -> u64 {
            CATEGORIES
                .iter()
                .zip(cats)
                .filter(|(c, _)| pred(c))
                .map(|(_, r)| r[key].as_u64().expect("count"))
                .sum()
        };
        for (p, row) in Pillar::ALL
            .iter()
            .zip(a["pillars"].as_array().expect("pillars"))
        {
            assert_eq!(row["id"], p.id());
            assert_eq!(
                row["in_area"],
                json!(sum(&|c| c.pillars.contains(p), "in_area"))
            );
            assert_eq!(
                row["within_radius"],
                json!(sum(&|c| c.pillars.contains(p), "within_radius"))
            );
            let partners = usize::from(*p == Pillar::IntegratedStudentSupports)
                + usize::from(library_pillars.contains(p));
            assert_eq!(row["active_partners"], json!(partners), "{p:?}");
            let no_partner = format!("No active partner for {}.", p.label().to_lowercase());
            assert_eq!(
                a["gaps"]
                    .as_array()
                    .expect("gaps")
                    .iter()
                    .any(|g| g == &json!(no_partner)),
                partners == 0,
                "{p:?}"
            );
        }
        for (d, row) in Domain::ALL
            .iter()
            .zip(a["domains"].as_array().expect("domains"))
        {
            assert_eq!(row["id"], d.id());
            assert_eq!(
                row["in_area"],
                json!(sum(&|c| c.domain == Some(*d), "in_area"))
            );
        }
        assert!(a["gaps"].as_array().expect("gaps").len() >= statements);
        // The public sees the partners the school made public, by name; its staff all.
        let names: Vec<&Value> = a["partners"]
            .as_array()
            .expect("partners")
            .iter()
            .map(|p| &p["name"])
            .collect();
        assert_eq!(names, [&food["properties"]["name"]]);
    }
    let (s, mine) = send_as(&router, "GET", "/schools/201/gaps", &staff, None).await;
    assert_eq!(s, 200);
    assert_eq!(
        mine["analysis"]["partners"]
            .as_array()
            .expect("partners")
            .len(),
        2
    );

    // The school's CSV: a row per pillar and category.
    let (s, h, csv) = call(&router, "GET", "/schools/201/gaps?f=csv", &[]).await;
    assert_eq!(s, 200);
    assert!(
        h["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/csv")
    );
    let rows = csv::Reader::from_reader(csv.as_slice()).records().count();
    let want: usize = CATEGORIES.iter().map(|c| c.pillars.len()).sum();
    assert_eq!(rows, want);

    // The district table, cell by cell: every school, every pillar.
    let (s, _, csv) = call(&router, "GET", "/reports/gaps?f=csv", &[]).await;
    assert_eq!(s, 200);
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let mut checked = 0;
    for r in reader.records() {
        let r = r.expect("row");
        let ext = &r[col("external_id")];
        let site = files.sites[ext];
        let inside = |x: f64, y: f64| match files.areas.get(ext) {
            Some(mp) => mp.intersects(&Point::new(x, y)),
            None => distance_m(site.0, site.1, x, y) <= MILE_M,
        };
        for p in Pillar::ALL {
            let of_pillar =
                |cat: &str| taxonomy::by_id(cat).is_some_and(|c| c.pillars.contains(&p));
            let in_area = files
                .assets
                .iter()
                .filter(|x| of_pillar(x.2) && inside(x.0, x.1))
                .count();
            let within = files
                .assets
                .iter()
                .filter(|x| of_pillar(x.2) && distance_m(site.0, site.1, x.0, x.1) <= MILE_M)
                .count();
            assert_eq!(
                r[col(&format!("{}_in_area", p.id()))],
                in_area.to_string(),
                "{ext} {p:?}"
            );
            assert_eq!(
                r[col(&format!("{}_within_radius", p.id()))],
                within.to_string(),
                "{ext} {p:?}"
            );
            let partners = if ext == "201" {
                usize::from(p == Pillar::IntegratedStudentSupports)
                    + usize::from(library_pillars.contains(&p))
            } else {
                0
            };
            assert_eq!(
                r[col(&format!("{}_active_partners", p.id()))],
                partners.to_string(),
                "{ext} {p:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 117 * 4);

    // Bad parameters are named.
    for (q, field) in [
        ("radius=0", "radius"),
        ("radius=abc", "radius"),
        ("f=xml", "f"),
        ("year=twenty", "year"),
        ("colour=red", "colour"),
    ] {
        let (s, p) = get_json(&router, &format!("/schools/201/gaps?{q}")).await;
        assert_eq!(s, 400, "{q}");
        assert!(
            p["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["name"] == field),
            "{q}: {p}"
        );
    }
    let (s, _) = get_json(&router, "/schools/no-such-school/gaps").await;
    assert_eq!(s, 404);
}
