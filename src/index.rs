//! The in-memory index: R-trees over the approved assets, each asset's GeoJSON
//! bytes, and which assets each school's area holds.
//!
//! # Why this shape
//! Reads dominate: every map view, export and report is a read, while writes are
//! a few an hour. So the index keeps, per asset, the finished GeoJSON bytes of its
//! Feature next to its R-tree entries, and a response is mostly `memcpy` of those
//! bytes. The members of every school area (a catchment for a school year, or the
//! radius around a campus when a school has none) are worked out when data
//! changes, kept sorted in the collection's order, and a request only slices them.
//!
//! Two R-trees hold each asset:
//! * `planar`: lon/lat points, for bounding boxes and for finding the candidates
//!   of a catchment polygon;
//! * `sphere`: unit vectors in 3-D, whose Euclidean (chord) distance orders points
//!   exactly as great-circle distance does, for radius and k-nearest queries that
//!   are correct at any latitude and across the antimeridian.
//!
//! # Concurrency
//! [`Index`] is a cheap-clone handle (`Arc<RwLock<State>>`). The lock is a std
//! `RwLock`, never held across an `.await`: every access goes through a closure
//! that runs synchronously, so a guard cannot escape into async code. Writers are
//! short (an insert into two R-trees and a few sorted vectors), so readers wait
//! microseconds. An `arc-swap` snapshot would make writes copy the whole index,
//! which costs too much at a million assets.
//!
//! Writes reach the index only after the store has committed them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use geo::{Intersects, MultiPolygon, Point};
use rstar::primitives::GeomWithData;
use rstar::{AABB, Envelope, RTree};
use uuid::Uuid;

use crate::domain::sphere::{chord2_for_metres, metres_for_chord2, unit_vector};
use crate::domain::taxonomy::{self, CATEGORIES};
use crate::domain::{Asset, Bbox, Catchment, School, SchoolYear, Status};
use crate::encode::{self, FeatureBytes};

/// What an R-tree entry carries besides its point: the slot, and what a query
/// needs without touching the slot (the id, by which results are ordered and
/// reported, and the category).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key {
    id: Uuid,
    slot: u32,
    category: u8,
}

type PlanarEntry = GeomWithData<[f64; 2], Key>;
type SphereEntry = GeomWithData<[f64; 3], Key>;

/// Errors a query can meet in the index.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    #[error("no school with id {0:?}")]
    UnknownSchool(String),
    #[error("school {school:?} has no attendance area for school year {year}")]
    NoAreaForYear { school: String, year: String },
}

/// An indexed asset.
struct Slot {
    id: Uuid,
    lon: f64,
    lat: f64,
    unit: [f64; 3],
    category: u8,
    /// Lower-cased name, for `q`.
    name_folded: Box<str>,
    name: Box<str>,
    feature: FeatureBytes,
    /// Names of the extra properties, for the CSV export's columns.
    extra_keys: Box<[Box<str>]>,
}

/// A school's area: one catchment year, or a circle around the campus.
#[derive(Debug, Clone)]
enum Shape {
    Polygon(MultiPolygon<f64>),
    Circle { lon: f64, lat: f64, radius_m: f64 },
}

struct Area {
    /// `None` for a circle around a school without any catchment.
    year: Option<SchoolYear>,
    shape: Shape,
    /// Planar envelope of a polygon (unused for circles).
    envelope: AABB<[f64; 2]>,
    /// Slots inside, ordered by asset id (the collection's order).
    members: Vec<u32>,
}

struct SchoolEntry {
    school: School,
    feature: FeatureBytes,
    /// Indices into `State::areas`, newest year first; a single circle when the
    /// school has no catchment.
    areas: Vec<usize>,
}

struct CatchmentEntry {
    id: Uuid,
    school: usize,
    year: SchoolYear,
    envelope: AABB<[f64; 2]>,
    feature: FeatureBytes,
}

struct State {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    by_id: HashMap<Uuid, u32>,
    /// Live slots ordered by asset id.
    order: Vec<u32>,
    planar: RTree<PlanarEntry>,
    sphere: RTree<SphereEntry>,
    category_counts: Vec<usize>,
    /// How many indexed assets carry each extra property.
    extra_keys: BTreeMap<Box<str>, usize>,
    /// Schools ordered by id.
    schools: Vec<SchoolEntry>,
    school_by_id: HashMap<Uuid, usize>,
    school_by_external: HashMap<String, usize>,
    /// Catchments ordered by (school id, year).
    catchments: Vec<CatchmentEntry>,
    areas: Vec<Area>,
    default_radius_m: f64,
}

/// The shared, cheap-clone handle to the index. See the module docs.
#[derive(Clone)]
pub struct Index {
    inner: Arc<RwLock<State>>,
}

/// Which school's area to use, and for which year.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaSelector {
    /// The school's id (UUID) or its external (district) id.
    pub school: String,
    /// `None`: the newest year.
    pub year: Option<SchoolYear>,
}

/// A set of categories as a bit mask of taxonomy codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CategorySet(u32);

impl CategorySet {
    pub fn insert(&mut self, code: u8) {
        self.0 |= 1 << code;
    }
    pub fn contains(&self, code: u8) -> bool {
        self.0 & (1 << code) != 0
    }
}

/// A query over assets. All given filters apply together.
#[derive(Debug, Clone, Default)]
pub struct AssetQuery {
    pub bbox: Option<Bbox>,
    pub categories: Option<CategorySet>,
    pub area: Option<AreaSelector>,
    /// Sort by great-circle distance from this lon/lat and report it.
    pub near: Option<(f64, f64)>,
    /// With `near`: only assets within this many metres.
    pub radius_m: Option<f64>,
    /// Text that the name contains (case-insensitive).
    pub q: Option<String>,
}

