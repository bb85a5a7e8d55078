//! Answering a query in two steps: choose the most selective source of
//! candidates and filter them ([`State::candidates`]), then cut the page,
//! ordered by id or, with `near`, by distance ([`cut_page`]).

use rstar::AABB;

use super::IndexError;
use super::entries::{Key, chord2};
use super::query::{AssetQuery, Candidate, OpenFilter, Predicate};
use super::state::State;
use crate::crs::ServedCrs;
use crate::domain::Bbox;
use crate::domain::sphere::{chord2_for_metres, metres_for_chord2, unit_vector};
use crate::domain::taxonomy::CATEGORIES;
use crate::encode::{FeatureBytes, Geo};

/// A query made ready for the index: the area resolved, the text folded, the
/// centre as a unit vector and the radius as a squared chord.
struct Prepared<'q> {
    q: &'q AssetQuery,
    area: Option<usize>,
    text: Option<String>,
    near: Option<[f64; 3]>,
    radius_c2: Option<f64>,
}

impl Prepared<'_> {
    /// Only attribute filters (category, text, languages, hours) apply; the
    /// slot is read only when one of the last three is given.
    fn attrs_ok(&self, st: &State, k: &Key) -> bool {
        if !self.q.categories.is_none_or(|c| c.contains(k.category)) {
            return false;
        }
        if self.text.is_none()
            && self.q.languages.is_none()
            && self.q.open.is_none()
            && self.q.predicate.is_none()
            && self.q.organization.is_none()
            && self.q.modified_after.is_none()
        {
            return true;
        }
        let slot = st.slot(k.slot);
        let passes = |p: &Predicate| {
            p.0.test(&Candidate {
                lon: slot.lon,
                lat: slot.lat,
                category: CATEGORIES[usize::from(slot.category)].id,
                name: &slot.name,
                languages: &slot.languages,
                feature: &slot.feature,
            })
        };
        self.text
            .as_deref()
            .is_none_or(|t| slot.name_folded.contains(t))
            && self
                .q
                .languages
                .as_deref()
                .is_none_or(|ls| slot.languages.iter().any(|l| ls.contains(l)))
            && self.q.open.is_none_or(|o| match o {
                OpenFilter::At(t) => slot.open_at(t),
                OpenFilter::Evening => slot.open_evenings(),
                OpenFilter::Weekend => slot.open_weekends(),
            })
            && self.q.organization.is_none_or(|o| slot.organization == o)
            && self.q.modified_after.is_none_or(|t| slot.modified_ms >= t)
            && self.q.predicate.as_ref().is_none_or(passes)
    }

    fn has_attrs(&self) -> bool {
        self.q.categories.is_some()
            || self.text.is_some()
            || self.q.languages.is_some()
            || self.q.open.is_some()
            || self.q.predicate.is_some()
            || self.q.organization.is_some()
            || self.q.modified_after.is_some()
    }

    /// Whether a candidate passes the filters its source did not apply.
    fn keep(&self, st: &State, k: &Key, check_bbox: bool, check_radius: bool) -> bool {
        self.attrs_ok(st, k)
            && (!check_bbox
                || self.q.bbox.is_none_or(|b| {
                    let sl = st.slot(k.slot);
                    b.contains(sl.lon, sl.lat)
                }))
            && (!check_radius
                || match (self.near, self.radius_c2) {
                    (Some(u), Some(c2)) => chord2(&u, &st.slot(k.slot).unit) <= c2,
                    _ => true,
                })
    }
}

/// Where a query's candidates come from.
enum Source {
    /// Walk the sphere tree outwards from the centre and stop once the page is
    /// full: nothing else bounds the candidates.
    Nearest([f64; 3]),
    /// No filter at all: the page is a slice of the collection's order.
    Everything,
    /// The precomputed members of a school's area (in the collection's order).
    Area(usize),
    /// The sphere tree within a radius of the centre.
    Radius([f64; 3], f64),
    /// The planar tree within a box (both halves across the antimeridian).
    Bbox(Bbox),
    /// Every asset, filtered by attributes (in the collection's order).
    Scan,
}

