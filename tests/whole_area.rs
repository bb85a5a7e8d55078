//! A whole attendance area in one answer, on both stores: 12,000 assets placed
//! inside Adams Elementary's area (more than the densest Seattle area at
//! 100,000 assets) come back from one `school=…&limit=…` request, all of
//! them, streamed in several pieces; without `school=` a page stays capped at
//! 10,000.

use std::collections::HashSet;

use geo::{BoundingRect, Contains};
use serde_json::Value;
use uuid::Uuid;

mod common;
use common::{Backend, TempDb};

on_both_stores!(a_whole_area_comes_in_one_streamed_answer);

const PLACED: usize = 12_000;

async fn a_whole_area_comes_in_one_streamed_answer(b: Backend) {
    let db = TempDb::new(b).await;
    let (store, index, _) = common::app(&db.url, true).await;
    let schools = store.schools().await.expect("schools");
    let adams = schools
        .iter()
        .find(|s| s.external_id == "201")
        .expect("Adams");
    let area = store
        .catchments()
        .await
        .expect("areas")
        .into_iter()
        .find(|c| c.school_id == adams.id)
        .expect("Adams's area");
    let rect = area.geometry.bounding_rect().expect("bounds");
    // A fixed walk over the area's bounding box, keeping the points inside.
    let mut assets = Vec::with_capacity(PLACED);
    let (mut i, n) = (0u64, 400u64);
    while assets.len() < PLACED {
        let (u, v) = ((i % n) as f64 + 0.5, (i / n % n) as f64 + 0.5);
        let jitter = (i / (n * n)) as f64 * 0.37;
        let lon = rect.min().x + (u + jitter).rem_euclid(n as f64) / n as f64 * rect.width();
        let lat = rect.min().y + (v + jitter).rem_euclid(n as f64) / n as f64 * rect.height();
        if area.geometry.contains(&geo::Point::new(lon, lat)) {
            let id = Uuid::from_u128(0xa5_0000_0000 + i as u128);
            assets.push(common::asset(
                id,
                lon,
                lat,
                "library",
                &format!("Placed {i}"),
            ));
        }
        i += 1;
    }
    store.upsert_assets(&assets, None).await.expect("insert");
    drop(index);
    let (_, _, state) = common::app(&db.url, false).await;
    let members = state
        .index
        .catchment_members(&assetmap::index::AreaSelector {
            school: assetmap::domain::SchoolRef::District("201".into()),
            year: None,
        })
        .map(|(_, m)| m.len())
        .expect("members");
    assert!(members > PLACED, "{members}");
    let router = assetmap::http::router(state);

    let frames =
        common::get_frames(&router, "/collections/assets/items?school=201&limit=100000").await;
    assert!(
        frames.len() > 2,
        "streamed in pieces, not built whole: {} frames",
        frames.len()
    );
    let body: Vec<u8> = frames.concat();
    let fc: Value = serde_json::from_slice(&body).expect("one FeatureCollection");
    let features = fc["features"].as_array().expect("features");
    assert_eq!(features.len(), members);
    assert_eq!(fc["numberMatched"], members);
    assert_eq!(fc["numberReturned"], members);
    let ids: HashSet<&str> = features.iter().filter_map(|f| f["id"].as_str()).collect();
    assert_eq!(ids.len(), members, "each asset once");
    assert!(
        assets
            .iter()
            .all(|a| ids.contains(a.id.to_string().as_str())),
        "every placed asset"
    );
    assert!(
        fc["links"]
            .as_array()
            .expect("links")
            .iter()
            .all(|l| l["rel"] != "next")
    );

    // The same area paged by 1,000 gives the same assets.
    let mut paged = HashSet::new();
    let mut offset = 0;
    loop {
        let (_, page) = common::get_json(
            &router,
            &format!("/collections/assets/items?school=201&limit=1000&offset={offset}"),
        )
        .await;
        let got = page["features"].as_array().expect("features");
        paged.extend(
            got.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_owned)),
        );
        offset += 1000;
        if got.is_empty() || offset >= members {
            break;
        }
    }
    assert_eq!(paged.len(), members);

    // Without a school, pages stay at most 10,000.
    let (_, page) = common::get_json(&router, "/collections/assets/items?limit=100000").await;
    assert_eq!(page["numberReturned"], 10_000);
    assert!(
        page["links"]
            .as_array()
            .expect("links")
            .iter()
            .any(|l| l["rel"] == "next")
    );
}
