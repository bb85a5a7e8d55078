//! The index's state and how it changes: slots, trees, schools, catchments and
//! the members of every school area, kept in step on every write.

use std::collections::{BTreeMap, HashMap};

use geo::{Intersects, MultiPolygon, Point};
use rstar::{AABB, Envelope, RTree};
use uuid::Uuid;

use super::IndexError;
use super::entries::{
    Key, PlanarEntry, Slot, SphereEntry, bulk_load, chord2, multipolygon_envelope,
};
use super::query::AreaSelector;
use crate::domain::sphere::{chord2_for_metres, unit_vector};
use crate::domain::taxonomy::CATEGORIES;
use crate::domain::{Asset, Catchment, School, SchoolRef, SchoolYear, Status};
use crate::encode::{self, FeatureBytes};

/// A school's area: one catchment year, or a circle around the campus.
#[derive(Debug, Clone)]
pub(super) enum Shape {
    Polygon(MultiPolygon<f64>),
    Circle { lon: f64, lat: f64, radius_m: f64 },
}

pub(super) struct Area {
    /// `None` for a circle around a school without any catchment.
    pub(super) year: Option<SchoolYear>,
    pub(super) shape: Shape,
    /// Planar envelope of a polygon (unused for circles).
    pub(super) envelope: AABB<[f64; 2]>,
    /// Slots inside, ordered by asset id (the collection's order).
    pub(super) members: Vec<u32>,
}

pub(super) struct SchoolEntry {
    pub(super) school: School,
    pub(super) feature: FeatureBytes,
    /// Indices into `State::areas`, newest year first; a single circle when the
    /// school has no catchment.
    pub(super) areas: Vec<usize>,
}

pub(super) struct CatchmentEntry {
    pub(super) id: Uuid,
    pub(super) school: usize,
    pub(super) year: SchoolYear,
    pub(super) envelope: AABB<[f64; 2]>,
    pub(super) feature: FeatureBytes,
    /// The area itself, for answers in another CRS.
    pub(super) geometry: geo::MultiPolygon<f64>,
}

pub(super) struct State {
    /// The last version applied per asset id, indexed or not; `i64::MAX` once
    /// deleted. Writes that arrive older than this are ignored.
    pub(super) versions: HashMap<Uuid, i64>,
    pub(super) slots: Vec<Option<Slot>>,
    pub(super) free: Vec<u32>,
    pub(super) by_id: HashMap<Uuid, u32>,
    /// Live slots ordered by asset id.
    pub(super) order: Vec<u32>,
    pub(super) planar: RTree<PlanarEntry>,
    pub(super) sphere: RTree<SphereEntry>,
    pub(super) category_counts: Vec<usize>,
    /// How many indexed assets carry each extra property.
    pub(super) extra_keys: BTreeMap<Box<str>, usize>,
    /// The organizations offering the indexed assets, by id: name and how many.
    pub(super) organizations: BTreeMap<Uuid, (Box<str>, usize)>,
    /// Schools ordered by id.
    pub(super) schools: Vec<SchoolEntry>,
    pub(super) school_by_id: HashMap<Uuid, usize>,
    /// Schools by district id: each under `ID` (several when districts share
    /// an id) and, outside the default district, under `DISTRICT:ID`.
    pub(super) school_by_external: HashMap<String, Vec<usize>>,
    /// Catchments ordered by (school id, year).
    pub(super) catchments: Vec<CatchmentEntry>,
    pub(super) areas: Vec<Area>,
    pub(super) default_radius_m: f64,
}

impl State {
    /// An index with nothing in it.
    pub(super) fn empty(default_radius_m: f64) -> Self {
        State {
            versions: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::new(),
            order: Vec::new(),
            planar: RTree::new(),
            sphere: RTree::new(),
            category_counts: vec![0; CATEGORIES.len()],
            extra_keys: BTreeMap::new(),
            organizations: BTreeMap::new(),
            schools: Vec::new(),
            school_by_id: HashMap::new(),
            school_by_external: HashMap::new(),
            catchments: Vec::new(),
            areas: Vec::new(),
            default_radius_m,
        }
    }

