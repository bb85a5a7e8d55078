//! The coverage report against counts computed independently from the files:
//! point-in-polygon over the attendance areas (a mile's radius for schools
//! without one) and brute-force nearest distances, cell by cell.

use assetmap::domain::sphere::{MILE_M, distance_m};
use assetmap::domain::taxonomy;
use geo::{Intersects, Point};

mod common;
use common::{Backend, call, get_json, seattle};

on_both_stores!(coverage_matches_an_independent_count);

async fn coverage_matches_an_independent_count(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let router = assetmap::http::router(state);
    let (status, report) = get_json(&router, "/reports/coverage").await;
    assert_eq!(status, 200);

    // The files, read on their own.
    let common::SeattleFiles {
        assets,
        areas,
        sites,
    } = common::SeattleFiles::read();

    let rows = report["schools"].as_array().expect("schools");
    assert_eq!(
        rows.len(),
        117,
        "every school has an area: a catchment or a radius"
    );
    let mut checked_cells = 0;
    for row in rows {
        let ext = row["external_id"].as_str().expect("ext");
        let campus = sites[ext];
        let inside = |x: f64, y: f64| match areas.get(ext) {
            Some(mp) => mp.intersects(&Point::new(x, y)),
            None => distance_m(campus.0, campus.1, x, y) <= MILE_M,
        };
        assert_eq!(
            row["area"] == "radius",
            !areas.contains_key(ext),
            "school {ext}"
        );
        for c in taxonomy::CATEGORIES {
            let want = assets
                .iter()
                .filter(|a| a.2 == c.id && inside(a.0, a.1))
                .count();
            assert_eq!(
                row["counts"][c.id].as_u64(),
                Some(want as u64),
                "school {ext}, {}",
                c.id
            );
            let nearest = assets
                .iter()
                .filter(|a| a.2 == c.id)
                .map(|a| distance_m(campus.0, campus.1, a.0, a.1))
                .min_by(f64::total_cmp);
            match (row["nearest_m"][c.id].as_f64(), nearest) {
                (Some(got), Some(want)) => assert!(
                    (got - want).abs() <= 0.051,
                    "school {ext}, {}: {got} vs {want}",
                    c.id
                ),
                (None, None) => {}
                (got, want) => panic!("school {ext}, {}: {got:?} vs {want:?}", c.id),
            }
            checked_cells += 2;
        }
    }
    assert_eq!(checked_cells, 117 * taxonomy::CATEGORIES.len() * 2);

    // One computation: a school's summary says the same as its row.
    let (_, summary) = get_json(&router, "/schools/201/summary").await;
    let row = rows
        .iter()
        .find(|r| r["external_id"] == "201")
        .expect("Adams");
    for c in summary["categories"].as_array().expect("categories") {
        assert_eq!(
            row["counts"][c["category"].as_str().expect("id")],
            c["count"]
        );
    }

    // The CSV has the same rows; a year without areas gives only the radius schools.
    let (status, headers, csv) = call(&router, "GET", "/reports/coverage.csv", &[]).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/csv")
    );
    let csv = String::from_utf8(csv).expect("utf8");
    assert_eq!(csv.trim_end().split("\r\n").count(), 118);
    assert!(csv.starts_with(
        "school_id,external_id,name,level,area,radius_m,total,health_count,health_nearest_m"
    ));
    let (_, other_year) = get_json(&router, "/reports/coverage?year=2021-2022").await;
    assert_eq!(
        other_year["schools"].as_array().expect("rows").len(),
        117 - 80
    );
    let (status, _) = get_json(&router, "/reports/coverage?year=twenty").await;
    assert_eq!(status, 400);
}

on_both_stores!(the_join_tags_every_asset_with_every_area_that_holds_it);

async fn the_join_tags_every_asset_with_every_area_that_holds_it(b: Backend) {
    use std::collections::BTreeSet;
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let router = assetmap::http::router(state);

    // What the API says each school's area holds, by source id.
    let mut want: BTreeSet<(String, String)> = BTreeSet::new();
    let (_, schools) = get_json(&router, "/collections/catchments/items?limit=1000").await;
    for c in schools["features"].as_array().expect("features") {
        let ext = c["properties"]["school_external_id"]
            .as_str()
            .expect("ext")
            .to_owned();
        let (_, page) = get_json(
            &router,
            &format!("/collections/assets/items?school={ext}&limit=10000"),
        )
        .await;
        for f in page["features"].as_array().expect("features") {
            want.insert((
                f["properties"]["source_id"]
                    .as_str()
                    .expect("sid")
                    .to_owned(),
                ext.clone(),
            ));
        }
    }
    assert!(
        want.len() > 643,
        "assets lie in an elementary, a middle and a high-school area"
    );

    // The CLI's join of the same files, in one pass.
    let out = db.dir.path().join("join.csv");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .arg("join")
        .args([
            "--assets",
            seattle("seattle_community_assets_combined.geojson")
                .to_str()
                .expect("p"),
            "--id-field",
            "id",
        ])
        .args([
            "--catchments",
            seattle("sps_attendance_area_ES_2020_2021.geojson")
                .to_str()
                .expect("p"),
            "--school-field",
            "ES_SCH",
            "--year",
            "2020-2021",
        ])
        .args([
            "--catchments",
            seattle("sps_attendance_area_MS_2020_2021.geojson")
                .to_str()
                .expect("p"),
            "--school-field",
            "MS_SCH",
            "--year",
            "2020-2021",
        ])
        .args([
            "--catchments",
            seattle("sps_attendance_area_HS_2020_2021.geojson")
                .to_str()
                .expect("p"),
            "--school-field",
            "HS_SCH",
            "--year",
            "2020-2021",
        ])
        .args(["--out", out.to_str().expect("p")])
        .output()
        .expect("join");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(&out).expect("csv");
    let got: BTreeSet<(String, String)> = csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let school = cells[cells.len() - 2].trim_matches('"');
            (!school.is_empty()).then(|| (cells[0].trim_matches('"').to_owned(), school.to_owned()))
        })
        .collect();
    assert_eq!(got, want);

    // The same join of the stored data, through the API.
    let (status, _, _) = call(&router, "GET", "/reports/catchment-join.csv", &[]).await;
    assert_eq!(status, 200);
    // Written an area at a time in pieces of about 64 KiB, never built whole.
    let frames = common::get_frames(&router, "/reports/catchment-join.csv").await;
    let body = String::from_utf8(frames.concat()).expect("utf8");
    assert_eq!(body.trim_end().split("\r\n").count(), 1 + want.len());
    assert!(body.len() > 3 * 64 * 1024, "{} bytes", body.len());
    assert!(frames.len() >= 3, "{} pieces", frames.len());
}