impl State {
    /// Selects the page `offset..offset+limit` of a query, with distances when
    /// `near` is given. Returns the number matched and the page.
    pub(super) fn select(
        &self,
        q: &AssetQuery,
        offset: usize,
        limit: usize,
    ) -> Result<Selection, IndexError> {
        let p = Prepared {
            q,
            area: q.area.as_ref().map(|a| self.resolve_area(a)).transpose()?,
            text: q.q.as_ref().map(|s| s.to_lowercase()),
            near: q.near.map(|(lon, lat)| unit_vector(lon, lat)),
            radius_c2: q.radius_m.map(chord2_for_metres),
        };
        Ok(match choose_source(&p) {
            Source::Nearest(u) => self.nearest_page(&p, u, offset, limit),
            Source::Everything => Selection {
                matched: self.order.len(),
                page: self
                    .order
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|&s| self.key(s))
                    .collect(),
                distances: Vec::new(),
            },
            source => {
                let (hits, sorted) = self.candidates(&p, source);
                cut_page(self, hits, sorted, p.near, offset, limit)
            }
        })
    }

    /// The k-nearest page: the count needs a pass over the attributes only
    /// when there are attribute filters.
    fn nearest_page(&self, p: &Prepared, u: [f64; 3], offset: usize, limit: usize) -> Selection {
        let filtered = p.has_attrs();
        let matched = if filtered {
            self.order
                .iter()
                .filter(|&&s| p.attrs_ok(self, &self.key(s)))
                .count()
        } else {
            self.order.len()
        };
        let (page, distances) = self
            .sphere
            .nearest_neighbor_iter_with_distance_2(&u)
            .filter(|(e, _)| !filtered || p.attrs_ok(self, &e.data))
            .skip(offset)
            .take(limit)
            .map(|(e, d2)| (e.data, metres_for_chord2(d2)))
            .unzip();
        Selection {
            matched,
            page,
            distances,
        }
    }

    /// Every candidate of a bounded source that passes all filters; the flag
    /// says whether they already come in the collection's order.
    fn candidates(&self, p: &Prepared, source: Source) -> (Vec<Key>, bool) {
        match source {
            Source::Area(a) => (
                self.areas[a]
                    .members
                    .iter()
                    .map(|&s| self.key(s))
                    .filter(|k| p.keep(self, k, true, true))
                    .collect(),
                true,
            ),
            Source::Radius(u, c2) => (
                self.sphere
                    .locate_within_distance(u, c2)
                    .map(|e| e.data)
                    .filter(|k| p.keep(self, k, true, false))
                    .collect(),
                false,
            ),
            Source::Bbox(b) => {
                let mut v = Vec::new();
                for [x0, y0, x1, y1] in b.parts() {
                    let env = AABB::from_corners([x0, y0], [x1, y1]);
                    v.extend(
                        self.planar
                            .locate_in_envelope(&env)
                            .map(|e| e.data)
                            .filter(|k| p.keep(self, k, false, true)),
                    );
                }
                // A point at exactly ±180 can be found by both halves.
                if b.crosses_antimeridian() {
                    v.sort_unstable_by_key(|k| k.slot);
                    v.dedup_by_key(|k| k.slot);
                }
                (v, false)
            }
            Source::Scan | Source::Everything | Source::Nearest(_) => (
                self.order
                    .iter()
                    .map(|&s| self.key(s))
                    .filter(|k| p.keep(self, k, true, true))
                    .collect(),
                true,
            ),
        }
    }
}