    /// A whole new state from the stored data: the approved assets' slots are
    /// made on every core (most of the work is writing each feature's bytes),
    /// the trees bulk-loaded, then the schools' areas worked out.
    pub(super) fn build(
        assets: &[Asset],
        schools: Vec<School>,
        catchments: Vec<Catchment>,
        default_radius_m: f64,
    ) -> Self {
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
        let mut organizations = BTreeMap::new();
        for i in 0..n {
            category_counts[live(i).category as usize] += 1;
            organizations
                .entry(live(i).organization)
                .or_insert_with(|| (live(i).organization_name.clone(), 0))
                .1 += 1;
            for k in live(i).extra_keys.iter() {
                *extra_keys.entry(k.clone()).or_insert(0) += 1;
            }
        }
        let by_id = (0..n).map(|i| (live(i).id, i)).collect();
        let versions = assets.iter().map(|a| (a.id, a.version)).collect();
        let mut fresh = State {
            versions,
            slots,
            by_id,
            order: (0..n).collect(),
            planar,
            sphere,
            category_counts,
            extra_keys,
            organizations,
            ..State::empty(default_radius_m)
        };
        fresh.set_schools(schools, catchments);
        fresh
    }

    pub(super) fn slot(&self, s: u32) -> &Slot {
        // Slots referenced by the trees and member lists are always live: every
        // removal takes the slot out of all of them first.
        self.slots[s as usize]
            .as_ref()
            .expect("index invariant: referenced slot is live")
    }

    pub(super) fn id_of(&self, s: u32) -> Uuid {
        self.slot(s).id
    }

    pub(super) fn key(&self, s: u32) -> Key {
        let sl = self.slot(s);
        Key {
            slot: s,
            category: sl.category,
            id: sl.id,
        }
    }

    pub(super) fn shape_contains(shape: &Shape, envelope: &AABB<[f64; 2]>, slot: &Slot) -> bool {
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
    pub(super) fn compute_members(&self, shape: &Shape, envelope: &AABB<[f64; 2]>) -> Vec<u32> {
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

    pub(super) fn insert_slot(&mut self, slot: Slot) {
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
        let (org, org_name) = (self.slot(s).organization, &self.slot(s).organization_name);
        let name = org_name.clone();
        self.organizations.entry(org).or_insert_with(|| (name, 0)).1 += 1;
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

    pub(super) fn remove_slot(&mut self, id: Uuid) -> bool {
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
        let org = self.slot(s).organization;
        if let Some(e) = self.organizations.get_mut(&org) {
            e.1 -= 1;
            if e.1 == 0 {
                self.organizations.remove(&org);
            }
        }
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
    pub(super) fn set_schools(&mut self, schools: Vec<School>, catchments: Vec<Catchment>) {
        let mut schools = schools;
        schools.sort_by_key(|s| s.id);
        self.school_by_id = schools.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let mut by_external: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, s) in schools.iter().enumerate() {
            by_external
                .entry(s.external_id.clone())
                .or_default()
                .push(i);
            if !s.district.is_empty() {
                by_external
                    .entry(format!("{}:{}", s.district, s.external_id))
                    .or_default()
                    .push(i);
            }
        }
        self.school_by_external = by_external;
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
                    geometry: c.geometry.clone(),
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

    /// The schools a district id names (several when districts share it).
    fn by_external(&self, key: &str) -> &[usize] {
        self.school_by_external
            .get(key)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The one school a district id names: the only one, or else the
    /// default district's (whose plain ids keep working when a second
    /// district joins the service).
    fn one_external(&self, key: &str) -> Option<usize> {
        match self.by_external(key) {
            [i] => Some(*i),
            several => {
                let mut default = several
                    .iter()
                    .filter(|&&i| self.schools[i].school.district.is_empty());
                match (default.next(), default.next()) {
                    (Some(i), None) => Some(*i),
                    _ => None,
                }
            }
        }
    }

    /// The school a reference names, if exactly one. A UUID that is no
    /// school's API id is tried as a district id too.
    pub(super) fn resolve_school(&self, key: &SchoolRef) -> Option<usize> {
        match key {
            SchoolRef::Id(id) => match self.school_by_id.get(id) {
                Some(i) => Some(*i),
                None => self.one_external(&id.to_string()),
            },
            SchoolRef::District(d) => self.one_external(d),
        }
    }

    /// A school by reference, or the error that names it (and, when several
    /// districts have it, how to name each).
    pub(super) fn school(&self, key: &SchoolRef) -> Result<usize, IndexError> {
        if let Some(i) = self.resolve_school(key) {
            return Ok(i);
        }
        let raw = key.to_string();
        let several = self.by_external(&raw);
        if several.len() > 1 {
            return Err(IndexError::AmbiguousSchool {
                school: raw,
                choices: several
                    .iter()
                    .map(|&i| {
                        let s = &self.schools[i].school;
                        format!("{}:{}", s.district, s.external_id)
                    })
                    .collect(),
            });
        }
        Err(IndexError::UnknownSchool(key.clone()))
    }

    pub(super) fn resolve_area(&self, sel: &AreaSelector) -> Result<usize, IndexError> {
        let school = self.school(&sel.school)?;
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
}
