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

mod entries;
mod landscape;
mod query;
mod select;
mod state;
#[cfg(test)]
mod tests;

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rstar::{AABB, Envelope};
use uuid::Uuid;

use std::borrow::Cow;

use crate::crs::ServedCrs;
use crate::domain::{Asset, Bbox, Catchment, School, SchoolRef, SchoolYear, Status};
use crate::encode::{FeatureBytes, Geo};
use crate::filter::{Filter, Subject};

use entries::Slot;
pub use landscape::{AssetBrief, CategoryLandscape, Landscape, Nearest};
pub use query::{
    AreaSelector, AssetQuery, AssetTest, CRS84, Candidate, CategorySet, Filters, IdPage,
    PageCounts, Predicate, parse_bbox, parse_school, parse_year,
};
use select::write_joined;
use state::{CatchmentEntry, SchoolEntry, State};

fn school_geo(e: &SchoolEntry) -> Geo<'_> {
    Geo::Point(e.school.location.lon(), e.school.location.lat())
}

/// Which attendance areas a page holds: all given filters apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct CatchmentFilter<'a> {
    pub bbox: Option<Bbox>,
    pub school: Option<&'a SchoolRef>,
    pub year: Option<&'a SchoolYear>,
    /// A CQL2 filter ([`crate::filter::CATCHMENT_QUERYABLES`]).
    pub filter: Option<&'a Filter>,
}

/// A school as a CQL2 filter sees it.
struct SchoolSubject<'a>(&'a School);

impl Subject for SchoolSubject<'_> {
    fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        let s = self.0;
        match name {
            "name" => Some(Cow::Borrowed(&s.name)),
            "external_id" => Some(Cow::Borrowed(&s.external_id)),
            "district" => Some(Cow::Borrowed(&s.district)),
            "level" => s.level.as_deref().map(Cow::Borrowed),
            _ => None,
        }
    }
    fn geometry(&self) -> Cow<'_, geo::Geometry<f64>> {
        Cow::Owned(geo::Geometry::Point(geo::Point::new(
            self.0.location.lon(),
            self.0.location.lat(),
        )))
    }
}

/// An attendance area as a CQL2 filter sees it.
struct CatchmentSubject<'a> {
    area: &'a CatchmentEntry,
    school: &'a School,
}

impl Subject for CatchmentSubject<'_> {
    fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        match name {
            "school_id" => Some(Cow::Owned(self.school.id.to_string())),
            "school_name" => Some(Cow::Borrowed(&self.school.name)),
            "school_external_id" => Some(Cow::Borrowed(&self.school.external_id)),
            "year" => Some(Cow::Borrowed(self.area.year.as_str())),
            _ => None,
        }
    }
    fn geometry(&self) -> Cow<'_, geo::Geometry<f64>> {
        Cow::Owned(geo::Geometry::MultiPolygon(self.area.geometry.clone()))
    }
}

/// Errors a query can meet in the index.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    #[error("no school with id \"{0}\"")]
    UnknownSchool(SchoolRef),
    #[error("several districts have a school \"{school}\": name one, as {}", choices.join(" or "))]
    AmbiguousSchool {
        school: String,
        choices: Vec<String>,
    },
    #[error("school \"{school}\" has no attendance area for school year {year}")]
    NoAreaForYear { school: SchoolRef, year: String },
}

/// The shared, cheap-clone handle to the index. See the module docs.
#[derive(Clone)]
pub struct Index {
    inner: Arc<RwLock<State>>,
}

/// An organization offering indexed assets, and how many of them (of those a
/// query matched, when it comes from one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationInfo {
    pub id: Uuid,
    pub name: String,
    pub assets: usize,
}

/// A school as the index knows it, with its area years.
#[derive(Debug, Clone)]
pub struct SchoolInfo {
    pub school: School,
    /// Catchment years, newest first (empty when the area is a radius).
    pub years: Vec<SchoolYear>,
}

