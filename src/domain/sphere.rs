//! Great-circle geometry on a spherical Earth: distances, unit vectors and chords.
//!
//! Every distance assetmap reports is a great-circle distance on a sphere of
//! radius [`EARTH_RADIUS_M`] (the IUGG mean radius). The index keeps each point
//! also as a unit vector in 3-D: the straight-line (chord) distance between two
//! unit vectors grows monotonically with their great-circle distance, so an
//! ordinary Euclidean R-tree over unit vectors answers nearest and radius
//! queries exactly, at any latitude and across the antimeridian.

/// Mean Earth radius in metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// One statute mile in metres.
pub const MILE_M: f64 = 1_609.344;

/// Unit vector of a lon/lat point in degrees.
pub fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    let (slat, clat) = lat.sin_cos();
    let (slon, clon) = lon.sin_cos();
    [clat * clon, clat * slon, slat]
}

/// Great-circle distance in metres between two lon/lat points (degrees), by the
/// haversine formula, which stays accurate for small distances.
pub fn distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// Squared chord length between unit vectors that lie `metres` apart on the sphere.
/// Distances beyond half the circumference clamp to the antipode.
pub fn chord2_for_metres(metres: f64) -> f64 {
    let angle = (metres / EARTH_RADIUS_M).clamp(0.0, std::f64::consts::PI);
    let c = 2.0 * (angle / 2.0).sin();
    c * c
}

/// Great-circle distance in metres for a squared chord length between unit vectors.
pub fn metres_for_chord2(chord2: f64) -> f64 {
    let half = (chord2.max(0.0).sqrt() / 2.0).min(1.0);
    2.0 * EARTH_RADIUS_M * half.asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord2(a: [f64; 3], b: [f64; 3]) -> f64 {
        (0..3).map(|i| (a[i] - b[i]).powi(2)).sum()
    }

    #[test]
    fn known_distances() {
        // One degree of latitude is about 111.2 km on this sphere.
        let d = distance_m(0.0, 0.0, 0.0, 1.0);
        assert!((d - 111_195.08).abs() < 1.0, "{d}");
        // Across the antimeridian: 179.5E to 179.5W at the equator is one degree.
        let d = distance_m(179.5, 0.0, -179.5, 0.0);
        assert!((d - 111_195.08).abs() < 1.0, "{d}");
        // Pole to pole is half the circumference whatever the longitudes.
        let d = distance_m(10.0, 90.0, -70.0, -90.0);
        assert!(
            (d - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-6,
            "{d}"
        );
    }

    #[test]
    fn chord_and_haversine_agree() {
        let pts = [
            (-122.3, 47.6),
            (-122.4, 47.7),
            (179.9, -10.0),
            (-179.9, -10.1),
            (0.0, 89.9),
            (180.0, 89.9),
        ];
        for &(a, b) in &pts {
            for &(c, d) in &pts {
                let via_chord = metres_for_chord2(chord2(unit_vector(a, b), unit_vector(c, d)));
                let direct = distance_m(a, b, c, d);
                assert!(
                    (via_chord - direct).abs() < 1e-3 * direct.max(1.0),
                    "{via_chord} vs {direct}"
                );
            }
        }
    }

    #[test]
    fn chord_round_trip() {
        for m in [0.0, 1.0, 1609.344, 100_000.0, 5_000_000.0] {
            assert!((metres_for_chord2(chord2_for_metres(m)) - m).abs() < 1e-6 * m.max(1.0));
        }
    }
}
