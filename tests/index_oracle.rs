//! The index against brute force: seeded random data, every query held against
//! a linear scan with great-circle distances.

use assetmap::domain::sphere::distance_m;
use assetmap::domain::{Bbox, Catchment, Location, School, SchoolRef, SchoolYear};
use assetmap::index::{AreaSelector, AssetQuery, Index};
use geo::{Intersects, LineString, MultiPolygon, Point, Polygon};
use proptest::prelude::*;
use serde_json::Map;
use uuid::Uuid;

mod common;

fn lonlat() -> impl Strategy<Value = (f64, f64)> {
    (-180.0f64..=180.0, -90.0f64..=90.0)
}

/// Points spread over the globe, some clustered near the antimeridian and the poles.
fn points() -> impl Strategy<Value = Vec<(f64, f64)>> {
    let anywhere = lonlat().boxed();
    let antimeridian = (
        prop_oneof![170.0f64..=180.0, -180.0f64..=-170.0],
        -10.0f64..=10.0,
    )
        .boxed();
    let polar = (-180.0f64..=180.0, 85.0f64..=90.0).boxed();
    proptest::collection::vec(prop_oneof![anywhere, antimeridian, polar], 0..300)
}

fn build(points: &[(f64, f64)]) -> (Index, Vec<(Uuid, f64, f64)>) {
    let index = Index::new(1609.344);
    let rows: Vec<(Uuid, f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| (Uuid::from_u128(i as u128 + 1), x, y))
        .collect();
    let assets: Vec<_> = rows
        .iter()
        .map(|&(id, x, y)| common::asset(id, x, y, "park", "p"))
        .collect();
    index.load(&assets, vec![], vec![]);
    (index, rows)
}

