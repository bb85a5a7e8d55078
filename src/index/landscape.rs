//! A school's landscape: per category, the count inside its area, the count
//! within a ring around the campus, and the nearest asset to the campus. Behind
//! the summary, the coverage report and the gap analysis.

use uuid::Uuid;

use super::query::AreaSelector;
use super::state::Shape;
use super::{Index, IndexError};
use crate::domain::sphere::{chord2_for_metres, metres_for_chord2, unit_vector};
use crate::domain::taxonomy::CATEGORIES;
use crate::domain::{School, SchoolRef, SchoolYear};

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
    /// The radius of the ring counted in [`CategoryLandscape::within_ring`], if asked.
    pub ring_m: Option<f64>,
}

/// A published asset in brief, as the index holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetBrief {
    pub id: Uuid,
    pub name: String,
    pub category: &'static str,
    pub lon: f64,
    pub lat: f64,
}

/// One category's line in a [`Landscape`].
#[derive(Debug, Clone)]
pub struct CategoryLandscape {
    pub category: &'static str,
    pub count: usize,
    /// How many lie within the ring around the campus (0 when no ring was asked).
    pub within_ring: usize,
    /// The nearest asset of this category to the campus, anywhere.
    pub nearest: Option<Nearest>,
    /// Whether that nearest asset is inside the area.
    pub nearest_inside: bool,
}

impl Index {
    /// The landscape of one school's area: counts per category, and the nearest
    /// asset of each category to the campus (inside the area or not).
    pub fn landscape(&self, sel: &AreaSelector) -> Result<Landscape, IndexError> {
        self.landscape_with_ring(sel, None)
    }

    /// The landscape, with each category's count within `ring_m` metres
    /// (great-circle) of the campus as well.
    pub fn landscape_with_ring(
        &self,
        sel: &AreaSelector,
        ring_m: Option<f64>,
    ) -> Result<Landscape, IndexError> {
        let st = self.read();
        let a = st.resolve_area(sel)?;
        let school_idx = st.school(&sel.school)?;
        let school = st.schools[school_idx].school.clone();
        let area = &st.areas[a];
        let mut counts = vec![0usize; CATEGORIES.len()];
        for &s in &area.members {
            counts[st.slot(s).category as usize] += 1;
        }
        let campus = unit_vector(school.location.lon(), school.location.lat());
        let mut ring = vec![0usize; CATEGORIES.len()];
        if let Some(r) = ring_m {
            for e in st
                .sphere
                .locate_within_distance(campus, chord2_for_metres(r))
            {
                ring[st.slot(e.data.slot).category as usize] += 1;
            }
        }
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
                    within_ring: ring[i],
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
            ring_m,
        })
    }

    /// The school a reference names.
    pub fn school(&self, key: &SchoolRef) -> Result<School, IndexError> {
        let st = self.read();
        let i = st.school(key)?;
        Ok(st.schools[i].school.clone())
    }

    /// The published assets among `ids`, in brief (unknown or unpublished ids
    /// are left out).
    pub fn briefs(&self, ids: &[Uuid]) -> Vec<AssetBrief> {
        let st = self.read();
        ids.iter()
            .filter_map(|id| st.by_id.get(id))
            .map(|&s| {
                let sl = st.slot(s);
                AssetBrief {
                    id: sl.id,
                    name: sl.name.to_string(),
                    category: CATEGORIES[sl.category as usize].id,
                    lon: sl.lon,
                    lat: sl.lat,
                }
            })
            .collect()
    }
}