/// A page of ids: (number matched, [(id, distance when `near`)]).
pub type IdPage = (usize, Vec<(Uuid, Option<f64>)>);

/// The counts of a page of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCounts {
    pub matched: usize,
    pub returned: usize,
}

/// The nearest asset of one category to a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest {
    pub id: Uuid,
    pub name: String,
    pub distance_m: f64,
    pub lon: f64,
    pub lat: f64,
}

/// What a school's area holds, per category: the landscape behind the summary
/// and the coverage report.
#[derive(Debug, Clone)]
pub struct Landscape {
    pub school: School,
    /// The year of the catchment used, or `None` when the area is a radius.
    pub year: Option<SchoolYear>,
    /// The radius in metres when the area is a circle around the campus.
    pub radius_m: Option<f64>,
    /// Per taxonomy category, in taxonomy order.
    pub categories: Vec<CategoryLandscape>,
    pub total: usize,
}

/// One category's line in a [`Landscape`].
#[derive(Debug, Clone)]
pub struct CategoryLandscape {
    pub category: &'static str,
    pub count: usize,
    /// The nearest asset of this category to the campus, anywhere.
    pub nearest: Option<Nearest>,
    /// Whether that nearest asset is inside the area.
    pub nearest_inside: bool,
}

/// A school as the index knows it, with its area years.
#[derive(Debug, Clone)]
pub struct SchoolInfo {
    pub school: School,
    /// Catchment years, newest first (empty when the area is a radius).
    pub years: Vec<SchoolYear>,
}

impl Slot {
    fn from_asset(a: &Asset) -> Self {
        let (lon, lat) = (a.location.lon(), a.location.lat());
        Slot {
            id: a.id,
            lon,
            lat,
            unit: unit_vector(lon, lat),
            category: taxonomy::code(&a.category).unwrap_or_else(taxonomy::other_code),
            name_folded: a.name.to_lowercase().into_boxed_str(),
            name: a.name.clone().into_boxed_str(),
            feature: encode::asset_feature(a),
            extra_keys: a.extra.keys().map(|k| k.as_str().into()).collect(),
        }
    }
}

