//! Index benchmarks, each beside a bare `rstar` run of the same work, so the
//! overhead of our index is a ratio measured in one run.
//!
//! Run: `cargo bench --bench index` (figures in BENCHMARKS.md).
//! Data: 1,000,000 random points over Seattle's extent, and the 58 real
//! elementary attendance areas of `data/seattle/`.

use std::hint::black_box;

use assetmap::domain::sphere::unit_vector;
use assetmap::domain::{
    Asset, AssetFields, Bbox, Catchment, Location, School, SchoolRef, SchoolYear, Status, taxonomy,
};
use assetmap::encode::{self, FeatureBytes};
use assetmap::import::{SchoolProperties, parse_catchments, parse_schools};
use assetmap::index::{AreaSelector, AssetQuery, Index};
use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Intersects, MultiPolygon, Point};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};
use uuid::Uuid;

const N: usize = 1_000_000;
/// Assets when the bench runs as a test (`cargo test --all-targets` runs each
/// benchmark once to check it works): the same code on fewer assets, since a
/// million take minutes to build in a debug build.
const N_AS_TEST: usize = 20_000;

/// How many assets: N under `cargo bench` (which passes `--bench`).
fn size() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        N
    } else {
        N_AS_TEST
    }
}
const EXTENT: [f64; 4] = [-122.45, 47.48, -122.22, 47.74];

/// A small deterministic generator (SplitMix64), so every run sees the same data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn assets(n: usize) -> Vec<Asset> {
    let mut rng = Rng(42);
    let cats: Vec<&str> = taxonomy::CATEGORIES.iter().map(|c| c.id).collect();
    let now = chrono::Utc::now();
    (0..n)
        .map(|i| {
            let lon = EXTENT[0] + rng.next() * (EXTENT[2] - EXTENT[0]);
            let lat = EXTENT[1] + rng.next() * (EXTENT[3] - EXTENT[1]);
            let mut fields = AssetFields::new(
                format!("Asset {i}"),
                cats[i % cats.len()],
                Location::new(lon, lat).expect("in range"),
            );
            fields.address = Some(format!("{i} Example Ave"));
            fields.phone = Some("206-555-0100".into());
            fields.languages = vec!["en".into()];
            fields.source = Some("bench".into());
            fields.source_id = Some(i.to_string());
            Asset {
                id: Uuid::from_u128(rng.0 as u128 ^ ((i as u128) << 64)),
                status: Status::Approved,
                created_at: now,
                updated_at: now,
                version: 1,
                fields,
            }
        })
        .collect()
}

fn seattle() -> (Vec<School>, Vec<Catchment>) {
    let root = env!("CARGO_MANIFEST_DIR");
    let sites =
        std::fs::read_to_string(format!("{root}/data/seattle/Sites_2020.geojson")).expect("sites");
    let fields = SchoolProperties {
        id: Some("SchoolID".into()),
        name: "property_l".into(),
        level: Some("status".into()),
        district: String::new(),
    };
    let table =
        |name: &str, text: &str| assetmap::import::read_geojson_text(name, text).expect("read");
    let schools = parse_schools(table("sites", &sites), &fields).items;
    let map = schools
        .iter()
        .map(|s| (s.external_id.clone(), s.id))
        .collect();
    let es = std::fs::read_to_string(format!(
        "{root}/data/seattle/sps_attendance_area_ES_2020_2021.geojson"
    ))
    .expect("es");
    let year = SchoolYear::parse("2020-2021").expect("year");
    let key = assetmap::import::AreaKey::Id("ES_SCH".into());
    let catchments = parse_catchments(table("es", &es), &key, &year, &map).items;
    (schools, catchments)
}

type P2 = GeomWithData<[f64; 2], u32>;
type P3 = GeomWithData<[f64; 3], u32>;
type P2Id = GeomWithData<[f64; 2], Uuid>;
type P3Id = GeomWithData<[f64; 3], Uuid>;

/// The bare-rstar way to serve the same bytes: look up each hit's feature and
/// append it, comma-separated.
fn write_hits(out: &mut Vec<u8>, features: &[FeatureBytes], hits: impl Iterator<Item = u32>) {
    for (n, h) in hits.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&features[h as usize].bytes);
    }
}

