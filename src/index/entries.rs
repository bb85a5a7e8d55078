//! What the R-trees hold: an asset's slot and entries, the guarded bulk load,
//! and the small geometry helpers the index shares.

use geo::MultiPolygon;
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};
use uuid::Uuid;

use crate::domain::sphere::unit_vector;
use crate::domain::{Asset, taxonomy};
use crate::encode::{self, FeatureBytes};

/// What an R-tree entry carries besides its point: the slot, and what a query
/// needs without touching the slot (the id, by which results are ordered and
/// reported, and the category).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Key {
    pub(super) id: Uuid,
    pub(super) slot: u32,
    pub(super) category: u8,
}

pub(super) type PlanarEntry = GeomWithData<[f64; 2], Key>;
pub(super) type SphereEntry = GeomWithData<[f64; 3], Key>;

/// An indexed asset.
pub(super) struct Slot {
    pub(super) id: Uuid,
    pub(super) lon: f64,
    pub(super) lat: f64,
    pub(super) unit: [f64; 3],
    pub(super) category: u8,
    /// Lower-cased name, for `q`.
    pub(super) name_folded: Box<str>,
    pub(super) name: Box<str>,
    pub(super) feature: FeatureBytes,
    /// Names of the extra properties, for the CSV export's columns.
    pub(super) extra_keys: Box<[Box<str>]>,
    /// The languages spoken (ISO 639-1), for `language=`.
    pub(super) languages: Box<[[u8; 2]]>,
    /// The organization that offers it (see [`crate::domain::AssetFields::organization`]).
    pub(super) organization: Uuid,
    pub(super) organization_name: Box<str>,
    /// When it last changed, in milliseconds since 1970 (HSDS `modified_after`).
    pub(super) modified_ms: i64,
}

impl Slot {
    /// Open after 17:00 on some weekday, in the week the feature was written
    /// (`open=evening`).
    pub(super) fn open_evenings(&self) -> bool {
        self.feature.hours.as_ref().is_some_and(|h| h.evening())
    }

    /// Open on Saturday or Sunday, in the week the feature was written (`open=weekend`).
    pub(super) fn open_weekends(&self) -> bool {
        self.feature.hours.as_ref().is_some_and(|h| h.weekend())
    }

    /// Whether it is open at a local time (unknown counts as not open).
    pub(super) fn open_at(&self, at: chrono::NaiveDateTime) -> bool {
        self.feature
            .hours
            .as_ref()
            .is_some_and(|h| h.open_at(at) == Some(true))
    }
}

/// An ISO 639-1 code as two bytes (`None` when it is not one).
pub(super) fn language_code(code: &str) -> Option<[u8; 2]> {
    match code.as_bytes() {
        &[a, b] if a.is_ascii_lowercase() && b.is_ascii_lowercase() => Some([a, b]),
        _ => None,
    }
}

impl Slot {
    pub(super) fn from_asset(a: &Asset) -> Self {
        let f = &a.fields;
        let (lon, lat) = (f.location.lon(), f.location.lat());
        let feature = encode::asset_feature(a);
        Slot {
            id: a.id,
            lon,
            lat,
            unit: unit_vector(lon, lat),
            category: taxonomy::code(&f.category).unwrap_or_else(taxonomy::other_code),
            name_folded: f.name.to_lowercase().into_boxed_str(),
            name: f.name.clone().into_boxed_str(),
            feature,
            extra_keys: f.extra.keys().map(|k| k.as_str().into()).collect(),
            languages: f
                .languages
                .iter()
                .filter_map(|l| language_code(l))
                .collect(),
            organization: crate::domain::organization_id(f.organization()),
            organization_name: f.organization().into(),
            modified_ms: a.updated_at.timestamp_millis(),
        }
    }
}

/// `RTree::bulk_load`, guarded against an rstar 0.12 defect: for some sizes
/// (in 3-D, e.g. 49 points) `bulk_load` leaves leaves at different depths, and a
/// later `insert` into such a tree panics ("This is a bug in rstar", upstream
/// georust/rstar PR #239). When that happens the tree is built by insertion
/// instead, which is slower but always sound.
pub(super) fn bulk_load<T: rstar::RTreeObject + Clone>(items: Vec<T>) -> RTree<T> {
    pub(super) fn leaf_depths<T: rstar::RTreeObject>(
        node: &rstar::ParentNode<T>,
        depth: usize,
        seen: &mut Option<usize>,
    ) -> bool {
        node.children().iter().all(|c| match c {
            rstar::RTreeNode::Leaf(_) => *seen.get_or_insert(depth) == depth,
            rstar::RTreeNode::Parent(p) => leaf_depths(p, depth + 1, seen),
        })
    }
    let tree = RTree::bulk_load(items);
    if leaf_depths(tree.root(), 0, &mut None) {
        return tree;
    }
    let mut rebuilt = RTree::new();
    for item in tree.iter() {
        rebuilt.insert(item.clone());
    }
    rebuilt
}

pub(super) fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

pub(super) fn multipolygon_envelope(mp: &MultiPolygon<f64>) -> AABB<[f64; 2]> {
    let pts: Vec<[f64; 2]> =
        mp.0.iter()
            .flat_map(|p| p.exterior().0.iter().map(|c| [c.x, c.y]))
            .collect();
    if pts.is_empty() {
        // An empty geometry: an envelope that contains nothing.
        return AABB::from_corners([f64::MAX, f64::MAX], [f64::MAX, f64::MAX]);
    }
    AABB::from_points(pts.iter())
}
