//! PostGIS as the oracle: on the Seattle demo loaded into PostGIS, the R-tree's
//! answers agree with PostGIS's own for every school with an attendance area
//! (58 elementary, 12 middle, 10 high): assets in the area (`ST_Covers`), within
//! a mile of the campus (`ST_DWithin` on geography), and the 10 nearest
//! (`<->` on geography, then exact distance).
//!
//! PostGIS is asked on its sphere (`use_spheroid => false`, radius 6,371,008.77 m),
//! the model assetmap documents for every distance; the spheroid differs by up
//! to 0.5%, which would move points near a radius across it.

use std::collections::BTreeSet;

use assetmap::domain::SchoolRef;
use assetmap::domain::sphere::MILE_M;
use assetmap::index::{AreaSelector, AssetQuery};
use sqlx::postgres::PgPool;
use uuid::Uuid;

mod common;
use common::{Backend, TempDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rtree_agrees_with_postgis_for_every_school() {
    let db = TempDb::new(Backend::Postgres).await;
    let (_, index, _) = common::app(&db.url, true).await;
    let pool = PgPool::connect(&db.url).await.expect("pool");

    let per_level: Vec<(String, i64)> = sqlx::query_as(
        "SELECT s.level, count(*) FROM catchments c JOIN schools s ON s.id = c.school_id GROUP BY s.level ORDER BY s.level",
    )
    .fetch_all(&pool)
    .await
    .expect("levels");
    assert_eq!(
        per_level,
        vec![
            ("ELEM".to_owned(), 58),
            ("HS".to_owned(), 10),
            ("MS".to_owned(), 12)
        ]
    );

    let schools: Vec<(Uuid, String, f64, f64)> = sqlx::query_as(
        "SELECT s.id, s.external_id, ST_X(s.geom), ST_Y(s.geom) FROM schools s JOIN catchments c ON c.school_id = s.id ORDER BY s.external_id",
    )
    .fetch_all(&pool)
    .await
    .expect("schools");
    assert_eq!(schools.len(), 80);

    for (school_id, ext, lon, lat) in &schools {
        // Inside the area, boundary included.
        let want: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT a.id FROM assets a JOIN catchments c ON ST_Covers(c.geom, a.geom) WHERE c.school_id = $1 AND a.status = 'approved' ORDER BY a.id",
        )
        .bind(school_id)
        .fetch_all(&pool)
        .await
        .expect("covers");
        let want: Vec<Uuid> = want.into_iter().map(|r| r.0).collect();
        let q = AssetQuery {
            area: Some(AreaSelector {
                school: SchoolRef::District(ext.clone()),
                year: None,
            }),
            ..Default::default()
        };
        let (_, got) = index.query_ids(&q, 0, usize::MAX).expect("area");
        let got: Vec<Uuid> = got.into_iter().map(|r| r.0).collect();
        assert_eq!(got, want, "assets in the area of school {ext}");

        // Within a mile of the campus; points within a millimetre of the circle
        // are left out of the comparison (rounding may put them either side).
        let rows: Vec<(Uuid, f64)> = sqlx::query_as(
            "SELECT a.id, ST_Distance(a.geom::geography, s.geom::geography, false) FROM assets a, schools s \
             WHERE s.id = $1 AND ST_DWithin(a.geom::geography, s.geom::geography, $2 + 0.001, false)",
        )
        .bind(school_id)
        .bind(MILE_M)
        .fetch_all(&pool)
        .await
        .expect("dwithin");
        let want: BTreeSet<Uuid> = rows
            .iter()
            .filter(|r| r.1 <= MILE_M - 0.001)
            .map(|r| r.0)
            .collect();
        let edge: BTreeSet<Uuid> = rows
            .iter()
            .filter(|r| r.1 > MILE_M - 0.001)
            .map(|r| r.0)
            .collect();
        let q = AssetQuery {
            near: Some((*lon, *lat)),
            radius_m: Some(MILE_M),
            ..Default::default()
        };
        let (_, got) = index.query_ids(&q, 0, usize::MAX).expect("radius");
        let got: BTreeSet<Uuid> = got
            .into_iter()
            .map(|r| r.0)
            .filter(|id| !edge.contains(id))
            .collect();
        assert_eq!(got, want, "assets within a mile of school {ext}");

        // The 10 nearest, by exact great-circle distance.
        let rows: Vec<(Uuid, f64)> = sqlx::query_as(
            "SELECT id, d FROM (SELECT a.id, ST_Distance(a.geom::geography, s.geom::geography, false) AS d FROM assets a, schools s \
             WHERE s.id = $1 ORDER BY a.geom::geography <-> s.geom::geography LIMIT 50) n ORDER BY d, id LIMIT 10",
        )
        .bind(school_id)
        .fetch_all(&pool)
        .await
        .expect("knn");
        let q = AssetQuery {
            near: Some((*lon, *lat)),
            ..Default::default()
        };
        let (_, got) = index.query_ids(&q, 0, 10).expect("nearest");
        assert_eq!(got.len(), rows.len());
        for ((gid, gd), (wid, wd)) in got.iter().zip(&rows) {
            let gd = gd.expect("distance");
            assert!(
                (gd - wd).abs() < 0.01,
                "school {ext}: distance {gd} vs PostGIS {wd}"
            );
            // The same asset, or one at the same distance (ties come in either order).
            if gid != wid {
                assert!(
                    rows.iter()
                        .any(|(id, d)| id == gid && (d - gd).abs() < 0.01),
                    "school {ext}: {gid} at {gd} m is not among PostGIS's nearest"
                );
            }
        }
    }
}