impl Index {
    /// An empty index; `default_radius_m` is the area of schools without a catchment.
    pub fn new(default_radius_m: f64) -> Self {
        Self {
            inner: Arc::new(RwLock::new(State::empty(default_radius_m))),
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
    /// Only approved assets are indexed. The new state is built outside the
    /// lock and swapped in at the end.
    pub fn load(&self, assets: &[Asset], schools: Vec<School>, catchments: Vec<Catchment>) {
        let default_radius_m = self.read().default_radius_m;
        let fresh = State::build(assets, schools, catchments, default_radius_m);
        *self.write() = fresh;
    }

    /// Puts a committed asset in the index, replacing an older version; an asset
    /// that is not approved is taken out instead. A version older than (or the
    /// same as) the last one applied, or of a deleted asset, is ignored: two
    /// commits may reach the index in either order. Returns whether it applied.
    pub fn upsert_asset(&self, asset: &Asset) -> bool {
        if self
            .read()
            .versions
            .get(&asset.id)
            .is_some_and(|&v| v >= asset.version)
        {
            return false;
        }
        let slot = (asset.status == Status::Approved).then(|| Slot::from_asset(asset));
        let mut st = self.write();
        // Checked again under the write lock: another writer may have passed.
        if st
            .versions
            .get(&asset.id)
            .is_some_and(|&v| v >= asset.version)
        {
            return false;
        }
        st.versions.insert(asset.id, asset.version);
        st.remove_slot(asset.id);
        if let Some(slot) = slot {
            st.insert_slot(slot);
        }
        true
    }

    /// Takes a deleted asset out for good: no later write of it applies.
    /// Returns whether it was indexed.
    pub fn remove_asset(&self, id: Uuid) -> bool {
        let mut st = self.write();
        st.versions.insert(id, i64::MAX);
        st.remove_slot(id)
    }

    /// Takes an asset out that is still stored but cannot be read (a row that
    /// does not decode): unlike a deletion, a later, fixed version applies.
    pub fn hide_asset(&self, id: Uuid) {
        self.write().remove_slot(id);
    }

    /// Records a new version of an asset whose published content did not
    /// change (a proposal was put or dropped).
    pub fn set_version(&self, id: Uuid, version: i64) {
        let mut st = self.write();
        let v = st.versions.entry(id).or_insert(version);
        *v = (*v).max(version);
    }

    /// The last version applied of an asset (its ETag), if it is known.
    pub fn version(&self, id: Uuid) -> Option<i64> {
        self.read()
            .versions
            .get(&id)
            .copied()
            .filter(|&v| v != i64::MAX)
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

    /// Whether an asset is indexed (approved and readable).
    pub fn contains(&self, id: Uuid) -> bool {
        self.read().by_id.contains_key(&id)
    }

    /// The organizations offering the indexed assets, ordered by id.
    pub fn organizations(&self) -> Vec<OrganizationInfo> {
        self.read()
            .organizations
            .iter()
            .map(|(&id, (name, n))| OrganizationInfo {
                id,
                name: name.to_string(),
                assets: *n,
            })
            .collect()
    }

    /// One organization, if it offers an indexed asset.
    pub fn organization(&self, id: Uuid) -> Option<OrganizationInfo> {
        self.read()
            .organizations
            .get(&id)
            .map(|(name, n)| OrganizationInfo {
                id,
                name: name.to_string(),
                assets: *n,
            })
    }

    /// The organizations of the assets a query matches, each with how many of
    /// them it offers, ordered by id.
    pub fn organizations_matching(
        &self,
        q: &AssetQuery,
    ) -> Result<Vec<OrganizationInfo>, IndexError> {
        let st = self.read();
        let sel = st.select(q, 0, usize::MAX)?;
        let mut found: std::collections::BTreeMap<Uuid, OrganizationInfo> = Default::default();
        for k in &sel.page {
            let s = st.slot(k.slot);
            found
                .entry(s.organization)
                .or_insert_with(|| OrganizationInfo {
                    id: s.organization,
                    name: s.organization_name.to_string(),
                    assets: 0,
                })
                .assets += 1;
        }
        Ok(found.into_values().collect())
    }

    /// Writes the page of a query as comma-separated Features into `out` and
    /// returns the counts. With `near`, each Feature carries `distance_m`.
    pub fn write_assets(
        &self,
        q: &AssetQuery,
        offset: usize,
        limit: usize,
        out: &mut Vec<u8>,
        crs: Option<&ServedCrs>,
    ) -> Result<PageCounts, IndexError> {
        let st = self.read();
        let sel = st.select(q, offset, limit)?;
        let returned = write_joined(
            out,
            sel.iter().map(|(k, d)| {
                let s = st.slot(k.slot);
                (&s.feature, d, Geo::Point(s.lon, s.lat))
            }),
            crs,
        );
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
        mut f: impl FnMut(&FeatureBytes, Option<f64>, Geo),
    ) {
        let st = self.read();
        for (i, id) in ids.iter().enumerate() {
            if let Some(&s) = st.by_id.get(id) {
                let s = st.slot(s);
                f(
                    &s.feature,
                    distances.get(i).copied(),
                    Geo::Point(s.lon, s.lat),
                );
            }
        }
    }

    /// Writes one asset's Feature and answers its version (its ETag); `None`
    /// when it is not indexed.
    pub fn write_asset(&self, id: Uuid, out: &mut Vec<u8>, crs: Option<&ServedCrs>) -> Option<i64> {
        let st = self.read();
        let &s = st.by_id.get(&id)?;
        let s = st.slot(s);
        write_joined(
            out,
            std::iter::once((&s.feature, None, Geo::Point(s.lon, s.lat))),
            crs,
        );
        Some(st.versions.get(&id).copied().unwrap_or(1))
    }

    /// Writes the schools (optionally in a bbox) and returns the counts.
    pub fn write_schools(
        &self,
        bbox: Option<Bbox>,
        filter: Option<&Filter>,
        offset: usize,
        limit: usize,
        out: &mut Vec<u8>,
        crs: Option<&ServedCrs>,
    ) -> PageCounts {
        let st = self.read();
        let keep = |e: &&SchoolEntry| {
            bbox.is_none_or(|b| b.contains(e.school.location.lon(), e.school.location.lat()))
                && filter.is_none_or(|f| f.matches(&SchoolSubject(&e.school)))
        };
        let matched = st.schools.iter().filter(keep).count();
        let returned = write_joined(
            out,
            st.schools
                .iter()
                .filter(keep)
                .skip(offset)
                .take(limit)
                .map(|e| (&e.feature, None, school_geo(e))),
            crs,
        );
        PageCounts { matched, returned }
    }

    /// Writes one school's Feature by id or external id.
    pub fn write_school(
        &self,
        key: &SchoolRef,
        out: &mut Vec<u8>,
        crs: Option<&ServedCrs>,
    ) -> bool {
        let st = self.read();
        match st.resolve_school(key) {
            Some(i) => {
                let e = &st.schools[i];
                write_joined(out, std::iter::once((&e.feature, None, school_geo(e))), crs);
                true
            }
            None => false,
        }
    }

    /// Writes catchments, optionally of one school, one year, or meeting a bbox.
    pub fn write_catchments(
        &self,
        CatchmentFilter {
            bbox,
            school,
            year,
            filter,
        }: CatchmentFilter<'_>,
        offset: usize,
        limit: usize,
        out: &mut Vec<u8>,
        crs: Option<&ServedCrs>,
    ) -> Result<PageCounts, IndexError> {
        let st = self.read();
        let school = school.map(|k| st.school(k)).transpose()?;
        let keep = |c: &&CatchmentEntry| {
            school.is_none_or(|s| c.school == s)
                && year.is_none_or(|y| &c.year == y)
                && filter.is_none_or(|f| {
                    f.matches(&CatchmentSubject {
                        area: c,
                        school: &st.schools[c.school].school,
                    })
                })
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
                .map(|c| (&c.feature, None, Geo::Area(&c.geometry))),
            crs,
        );
        Ok(PageCounts { matched, returned })
    }

    /// Writes one catchment's Feature by id.
    pub fn write_catchment(&self, id: Uuid, out: &mut Vec<u8>, crs: Option<&ServedCrs>) -> bool {
        let st = self.read();
        // A district has a few hundred catchments: a scan is cheaper than another
        // map to keep in step.
        match st.catchments.iter().find(|c| c.id == id) {
            Some(c) => {
                write_joined(
                    out,
                    std::iter::once((&c.feature, None, Geo::Area(&c.geometry))),
                    crs,
                );
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

    /// The ids of the assets inside one school's catchment for one year (the
    /// join of assets and attendance areas, already worked out), with the
    /// school; `None` when there is no such school or area. With
    /// [`Index::schools`], a caller walks the whole join one area at a time.
    pub fn catchment_members(&self, sel: &AreaSelector) -> Option<(School, Vec<Uuid>)> {
        let st = self.read();
        let a = st.resolve_area(sel).ok()?;
        let area = &st.areas[a];
        area.year.as_ref()?;
        let school = st.schools[st.resolve_school(&sel.school)?].school.clone();
        Some((school, area.members.iter().map(|&s| st.id_of(s)).collect()))
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
}