fn benches(c: &mut Criterion) {
    let data = assets(size());
    let (schools, catchments) = seattle();
    let lonlat = |a: &Asset| [a.fields.location.lon(), a.fields.location.lat()];
    let unit = |a: &Asset| unit_vector(a.fields.location.lon(), a.fields.location.lat());
    let p2: Vec<P2> = data
        .iter()
        .enumerate()
        .map(|(i, a)| P2::new(lonlat(a), i as u32))
        .collect();
    let p3: Vec<P3> = data
        .iter()
        .enumerate()
        .map(|(i, a)| P3::new(unit(a), i as u32))
        .collect();

    let mut g = c.benchmark_group("bulk_load_1m");
    g.sample_size(10);
    g.bench_function("assetmap", |b| {
        b.iter(|| {
            let index = Index::new(1609.344);
            index.load(black_box(&data), schools.clone(), catchments.clone());
            index
        })
    });
    g.bench_function("rstar_2d", |b| {
        b.iter(|| RTree::bulk_load(black_box(p2.clone())))
    });
    g.bench_function("rstar_2d_and_3d", |b| {
        b.iter(|| {
            (
                RTree::bulk_load(black_box(p2.clone())),
                RTree::bulk_load(black_box(p3.clone())),
            )
        })
    });
    g.finish();

    let index = Index::new(1609.344);
    index.load(&data, schools.clone(), catchments.clone());
    // Bare rstar, two ways: trees whose entries carry the asset id (to answer
    // with ids), and trees of slot numbers plus each feature's bytes (to answer
    // with GeoJSON, as a server does).
    let tree2 = RTree::bulk_load(p2);
    let tree3 = RTree::bulk_load(p3);
    let tree2_id = RTree::bulk_load(data.iter().map(|a| P2Id::new(lonlat(a), a.id)).collect());
    let tree3_id = RTree::bulk_load(data.iter().map(|a| P3Id::new(unit(a), a.id)).collect());
    let features: Vec<FeatureBytes> = data.iter().map(encode::asset_feature).collect();
    let mut buf = Vec::with_capacity(8 << 20);

    // A box over about 100 assets: 1e-4 of the extent's area.
    let (w, h) = (
        (EXTENT[2] - EXTENT[0]) / 100.0,
        (EXTENT[3] - EXTENT[1]) / 100.0,
    );
    let (x0, y0) = (-122.33, 47.60);
    let bbox = Bbox::new(x0, y0, x0 + w, y0 + h).expect("bbox");
    let env = AABB::from_corners([x0, y0], [x0 + w, y0 + h]);
    let q_bbox = AssetQuery {
        bbox: Some(bbox),
        ..Default::default()
    };
    let found = index.query_ids(&q_bbox, 0, 10_000).expect("q").0;
    eprintln!("bbox query matches {found} assets");
    let mut g = c.benchmark_group("bbox_100");
    g.bench_function("assetmap_ids", |b| {
        b.iter(|| index.query_ids(black_box(&q_bbox), 0, 100))
    });
    g.bench_function("rstar_ids", |b| {
        b.iter(|| {
            tree2_id
                .locate_in_envelope(black_box(&env))
                .map(|e| e.data)
                .collect::<Vec<Uuid>>()
        })
    });
    g.bench_function("assetmap_geojson_bytes", |b| {
        b.iter(|| {
            buf.clear();
            index.write_assets(black_box(&q_bbox), 0, 100, &mut buf, None)
        })
    });
    g.bench_function("rstar_geojson_bytes", |b| {
        b.iter(|| {
            buf.clear();
            write_hits(
                &mut buf,
                &features,
                tree2.locate_in_envelope(black_box(&env)).map(|e| e.data),
            );
        })
    });
    g.finish();

    let centre = (-122.3321, 47.6062);
    let q_knn = AssetQuery {
        near: Some(centre),
        ..Default::default()
    };
    let u = unit_vector(centre.0, centre.1);
    let mut g = c.benchmark_group("nearest_10");
    g.bench_function("assetmap_ids", |b| {
        b.iter(|| index.query_ids(black_box(&q_knn), 0, 10))
    });
    g.bench_function("rstar_ids", |b| {
        b.iter(|| {
            tree3_id
                .nearest_neighbor_iter_with_distance_2(black_box(&u))
                .take(10)
                .map(|(e, d)| (e.data, d))
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("assetmap_geojson_bytes", |b| {
        b.iter(|| {
            buf.clear();
            index.write_assets(black_box(&q_knn), 0, 10, &mut buf, None)
        })
    });
    g.bench_function("rstar_geojson_bytes", |b| {
        b.iter(|| {
            buf.clear();
            write_hits(
                &mut buf,
                &features,
                tree3
                    .nearest_neighbor_iter_with_distance_2(black_box(&u))
                    .take(10)
                    .map(|(e, _)| e.data),
            );
        })
    });
    g.finish();

    // The catchment of Adams Elementary (district id 201).
    let adams = schools
        .iter()
        .find(|s| s.external_id == "201")
        .expect("Adams");
    let area: &MultiPolygon<f64> = &catchments
        .iter()
        .find(|c| c.school_id == adams.id)
        .expect("area")
        .geometry;
    let pts: Vec<[f64; 2]> = area
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter().map(|c| [c.x, c.y]))
        .collect();
    let area_env = AABB::from_points(pts.iter());
    let q_area = AssetQuery {
        area: Some(AreaSelector {
            school: SchoolRef::District("201".into()),
            year: None,
        }),
        ..Default::default()
    };
    let members = index.query_ids(&q_area, 0, usize::MAX).expect("q").0;
    eprintln!("Adams catchment holds {members} assets");
    let mut g = c.benchmark_group("catchment_all");
    g.sample_size(20);
    g.bench_function("assetmap_ids", |b| {
        b.iter(|| index.query_ids(black_box(&q_area), 0, usize::MAX))
    });
    g.bench_function("rstar_ids", |b| {
        b.iter(|| {
            tree2_id
                .locate_in_envelope(black_box(&area_env))
                .filter(|e| area.intersects(&Point::new(e.geom()[0], e.geom()[1])))
                .map(|e| e.data)
                .collect::<Vec<Uuid>>()
        })
    });
    g.bench_function("assetmap_geojson_bytes", |b| {
        b.iter(|| {
            buf.clear();
            index.write_assets(black_box(&q_area), 0, usize::MAX, &mut buf, None)
        })
    });
    g.bench_function("rstar_geojson_bytes", |b| {
        b.iter(|| {
            buf.clear();
            write_hits(
                &mut buf,
                &features,
                tree2
                    .locate_in_envelope(black_box(&area_env))
                    .filter(|e| area.intersects(&Point::new(e.geom()[0], e.geom()[1])))
                    .map(|e| e.data),
            );
        })
    });
    g.finish();

    // A page of 1,000 features whose `open_now` is worked out as they are
    // written, against the same page without opening hours (prebuilt bytes only).
    let page: Vec<Asset> = data[..1_000].to_vec();
    let with_hours: Vec<Asset> = page
        .iter()
        .cloned()
        .map(|mut a| {
            a.fields.opening_hours = Some("Mo-Fr 09:00-17:00; Sa 10:00-14:00".into());
            a
        })
        .collect();
    let plain = Index::new(1609.344);
    plain.load(&page, Vec::new(), Vec::new());
    let timed = Index::new(1609.344);
    timed.load(&with_hours, Vec::new(), Vec::new());
    let everything = AssetQuery::default();
    let mut g = c.benchmark_group("page_1000_open_now");
    g.bench_function("without_hours", |b| {
        b.iter(|| {
            buf.clear();
            plain.write_assets(black_box(&everything), 0, 1_000, &mut buf, None)
        })
    });
    g.bench_function("with_hours", |b| {
        b.iter(|| {
            buf.clear();
            timed.write_assets(black_box(&everything), 0, 1_000, &mut buf, None)
        })
    });
    g.finish();
}

criterion_group!(index_benches, benches);
criterion_main!(index_benches);