/// `RTree::bulk_load`, guarded against an rstar 0.12 defect: for some sizes
/// (in 3-D, e.g. 49 points) `bulk_load` leaves leaves at different depths, and a
/// later `insert` into such a tree panics ("This is a bug in rstar", upstream
/// georust/rstar PR #239). When that happens the tree is built by insertion
/// instead, which is slower but always sound.
fn bulk_load<T: rstar::RTreeObject + Clone>(items: Vec<T>) -> RTree<T> {
    fn leaf_depths<T: rstar::RTreeObject>(
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

fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

fn multipolygon_envelope(mp: &MultiPolygon<f64>) -> AABB<[f64; 2]> {
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

impl State {
    fn slot(&self, s: u32) -> &Slot {
        // Slots referenced by the trees and member lists are always live: every
        // removal takes the slot out of all of them first.
        self.slots[s as usize]
            .as_ref()
            .expect("index invariant: referenced slot is live")
    }

    fn id_of(&self, s: u32) -> Uuid {
        self.slot(s).id
    }

    fn key(&self, s: u32) -> Key {
        let sl = self.slot(s);
        Key {
            slot: s,
            category: sl.category,
            id: sl.id,
        }
    }

    fn shape_contains(shape: &Shape, envelope: &AABB<[f64; 2]>, slot: &Slot) -> bool {
        match shape {
            Shape::Polygon(mp) => {
                envelope.contains_point(&[slot.lon, slot.lat])
                    && mp.intersects(&Point::new(slot.lon, slot.lat))
            }
            Shape::Circle { lon, lat, radius_m } => {
                chord2(&unit_vector(*lon, *lat), &slot.unit) <= chord2_for_metres(*radius_m)
            }
        }
    }

    /// Computes an area's members from the trees (used when areas change).
    fn compute_members(&self, shape: &Shape, envelope: &AABB<[f64; 2]>) -> Vec<u32> {
        let mut members: Vec<u32> = match shape {
            Shape::Polygon(mp) => self
                .planar
                .locate_in_envelope(envelope)
                .filter(|e| mp.intersects(&Point::new(e.geom()[0], e.geom()[1])))
                .map(|e| e.data.slot)
                .collect(),
            Shape::Circle { lon, lat, radius_m } => self
                .sphere
                .locate_within_distance(unit_vector(*lon, *lat), chord2_for_metres(*radius_m))
                .map(|e| e.data.slot)
                .collect(),
        };
        members.sort_unstable_by_key(|&s| self.id_of(s));
        members
    }

    fn insert_slot(&mut self, slot: Slot) {
        let id = slot.id;
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(slot);
                s
            }
            None => {
                self.slots.push(Some(slot));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 assets")
            }
        };
        let (lon, lat, unit, category) = {
            let sl = self.slot(s);
            (sl.lon, sl.lat, sl.unit, sl.category)
        };
        self.by_id.insert(id, s);
        let at = self
            .order
            .binary_search_by_key(&id, |&o| self.id_of(o))
            .unwrap_or_else(|e| e);
        self.order.insert(at, s);
        let key = self.key(s);
        self.planar.insert(PlanarEntry::new([lon, lat], key));
        self.sphere.insert(SphereEntry::new(unit, key));
        self.category_counts[category as usize] += 1;
        for k in self.slot(s).extra_keys.clone() {
            *self.extra_keys.entry(k).or_insert(0) += 1;
        }
        for a in 0..self.areas.len() {
            let inside = {
                let area = &self.areas[a];
                Self::shape_contains(&area.shape, &area.envelope, self.slot(s))
            };
            if inside {
                let at = self.areas[a]
                    .members
                    .binary_search_by_key(&id, |&o| self.id_of(o))
                    .unwrap_or_else(|e| e);
                self.areas[a].members.insert(at, s);
            }
        }
    }

    fn remove_slot(&mut self, id: Uuid) -> bool {
        let Some(s) = self.by_id.remove(&id) else {
            return false;
        };
        let (lon, lat, unit, category) = {
            let sl = self.slot(s);
            (sl.lon, sl.lat, sl.unit, sl.category)
        };
        for a in 0..self.areas.len() {
            if let Ok(at) = self.areas[a]
                .members
                .binary_search_by_key(&id, |&o| self.id_of(o))
            {
                self.areas[a].members.remove(at);
            }
        }
        if let Ok(at) = self.order.binary_search_by_key(&id, |&o| self.id_of(o)) {
            self.order.remove(at);
        }
        let key = self.key(s);
        self.planar.remove(&PlanarEntry::new([lon, lat], key));
        self.sphere.remove(&SphereEntry::new(unit, key));
        self.category_counts[category as usize] -= 1;
        for k in self.slot(s).extra_keys.clone() {
            if let Some(n) = self.extra_keys.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    self.extra_keys.remove(&k);
                }
            }
        }
        self.slots[s as usize] = None;
        self.free.push(s);
        true
    }

    /// Rebuilds schools, catchments and areas, then the members of every area.
    fn set_schools(&mut self, schools: Vec<School>, catchments: Vec<Catchment>) {
        let mut schools = schools;
        schools.sort_by_key(|s| s.id);
        self.school_by_id = schools.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        self.school_by_external = schools
            .iter()
            .enumerate()
            .map(|(i, s)| (s.external_id.clone(), i))
            .collect();
        let mut catchments: Vec<Catchment> = catchments
            .into_iter()
            .filter(|c| self.school_by_id.contains_key(&c.school_id))
            .collect();
        catchments.sort_by(|a, b| (a.school_id, &a.year).cmp(&(b.school_id, &b.year)));
        self.catchments = catchments
            .iter()
            .map(|c| {
                let school = self.school_by_id[&c.school_id];
                CatchmentEntry {
                    id: c.id,
                    school,
                    year: c.year.clone(),
                    envelope: multipolygon_envelope(&c.geometry),
                    feature: encode::catchment_feature(c, Some(&schools[school])),
                }
            })
            .collect();
        let mut areas = Vec::new();
        let mut entries: Vec<SchoolEntry> = schools
            .into_iter()
            .map(|school| SchoolEntry {
                feature: encode::school_feature(&school),
                school,
                areas: Vec::new(),
            })
            .collect();
        // Newest year first per school.
        for c in catchments.into_iter().rev() {
            let school = self.school_by_id[&c.school_id];
            let envelope = multipolygon_envelope(&c.geometry);
            entries[school].areas.push(areas.len());
            areas.push(Area {
                year: Some(c.year),
                shape: Shape::Polygon(c.geometry),
                envelope,
                members: Vec::new(),
            });
        }
        for e in entries.iter_mut().filter(|e| e.areas.is_empty()) {
            e.areas.push(areas.len());
            areas.push(Area {
                year: None,
                shape: Shape::Circle {
                    lon: e.school.location.lon(),
                    lat: e.school.location.lat(),
                    radius_m: self.default_radius_m,
                },
                envelope: AABB::from_point([0.0, 0.0]),
                members: Vec::new(),
            });
        }
        for area in &mut areas {
            area.members = self.compute_members(&area.shape, &area.envelope);
        }
        self.schools = entries;
        self.areas = areas;
    }

    fn resolve_school(&self, key: &str) -> Option<usize> {
        Uuid::parse_str(key)
            .ok()
            .and_then(|id| self.school_by_id.get(&id))
            .or_else(|| self.school_by_external.get(key))
            .copied()
    }

    fn resolve_area(&self, sel: &AreaSelector) -> Result<usize, IndexError> {
        let school = self
            .resolve_school(&sel.school)
            .ok_or_else(|| IndexError::UnknownSchool(sel.school.clone()))?;
        let areas = &self.schools[school].areas;
        match &sel.year {
            None => areas.first().copied(),
            Some(y) => {
                let circle = areas.iter().find(|&&a| self.areas[a].year.is_none());
                circle
                    .or_else(|| {
                        areas
                            .iter()
                            .find(|&&a| self.areas[a].year.as_ref() == Some(y))
                    })
                    .copied()
            }
        }
        .ok_or_else(|| IndexError::NoAreaForYear {
            school: sel.school.clone(),
            year: sel.year.as_ref().map(|y| y.to_string()).unwrap_or_default(),
        })
    }

    /// Selects the page `offset..offset+limit` of a query, with distances when
    /// `near` is given. Returns the number matched and the page.
    fn select(&self, q: &AssetQuery, offset: usize, limit: usize) -> Result<Selection, IndexError> {
        let area = q.area.as_ref().map(|a| self.resolve_area(a)).transpose()?;
        let q_folded = q.q.as_ref().map(|s| s.to_lowercase());
        let near_unit = q.near.map(|(lon, lat)| unit_vector(lon, lat));
        let radius_c2 = q.radius_m.map(chord2_for_metres);
        // Attribute filters; the slot is only read for `q`.
        let attrs_ok = |k: &Key| {
            q.categories.is_none_or(|c| c.contains(k.category))
                && q_folded
                    .as_deref()
                    .is_none_or(|t| self.slot(k.slot).name_folded.contains(t))
        };

        // The k-nearest path: nothing bounds the candidates, so walk the sphere
        // tree outwards and stop once the page is full.
        if let (Some(u), None, None, None) = (near_unit, area, q.bbox, radius_c2) {
            let filtered = q.categories.is_some() || q_folded.is_some();
            let matched = if filtered {
                self.order
                    .iter()
                    .filter(|&&s| attrs_ok(&self.key(s)))
                    .count()
            } else {
                self.order.len()
            };
            let (page, distances) = self
                .sphere
                .nearest_neighbor_iter_with_distance_2(&u)
                .filter(|(e, _)| !filtered || attrs_ok(&e.data))
                .skip(offset)
                .take(limit)
                .map(|(e, d2)| (e.data, metres_for_chord2(d2)))
                .unzip();
            return Ok(Selection {
                matched,
                page,
                distances,
            });
        }

        // No filter at all: the page is a slice of the collection's order.
        if area.is_none()
            && q.bbox.is_none()
            && near_unit.is_none()
            && q.categories.is_none()
            && q_folded.is_none()
        {
            let matched = self.order.len();
            let page = self
                .order
                .iter()
                .skip(offset)
                .take(limit)
                .map(|&s| self.key(s))
                .collect();
            return Ok(Selection {
                matched,
                page,
                distances: Vec::new(),
            });
        }

        // Whether a candidate passes the filters its source did not apply.
        let keep = |k: &Key, check_bbox: bool, check_radius: bool| {
            attrs_ok(k)
                && (!check_bbox
                    || q.bbox.is_none_or(|b| {
                        let sl = self.slot(k.slot);
                        b.contains(sl.lon, sl.lat)
                    }))
                && (!check_radius
                    || match (near_unit, radius_c2) {
                        (Some(u), Some(c2)) => chord2(&u, &self.slot(k.slot).unit) <= c2,
                        _ => true,
                    })
        };
        // Candidates from the most selective source; `sorted` says whether they
        // already come in the collection's order.
        let (mut hits, sorted): (Vec<Key>, bool) = if let Some(a) = area {
            let v = self.areas[a]
                .members
                .iter()
                .map(|&s| self.key(s))
                .filter(|k| keep(k, true, true))
                .collect();
            (v, true)
        } else if let (Some(u), Some(c2)) = (near_unit, radius_c2) {
            let v = self
                .sphere
                .locate_within_distance(u, c2)
                .map(|e| e.data)
                .filter(|k| keep(k, true, false))
                .collect();
            (v, false)
        } else if let Some(b) = q.bbox {
            let mut v = Vec::new();
            for [x0, y0, x1, y1] in b.parts() {
                let env = AABB::from_corners([x0, y0], [x1, y1]);
                v.extend(
                    self.planar
                        .locate_in_envelope(&env)
                        .map(|e| e.data)
                        .filter(|k| keep(k, false, true)),
                );
            }
            // A point at exactly ±180 can be found by both halves.
            if b.crosses_antimeridian() {
                v.sort_unstable_by_key(|k| k.slot);
                v.dedup_by_key(|k| k.slot);
            }
            (v, false)
        } else {
            let v = self
                .order
                .iter()
                .map(|&s| self.key(s))
                .filter(|k| keep(k, true, true))
                .collect();
            (v, true)
        };
        let matched = hits.len();
        let end = offset.saturating_add(limit).min(matched);
        if offset >= matched {
            return Ok(Selection {
                matched,
                page: Vec::new(),
                distances: Vec::new(),
            });
        }

        if let Some(u) = near_unit {
            let mut with_d: Vec<(Key, f64)> = hits
                .into_iter()
                .map(|k| (k, chord2(&u, &self.slot(k.slot).unit)))
                .collect();
            let cmp = |a: &(Key, f64), b: &(Key, f64)| {
                a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id))
            };
            if end < with_d.len() {
                with_d.select_nth_unstable_by(end, cmp);
                with_d.truncate(end);
            }
            with_d.sort_unstable_by(cmp);
            let (page, distances) = with_d[offset..end]
                .iter()
                .map(|&(k, c2)| (k, metres_for_chord2(c2)))
                .unzip();
            return Ok(Selection {
                matched,
                page,
                distances,
            });
        }
        // Results that span pages are ordered by id, so that paging is stable. A
        // result that fits in one page is already complete, in any order.
        let one_page = offset == 0 && matched <= limit;
        if !sorted && !one_page {
            hits.sort_unstable_by_key(|k| k.id);
        }
        hits.truncate(end);
        hits.drain(..offset);
        Ok(Selection {
            matched,
            page: hits,
            distances: Vec::new(),
        })
    }
}

