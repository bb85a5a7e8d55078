//! Tagging points with the areas that contain them, in one pass: an R-tree over
//! the areas' bounding boxes finds each point's candidate areas, and an exact
//! point-in-polygon test (boundary included) decides.

use geo::{BoundingRect, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type AreaBox = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Areas indexed for point look-ups.
pub struct AreaIndex<'a> {
    areas: &'a [MultiPolygon<f64>],
    tree: RTree<AreaBox>,
}

impl<'a> AreaIndex<'a> {
    /// Indexes areas by their bounding boxes (empty areas are never matched).
    pub fn new(areas: &'a [MultiPolygon<f64>]) -> Self {
        let boxes = areas
            .iter()
            .enumerate()
            .filter_map(|(i, mp)| {
                mp.bounding_rect().map(|r| {
                    AreaBox::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i,
                    )
                })
            })
            .collect();
        Self {
            areas,
            tree: RTree::bulk_load(boxes),
        }
    }

    /// The indices of the areas that contain the point (edges included), ascending.
    pub fn containing(&self, lon: f64, lat: f64, out: &mut Vec<usize>) {
        out.clear();
        let p = Point::new(lon, lat);
        out.extend(
            self.tree
                .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
                .map(|b| b.data)
                .filter(|&i| self.areas[i].intersects(&p)),
        );
        out.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    fn square(x0: f64, y0: f64, size: f64) -> MultiPolygon<f64> {
        let ring = LineString::from(vec![
            (x0, y0),
            (x0 + size, y0),
            (x0 + size, y0 + size),
            (x0, y0 + size),
            (x0, y0),
        ]);
        MultiPolygon(vec![Polygon::new(ring, vec![])])
    }

    #[test]
    fn overlapping_areas_edges_and_misses() {
        let areas = vec![
            square(0.0, 0.0, 10.0),
            square(5.0, 5.0, 10.0),
            square(100.0, 100.0, 1.0),
        ];
        let index = AreaIndex::new(&areas);
        let mut out = Vec::new();
        index.containing(7.0, 7.0, &mut out);
        assert_eq!(out, vec![0, 1]);
        index.containing(10.0, 2.0, &mut out);
        assert_eq!(out, vec![0], "a point on an edge is inside");
        index.containing(50.0, 50.0, &mut out);
        assert!(out.is_empty());
    }
}