fn all(index: &Index, q: &AssetQuery) -> Vec<(Uuid, Option<f64>)> {
    index.query_ids(q, 0, usize::MAX).expect("query").1
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn bbox_agrees_with_a_scan(pts in points(), a in lonlat(), b in lonlat()) {
        let (index, rows) = build(&pts);
        // Any two longitudes make a box; minx > maxx crosses the antimeridian.
        let bbox = Bbox::new(a.0, a.1.min(b.1), b.0, a.1.max(b.1)).expect("bbox");
        // A result on one page may come in any order; across pages it is by id.
        let mut got: Vec<Uuid> = all(&index, &AssetQuery { bbox: Some(bbox), ..Default::default() }).into_iter().map(|r| r.0).collect();
        got.sort();
        if got.len() > 2 {
            let (_, page1) = index.query_ids(&AssetQuery { bbox: Some(bbox), ..Default::default() }, 0, 2).expect("q");
            let (_, rest) = index.query_ids(&AssetQuery { bbox: Some(bbox), ..Default::default() }, 2, usize::MAX - 2).expect("q");
            let paged: Vec<Uuid> = page1.into_iter().chain(rest).map(|r| r.0).collect();
            prop_assert_eq!(&paged, &got);
        }
        let mut want: Vec<Uuid> = rows.iter().filter(|r| bbox.contains(r.1, r.2)).map(|r| r.0).collect();
        want.sort();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn radius_agrees_with_a_scan(pts in points(), c in lonlat(), r in 0.0f64..3_000_000.0) {
        let (index, rows) = build(&pts);
        let q = AssetQuery { near: Some(c), radius_m: Some(r), ..Default::default() };
        let got = all(&index, &q);
        // Sorted by distance, and each distance is the haversine distance.
        for w in got.windows(2) {
            prop_assert!(w[0].1 <= w[1].1);
        }
        let by_id: std::collections::HashMap<Uuid, (f64, f64)> = rows.iter().map(|r| (r.0, (r.1, r.2))).collect();
        for (id, d) in &got {
            let (x, y) = by_id[id];
            let exact = distance_m(c.0, c.1, x, y);
            prop_assert!((d.expect("distance") - exact).abs() < 1e-3, "{} vs {}", d.expect("distance"), exact);
        }
        // The same set as a scan, but for points within a millimetre of the circle.
        let got_ids: std::collections::HashSet<Uuid> = got.iter().map(|g| g.0).collect();
        for &(id, x, y) in &rows {
            let d = distance_m(c.0, c.1, x, y);
            if (d - r).abs() > 1e-3 {
                prop_assert_eq!(got_ids.contains(&id), d <= r, "point at {} m, radius {}", d, r);
            }
        }
    }

    #[test]
    fn k_nearest_agrees_with_a_scan(pts in points(), c in lonlat(), k in 1usize..20) {
        let (index, rows) = build(&pts);
        let q = AssetQuery { near: Some(c), ..Default::default() };
        let (matched, page) = index.query_ids(&q, 0, k).expect("query");
        prop_assert_eq!(matched, rows.len());
        let mut want: Vec<f64> = rows.iter().map(|r| distance_m(c.0, c.1, r.1, r.2)).collect();
        want.sort_by(f64::total_cmp);
        want.truncate(k);
        prop_assert_eq!(page.len(), want.len());
        for (got, want) in page.iter().zip(&want) {
            prop_assert!((got.1.expect("distance") - want).abs() < 1e-3, "{:?} vs {}", got.1, want);
        }
        // Paging walks the same order.
        if page.len() > 2 {
            let (_, second) = index.query_ids(&q, 2, k - 2).expect("query");
            prop_assert_eq!(&page[2..], &second[..]);
        }
    }

    #[test]
    fn catchment_membership_survives_writes(
        pts in proptest::collection::vec((-1.0f64..11.0, -1.0f64..11.0), 0..200),
        moves in proptest::collection::vec((0usize..200, -1.0f64..11.0, -1.0f64..11.0), 0..40),
        removes in proptest::collection::vec(0usize..200, 0..20),
    ) {
        let ext = LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]);
        let hole = LineString::from(vec![(3.0, 3.0), (7.0, 3.0), (5.0, 7.0), (3.0, 3.0)]);
        let mp = MultiPolygon(vec![Polygon::new(ext, vec![hole])]);
        let school = School {
            id: Uuid::from_u128(9_999),
            district: String::new(),
            external_id: "S".into(),
            name: "S".into(),
            level: None,
            location: Location::new(5.0, 5.0).expect("loc"),
            extra: Map::new(),
        };
        let catchment = Catchment { id: Uuid::from_u128(1), school_id: school.id, year: SchoolYear::parse("2020-2021").expect("y"), geometry: mp.clone() };
        let index = Index::new(1609.344);
        let mut rows: Vec<Option<(f64, f64)>> = pts.iter().map(|&p| Some(p)).collect();
        let assets: Vec<_> = pts.iter().enumerate().map(|(i, &(x, y))| common::asset(Uuid::from_u128(i as u128 + 1), x, y, "park", "p")).collect();
        index.load(&assets, vec![school], vec![catchment]);
        // Each write carries a newer version, as the store's commits do.
        for (version, (i, x, y)) in (2..).zip(moves) {
            let i = i % (rows.len() + 1);
            if i == rows.len() {
                rows.push(Some((x, y)));
            } else {
                rows[i] = Some((x, y));
            }
            let moved = assetmap::domain::Asset { version, ..common::asset(Uuid::from_u128(i as u128 + 1), x, y, "park", "p") };
            index.upsert_asset(&moved);
        }
        for i in removes {
            if let Some(slot) = rows.get_mut(i) {
                let was = slot.take().is_some();
                prop_assert_eq!(index.remove_asset(Uuid::from_u128(i as u128 + 1)), was);
            }
        }
        let q = AssetQuery { area: Some(AreaSelector { school: SchoolRef::District("S".into()), year: None }), ..Default::default() };
        let got: Vec<Uuid> = all(&index, &q).into_iter().map(|r| r.0).collect();
        let want: Vec<Uuid> = rows.iter().enumerate()
            .filter_map(|(i, r)| r.filter(|&(x, y)| mp.intersects(&Point::new(x, y))).map(|_| Uuid::from_u128(i as u128 + 1)))
            .collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(index.len(), rows.iter().flatten().count());
    }
}