/// The result of [`State::select`]: how many matched, and one page of them with
/// their distances (empty unless the query has `near`).
struct Selection {
    matched: usize,
    page: Vec<Key>,
    distances: Vec<f64>,
}

impl Selection {
    fn iter(&self) -> impl Iterator<Item = (&Key, Option<f64>)> {
        let with_d = !self.distances.is_empty();
        self.page
            .iter()
            .enumerate()
            .map(move |(i, k)| (k, with_d.then(|| self.distances[i])))
    }
}

/// Writes features separated by commas.
fn write_joined<'a>(
    out: &mut Vec<u8>,
    items: impl Iterator<Item = (&'a FeatureBytes, Option<f64>)>,
) -> usize {
    let mut n = 0;
    for (f, d) in items {
        if n > 0 {
            out.push(b',');
        }
        f.write_to(out, d);
        n += 1;
    }
    n
}

impl Index {
    /// An empty index; `default_radius_m` is the area of schools without a catchment.
    pub fn new(default_radius_m: f64) -> Self {
        let state = State {
            slots: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::new(),
            order: Vec::new(),
            planar: RTree::new(),
            sphere: RTree::new(),
            category_counts: vec![0; CATEGORIES.len()],
            extra_keys: BTreeMap::new(),
            schools: Vec::new(),
            school_by_id: HashMap::new(),
            school_by_external: HashMap::new(),
            catchments: Vec::new(),
            areas: Vec::new(),
            default_radius_m,
        };
        Self {
            inner: Arc::new(RwLock::new(state)),
        }
    }