/// The most selective source for a query: an area, then a radius, then a box.
fn choose_source(p: &Prepared) -> Source {
    match (p.near, p.area, p.q.bbox, p.radius_c2) {
        (Some(u), None, None, None) => Source::Nearest(u),
        (None, None, None, _) if !p.has_attrs() => Source::Everything,
        (_, Some(a), _, _) => Source::Area(a),
        (Some(u), None, _, Some(c2)) => Source::Radius(u, c2),
        (_, None, Some(b), _) => Source::Bbox(b),
        _ => Source::Scan,
    }
}

/// Cuts `offset..offset+limit` out of the matching candidates: by distance when
/// there is a centre, else by id. Results that span pages are ordered by id so
/// that paging is stable; a result that fits in one page is complete in any order.
fn cut_page(
    st: &State,
    mut hits: Vec<Key>,
    sorted: bool,
    near: Option<[f64; 3]>,
    offset: usize,
    limit: usize,
) -> Selection {
    let matched = hits.len();
    let end = offset.saturating_add(limit).min(matched);
    if offset >= matched {
        return Selection {
            matched,
            page: Vec::new(),
            distances: Vec::new(),
        };
    }
    if let Some(u) = near {
        let mut with_d: Vec<(Key, f64)> = hits
            .into_iter()
            .map(|k| (k, chord2(&u, &st.slot(k.slot).unit)))
            .collect();
        let cmp =
            |a: &(Key, f64), b: &(Key, f64)| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id));
        if end < with_d.len() {
            with_d.select_nth_unstable_by(end, cmp);
            with_d.truncate(end);
        }
        with_d.sort_unstable_by(cmp);
        let (page, distances) = with_d[offset..end]
            .iter()
            .map(|&(k, c2)| (k, metres_for_chord2(c2)))
            .unzip();
        return Selection {
            matched,
            page,
            distances,
        };
    }
    let one_page = offset == 0 && matched <= limit;
    if !sorted && !one_page {
        hits.sort_unstable_by_key(|k| k.id);
    }
    hits.truncate(end);
    hits.drain(..offset);
    Selection {
        matched,
        page: hits,
        distances: Vec::new(),
    }
}

/// The result of [`State::select`]: how many matched, and one page of them with
/// their distances (empty unless the query has `near`).
pub(super) struct Selection {
    pub(super) matched: usize,
    pub(super) page: Vec<Key>,
    pub(super) distances: Vec<f64>,
}

impl Selection {
    pub(super) fn iter(&self) -> impl Iterator<Item = (&Key, Option<f64>)> + Clone {
        let with_d = !self.distances.is_empty();
        self.page
            .iter()
            .enumerate()
            .map(move |(i, k)| (k, with_d.then(|| self.distances[i])))
    }
}

/// Room left after the features for what closes the answer (counts, links).
const CLOSING_BYTES: usize = 1024;

/// Writes features separated by commas: the prebuilt bytes, or with each
/// geometry moved into `crs` when one other than CRS84 is asked for. The
/// buffer is grown once, to the size of what is written (plus the closing),
/// so the bytes are never copied again by a reallocation.
pub(super) fn write_joined<'a, I>(out: &mut Vec<u8>, items: I, crs: Option<&ServedCrs>) -> usize
where
    I: Iterator<Item = (&'a FeatureBytes, Option<f64>, Geo<'a>)> + Clone,
{
    let need: usize = items
        .clone()
        .map(|(f, d, _)| f.bytes.len() + 1 + f.spliced_len(d.is_some()))
        .sum();
    out.reserve(need + CLOSING_BYTES);
    let mut now = crate::encode::Now::default();
    let mut geometry = Vec::new();
    let mut n = 0;
    for (f, d, g) in items {
        if n > 0 {
            out.push(b',');
        }
        match crs {
            None => f.write_at(out, d, &mut now),
            Some(crs) => {
                geometry.clear();
                crate::encode::write_geometry_in(&mut geometry, g, crs);
                f.write_with_geometry(out, d, &mut now, &geometry);
            }
        }
        n += 1;
    }
    n
}