    // A poisoned lock means a panic inside a short synchronous section; the data
    // it guards is still structurally sound, so carry on rather than fail reads.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces everything with the given data, bulk-loading the trees.
    /// Only approved assets are indexed.
    pub fn load(&self, assets: &[Asset], schools: Vec<School>, catchments: Vec<Catchment>) {
        // Build outside the lock, on every core (most of the work is writing each
        // feature's bytes); swap in at the end.
        let approved: Vec<&Asset> = assets
            .iter()
            .filter(|a| a.status == Status::Approved)
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .max(1);
        let chunk = approved.len().div_ceil(threads).max(1);
        let mut slots: Vec<Option<Slot>> = std::thread::scope(|scope| {
            let parts: Vec<_> = approved
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|a| Some(Slot::from_asset(a)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        slots.sort_unstable_by_key(|s| s.as_ref().map(|s| s.id));
        slots.dedup_by_key(|s| s.as_ref().map(|s| s.id));
        let n = u32::try_from(slots.len()).expect("fewer than 2^32 assets");
        let live = |i: u32| slots[i as usize].as_ref().expect("just built");
        let key = |i: u32| Key {
            slot: i,
            category: live(i).category,
            id: live(i).id,
        };
        let planar = bulk_load(
            (0..n)
                .map(|i| PlanarEntry::new([live(i).lon, live(i).lat], key(i)))
                .collect(),
        );
        let sphere = bulk_load(
            (0..n)
                .map(|i| SphereEntry::new(live(i).unit, key(i)))
                .collect(),
        );
        let mut category_counts = vec![0; CATEGORIES.len()];
        let mut extra_keys = BTreeMap::new();
        for i in 0..n {
            category_counts[live(i).category as usize] += 1;
            for k in live(i).extra_keys.iter() {
                *extra_keys.entry(k.clone()).or_insert(0) += 1;
            }
        }
        let by_id = (0..n).map(|i| (live(i).id, i)).collect();
        let mut fresh = State {
            slots,
            free: Vec::new(),
            by_id,
            order: (0..n).collect(),
            planar,
            sphere,
            category_counts,
            extra_keys,
            schools: Vec::new(),
            school_by_id: HashMap::new(),
            school_by_external: HashMap::new(),
            catchments: Vec::new(),
            areas: Vec::new(),
            default_radius_m: self.read().default_radius_m,
        };
        fresh.set_schools(schools, catchments);
        *self.write() = fresh;
    }

    /// Puts a committed asset in the index, replacing an older version; an asset
    /// that is not approved is taken out instead.
    pub fn upsert_asset(&self, asset: &Asset) {
        let slot = (asset.status == Status::Approved).then(|| Slot::from_asset(asset));
        let mut st = self.write();
        st.remove_slot(asset.id);
        if let Some(slot) = slot {
            st.insert_slot(slot);
        }
    }

    /// Takes a deleted asset out. Returns whether it was indexed.
    pub fn remove_asset(&self, id: Uuid) -> bool {
        self.write().remove_slot(id)
    }

    /// Replaces the schools and catchments and recomputes every area.
    pub fn set_schools(&self, schools: Vec<School>, catchments: Vec<Catchment>) {
        self.write().set_schools(schools, catchments);
    }

    /// Number of indexed (approved) assets.
    pub fn len(&self) -> usize {
        self.read().order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks that a query can run (its school and year exist).
    pub fn check(&self, q: &AssetQuery) -> Result<(), IndexError> {
        let st = self.read();
        if let Some(a) = &q.area {
            st.resolve_area(a)?;
        }
        Ok(())
    }

    /// Writes the page of a query as comma-separated Features into `out` and
    /// returns the counts. With `near`, each Feature carries `distance_m`.
    pub fn write_assets(
        &self,
        q: &AssetQuery,
        offset: usize,
        limit: usize,
        out: &mut Vec<u8>,
    ) -> Result<PageCounts, IndexError> {
        let st = self.read();
        let sel = st.select(q, offset, limit)?;
        let returned = write_joined(out, sel.iter().map(|(k, d)| (&st.slot(k.slot).feature, d)));
        Ok(PageCounts {
            matched: sel.matched,
            returned,
        })
    }

    /// The ids (and distances, with `near`) of a page of a query.
    pub fn query_ids(
        &self,
        q: &AssetQuery,
        offset: usize,
        limit: usize,
    ) -> Result<IdPage, IndexError> {
        let st = self.read();
        let sel = st.select(q, offset, limit)?;
        Ok((sel.matched, sel.iter().map(|(k, d)| (k.id, d)).collect()))
    }

    /// The extra property names the indexed assets carry, sorted.
    pub fn extra_keys(&self) -> Vec<String> {
        self.read()
            .extra_keys
            .keys()
            .map(|k| k.to_string())
            .collect()
    }

    /// Every id a query matches, in order, and their distances when it has
    /// `near` (else empty): 16 bytes an asset (24 more while selecting), for
    /// exports that then read the features chunk by chunk.
    pub fn all_ids(&self, q: &AssetQuery) -> Result<(Vec<Uuid>, Vec<f64>), IndexError> {
        let sel = self.read().select(q, 0, usize::MAX)?;
        Ok((sel.page.iter().map(|k| k.id).collect(), sel.distances))
    }

    /// Calls `f` with the Feature of each id still indexed (under one read lock:
    /// callers pass chunks, so writers wait no longer than a chunk takes).
    /// `distances` is empty or as long as `ids`.
    pub fn for_each_feature(
        &self,
        ids: &[Uuid],
        distances: &[f64],
        mut f: impl FnMut(&FeatureBytes, Option<f64>),
    ) {
        let st = self.read();
        for (i, id) in ids.iter().enumerate() {
            if let Some(&s) = st.by_id.get(id) {
                f(&st.slot(s).feature, distances.get(i).copied());
            }
        }
    }

    /// Writes one asset's Feature; false when it is not indexed.
    pub fn write_asset(&self, id: Uuid, out: &mut Vec<u8>) -> bool {
        let st = self.read();
        match st.by_id.get(&id) {
            Some(&s) => {
                st.slot(s).feature.write_to(out, None);
                true
            }
            None => false,
        }
    }

    /// Writes the schools (optionally in a bbox) and returns the counts.
    pub fn write_schools(
        &self,
        bbox: Option<Bbox>,
        offset: usize,
        limit: usize,
        out: &mut Vec<u8>,
    ) -> PageCounts {
        let st = self.read();
        let keep = |e: &&SchoolEntry| {
            bbox.is_none_or(|b| b.contains(e.school.location.lon(), e.school.location.lat()))
        };
        let matched = st.schools.iter().filter(keep).count();
        let returned = write_joined(
            out,
            st.schools
                .iter()
                .filter(keep)
                .skip(offset)
                .take(limit)
                .map(|e| (&e.feature, None)),
        );
        PageCounts { matched, returned }
    }

    /// Writes one school's Feature by id or external id.
    pub fn write_school(&self, key: &str, out: &mut Vec<u8>) -> bool {
        let st = self.read();
        match st.resolve_school(key) {
            Some(i) => {
                st.schools[i].feature.write_to(out, None);
                true
            }
            None => false,
        }
    }

    /// Writes catchments, optionally of one school, one year, or meeting a bbox.
    pub fn write_catchments(
        &self,
        bbox: Option<Bbox>,
        school: Option<&str>,
        year: Option<&SchoolYear>,
        offset: usize,
        limit: usize,
        out: &mut Vec<u8>,
    ) -> Result<PageCounts, IndexError> {
        let st = self.read();
        let school = school
            .map(|k| {
                st.resolve_school(k)
                    .ok_or_else(|| IndexError::UnknownSchool(k.to_owned()))
            })
            .transpose()?;
        let keep = |c: &&CatchmentEntry| {
            school.is_none_or(|s| c.school == s)
                && year.is_none_or(|y| &c.year == y)
                && bbox.is_none_or(|b| {
                    b.parts().any(|[x0, y0, x1, y1]| {
                        c.envelope
                            .intersects(&AABB::from_corners([x0, y0], [x1, y1]))
                    })
                })
        };
        let matched = st.catchments.iter().filter(keep).count();
        let returned = write_joined(
            out,
            st.catchments
                .iter()
                .filter(keep)
                .skip(offset)
                .take(limit)
                .map(|c| (&c.feature, None)),
        );
        Ok(PageCounts { matched, returned })
    }

    /// Writes one catchment's Feature by id.
    pub fn write_catchment(&self, id: Uuid, out: &mut Vec<u8>) -> bool {
        let st = self.read();
        // A district has a few hundred catchments: a scan is cheaper than another
        // map to keep in step.
        match st.catchments.iter().find(|c| c.id == id) {
            Some(c) => {
                c.feature.write_to(out, None);
                true
            }
            None => false,
        }
    }

    /// The lon/lat extent of each collection: (assets, schools, catchments).
    pub fn extents(&self) -> [Option<[f64; 4]>; 3] {
        let st = self.read();
        let assets = (st.planar.size() > 0).then(|| {
            let e = st.planar.root().envelope();
            [e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]]
        });
        let fold = |it: &mut dyn Iterator<Item = [f64; 4]>| {
            it.reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            })
        };
        let schools = fold(&mut st.schools.iter().map(|e| {
            let (x, y) = (e.school.location.lon(), e.school.location.lat());
            [x, y, x, y]
        }));
        let catchments = fold(&mut st.catchments.iter().map(|c| {
            [
                c.envelope.lower()[0],
                c.envelope.lower()[1],
                c.envelope.upper()[0],
                c.envelope.upper()[1],
            ]
        }));
        [assets, schools, catchments]
    }

    /// For every catchment (every school year), the ids of the assets inside it:
    /// the join of assets and attendance areas, already worked out.
    pub fn catchment_members(&self) -> Vec<(School, SchoolYear, Vec<Uuid>)> {
        let st = self.read();
        st.schools
            .iter()
            .flat_map(|e| {
                e.areas.iter().filter_map(|&a| {
                    let area = &st.areas[a];
                    area.year.clone().map(|y| {
                        (
                            e.school.clone(),
                            y,
                            area.members.iter().map(|&s| st.id_of(s)).collect(),
                        )
                    })
                })
            })
            .collect()
    }

    /// All schools with their catchment years.
    pub fn schools(&self) -> Vec<SchoolInfo> {
        let st = self.read();
        st.schools
            .iter()
            .map(|e| SchoolInfo {
                school: e.school.clone(),
                years: e
                    .areas
                    .iter()
                    .filter_map(|&a| st.areas[a].year.clone())
                    .collect(),
            })
            .collect()
    }

    /// The landscape of one school's area: counts per category, and the nearest
    /// asset of each category to the campus (inside the area or not).
    pub fn landscape(&self, sel: &AreaSelector) -> Result<Landscape, IndexError> {
        let st = self.read();
        let a = st.resolve_area(sel)?;
        let school_idx = st
            .resolve_school(&sel.school)
            .ok_or_else(|| IndexError::UnknownSchool(sel.school.clone()))?;
        let school = st.schools[school_idx].school.clone();
        let area = &st.areas[a];
        let mut counts = vec![0usize; CATEGORIES.len()];
        for &s in &area.members {
            counts[st.slot(s).category as usize] += 1;
        }
        let campus = unit_vector(school.location.lon(), school.location.lat());
        let mut nearest: Vec<Option<Nearest>> = vec![None; CATEGORIES.len()];
        let mut missing = st.category_counts.iter().filter(|&&c| c > 0).count();
        if missing > 0 {
            for (e, d2) in st.sphere.nearest_neighbor_iter_with_distance_2(&campus) {
                let sl = st.slot(e.data.slot);
                let c = sl.category as usize;
                if nearest[c].is_none() {
                    nearest[c] = Some(Nearest {
                        id: sl.id,
                        name: sl.name.to_string(),
                        distance_m: metres_for_chord2(d2),
                        lon: sl.lon,
                        lat: sl.lat,
                    });
                    missing -= 1;
                    if missing == 0 {
                        break;
                    }
                }
            }
        }
        let categories = CATEGORIES
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let n = nearest[i].take();
                let nearest_inside = n.as_ref().is_some_and(|n| {
                    area.members
                        .binary_search_by_key(&n.id, |&o| st.id_of(o))
                        .is_ok()
                });
                CategoryLandscape {
                    category: c.id,
                    count: counts[i],
                    nearest: n,
                    nearest_inside,
                }
            })
            .collect();
        let radius_m = match area.shape {
            Shape::Circle { radius_m, .. } => Some(radius_m),
            Shape::Polygon(_) => None,
        };
        Ok(Landscape {
            school,
            year: area.year.clone(),
            radius_m,
            categories,
            total: area.members.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Location;
    use chrono::Utc;
    use geo::{LineString, Polygon};
    use serde_json::Map;

    pub(crate) fn asset(id: u128, lon: f64, lat: f64, category: &str, name: &str) -> Asset {
        Asset {
            id: Uuid::from_u128(id),
            name: name.into(),
            category: taxonomy::resolve(category)
                .unwrap_or(taxonomy::OTHER)
                .into(),
            description: None,
            address: None,
            phone: None,
            email: None,
            website: None,
            languages: vec![],
            hours: None,
            accessibility: None,
            ages_served: None,
            services: vec![],
            source: None,
            source_id: None,
            last_verified: None,
            status: Status::Approved,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            location: Location::new(lon, lat).expect("valid"),
            extra: Map::new(),
        }
    }

    fn school(id: u128, ext: &str, lon: f64, lat: f64) -> School {
        School {
            id: Uuid::from_u128(id),
            external_id: ext.into(),
            name: format!("School {ext}"),
            level: None,
            location: Location::new(lon, lat).expect("valid"),
            extra: Map::new(),
        }
    }

    fn square_with_hole() -> MultiPolygon<f64> {
        let ext = LineString::from(vec![
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ]);
        let hole = LineString::from(vec![
            (4.0, 4.0),
            (6.0, 4.0),
            (6.0, 6.0),
            (4.0, 6.0),
            (4.0, 4.0),
        ]);
        let far = LineString::from(vec![
            (20.0, 0.0),
            (21.0, 0.0),
            (21.0, 1.0),
            (20.0, 1.0),
            (20.0, 0.0),
        ]);
        MultiPolygon(vec![
            Polygon::new(ext, vec![hole]),
            Polygon::new(far, vec![]),
        ])
    }

    fn ids(index: &Index, q: &AssetQuery) -> Vec<u128> {
        let (_, page) = index.query_ids(q, 0, usize::MAX).expect("query");
        page.into_iter().map(|(id, _)| id.as_u128()).collect()
    }

    #[test]
    fn empty_index_answers_every_query() {
        let index = Index::new(1609.344);
        assert!(index.is_empty());
        for q in [
            AssetQuery::default(),
            AssetQuery {
                near: Some((0.0, 0.0)),
                ..Default::default()
            },
            AssetQuery {
                near: Some((0.0, 0.0)),
                radius_m: Some(10.0),
                ..Default::default()
            },
            AssetQuery {
                bbox: Some(Bbox::new(170.0, -1.0, -170.0, 1.0).expect("bbox")),
                ..Default::default()
            },
        ] {
            assert_eq!(index.query_ids(&q, 0, 10).expect("ok"), (0, vec![]));
        }
    }

    #[test]
    fn catchment_edges_holes_and_parts() {
        let index = Index::new(1609.344);
        let assets = vec![
            asset(1, 5.0, 1.0, "park", "inside"),
            asset(2, 0.0, 5.0, "park", "on the outer edge"),
            asset(3, 5.0, 5.0, "park", "in the hole"),
            asset(4, 4.0, 5.0, "park", "on the hole's edge"),
            asset(5, 20.5, 0.5, "park", "in the second part"),
            asset(6, 15.0, 5.0, "park", "between parts"),
            asset(7, 10.0, 10.0, "park", "on a corner"),
        ];
        let s = school(100, "S1", 5.0, 1.0);
        let c = Catchment {
            id: Uuid::from_u128(200),
            school_id: s.id,
            year: SchoolYear::parse("2020-2021").expect("year"),
            geometry: square_with_hole(),
        };
        index.load(&assets, vec![s], vec![c]);
        let q = AssetQuery {
            area: Some(AreaSelector {
                school: "S1".into(),
                year: None,
            }),
            ..Default::default()
        };
        assert_eq!(ids(&index, &q), vec![1, 2, 4, 5, 7]);

        // Writes keep the membership current.
        index.upsert_asset(&asset(8, 1.0, 1.0, "library", "new"));
        index.upsert_asset(&asset(1, 50.0, 50.0, "park", "moved out"));
        assert!(index.remove_asset(Uuid::from_u128(2)));
        assert_eq!(ids(&index, &q), vec![4, 5, 7, 8]);
        let mut pending = asset(4, 4.0, 5.0, "park", "withdrawn");
        pending.status = Status::Pending;
        index.upsert_asset(&pending);
        assert_eq!(ids(&index, &q), vec![5, 7, 8]);
    }

    #[test]
    fn newest_year_by_default_and_radius_without_catchment() {
        let index = Index::new(2_000.0);
        let s1 = school(100, "S1", 0.5, 0.5);
        let s2 = school(101, "S2", 50.0, 0.0);
        let old = Catchment {
            id: Uuid::from_u128(1),
            school_id: s1.id,
            year: SchoolYear::parse("2019-2020").expect("year"),
            geometry: MultiPolygon(vec![Polygon::new(
                LineString::from(vec![
                    (0.0, 0.0),
                    (1.0, 0.0),
                    (1.0, 1.0),
                    (0.0, 1.0),
                    (0.0, 0.0),
                ]),
                vec![],
            )]),
        };
        let new = Catchment {
            id: Uuid::from_u128(2),
            school_id: s1.id,
            year: SchoolYear::parse("2020-2021").expect("year"),
            geometry: MultiPolygon(vec![Polygon::new(
                LineString::from(vec![
                    (0.0, 0.0),
                    (2.0, 0.0),
                    (2.0, 2.0),
                    (0.0, 2.0),
                    (0.0, 0.0),
                ]),
                vec![],
            )]),
        };
        let assets = vec![
            asset(1, 0.5, 0.5, "park", "a"),
            asset(2, 1.5, 1.5, "park", "b"),
            // ~1.1 km and ~3.3 km east of S2 at the equator.
            asset(3, 50.01, 0.0, "park", "c"),
            asset(4, 50.03, 0.0, "park", "d"),
        ];
        index.load(&assets, vec![s1, s2], vec![old, new]);
        let sel = |school: &str, year: Option<&str>| AssetQuery {
            area: Some(AreaSelector {
                school: school.into(),
                year: year.and_then(SchoolYear::parse),
            }),
            ..Default::default()
        };
        assert_eq!(ids(&index, &sel("S1", None)), vec![1, 2]);
        assert_eq!(ids(&index, &sel("S1", Some("2019-2020"))), vec![1]);
        assert_eq!(ids(&index, &sel("S2", None)), vec![3]);
        assert_eq!(
            index
                .query_ids(&sel("S1", Some("2000-2001")), 0, 10)
                .map(|_| ()),
            Err(IndexError::NoAreaForYear {
                school: "S1".into(),
                year: "2000-2001".into()
            })
        );
        assert_eq!(
            index.query_ids(&sel("nope", None), 0, 10).map(|_| ()),
            Err(IndexError::UnknownSchool("nope".into()))
        );
        let l = index
            .landscape(&AreaSelector {
                school: "S2".into(),
                year: None,
            })
            .expect("landscape");
        assert_eq!(l.radius_m, Some(2_000.0));
        let parks = l
            .categories
            .iter()
            .find(|c| c.category == "parks_recreation")
            .expect("parks");
        assert_eq!(parks.count, 1);
        assert_eq!(
            parks.nearest.as_ref().map(|n| n.id),
            Some(Uuid::from_u128(3))
        );
        assert!(parks.nearest_inside);
        let lib = l
            .categories
            .iter()
            .find(|c| c.category == "library")
            .expect("library");
        assert_eq!((lib.count, lib.nearest.is_none()), (0, true));
    }

    #[test]
    fn guarded_bulk_load_always_gives_a_tree_that_takes_inserts() {
        // rstar 0.12's bulk load leaves leaves at mixed depths for some sizes of
        // 3-D data (49 random points among them); inserting then panics.
        fn uniform<T: rstar::RTreeObject>(
            n: &rstar::ParentNode<T>,
            d: usize,
            seen: &mut Option<usize>,
        ) -> bool {
            n.children().iter().all(|c| match c {
                rstar::RTreeNode::Leaf(_) => *seen.get_or_insert(d) == d,
                rstar::RTreeNode::Parent(p) => uniform(p, d + 1, seen),
            })
        }
        let mut seed: u64 = 1;
        let mut rnd = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut malformed_upstream = 0;
        for n in 1..120 {
            let pts: Vec<[f64; 3]> = (0..n).map(|_| [rnd(), rnd(), rnd()]).collect();
            if !uniform(RTree::bulk_load(pts.clone()).root(), 0, &mut None) {
                malformed_upstream += 1;
            }
            let mut tree = bulk_load(pts);
            assert!(uniform(tree.root(), 0, &mut None), "n = {n}");
            for _ in 0..50 {
                tree.insert([rnd(), rnd(), rnd()]);
            }
            assert_eq!(tree.size(), n + 50);
        }
        // The guard is exercised: upstream still builds malformed trees here.
        assert!(
            malformed_upstream > 0,
            "rstar bulk_load looks fixed: the guard in bulk_load() can go"
        );
    }

    #[test]
    fn nearest_across_the_antimeridian_and_near_the_pole() {
        let index = Index::new(1609.344);
        let assets = vec![
            asset(1, -179.9, 0.0, "park", "just east of the line"),
            asset(2, 170.0, 0.0, "park", "far west"),
            asset(3, 0.0, 89.99, "park", "near the pole, other side"),
            asset(4, 179.0, 89.0, "park", "near the pole, same side"),
        ];
        index.load(&assets, vec![], vec![]);
        let q = AssetQuery {
            near: Some((179.9, 0.0)),
            ..Default::default()
        };
        let (_, page) = index.query_ids(&q, 0, 1).expect("ok");
        assert_eq!(page[0].0, Uuid::from_u128(1));
        let d = page[0].1.expect("distance");
        assert!((d - 22_239.0).abs() < 5.0, "{d}");
        // From (180, 89.99), the point at lon 0 is 2 km away across the pole.
        let q = AssetQuery {
            near: Some((180.0, 89.99)),
            ..Default::default()
        };
        let (_, page) = index.query_ids(&q, 0, 1).expect("ok");
        assert_eq!(page[0].0, Uuid::from_u128(3));
    }
}
