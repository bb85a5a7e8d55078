//! Bounding boxes in lon/lat, including boxes that cross the antimeridian.

/// A WGS84 bounding box. `minx > maxx` means the box crosses the antimeridian
/// (RFC 7946 §5.2): it covers `[minx, 180]` and `[-180, maxx]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    pub minx: f64,
    pub miny: f64,
    pub maxx: f64,
    pub maxy: f64,
}

/// Why a bbox was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BboxError {
    #[error("bbox must have 4 numbers (minLon,minLat,maxLon,maxLat), got {0}")]
    Count(usize),
    #[error("bbox value {0:?} is not a number")]
    NotANumber(String),
    #[error("bbox values must be finite")]
    NotFinite,
    #[error("bbox longitude must be within [-180, 180]")]
    Longitude,
    #[error("bbox latitude must be within [-90, 90]")]
    Latitude,
    #[error("bbox minimum latitude is greater than maximum latitude")]
    LatitudeOrder,
}

impl Bbox {
    /// Checks a box; a box with `minx > maxx` is accepted as crossing the antimeridian.
    pub fn new(minx: f64, miny: f64, maxx: f64, maxy: f64) -> Result<Self, BboxError> {
        if ![minx, miny, maxx, maxy].iter().all(|v| v.is_finite()) {
            return Err(BboxError::NotFinite);
        }
        if !(-180.0..=180.0).contains(&minx) || !(-180.0..=180.0).contains(&maxx) {
            return Err(BboxError::Longitude);
        }
        if !(-90.0..=90.0).contains(&miny) || !(-90.0..=90.0).contains(&maxy) {
            return Err(BboxError::Latitude);
        }
        if miny > maxy {
            return Err(BboxError::LatitudeOrder);
        }
        Ok(Self {
            minx,
            miny,
            maxx,
            maxy,
        })
    }

    /// Parses the OGC `bbox` parameter: four comma-separated numbers. (Six numbers,
    /// a 3-D box, are refused: assetmap's data is 2-D.)
    pub fn parse(s: &str) -> Result<Self, BboxError> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(BboxError::Count(parts.len()));
        }
        let mut v = [0.0; 4];
        for (slot, p) in v.iter_mut().zip(&parts) {
            *slot = p
                .parse::<f64>()
                .map_err(|_| BboxError::NotANumber((*p).to_owned()))?;
        }
        Self::new(v[0], v[1], v[2], v[3])
    }

    pub fn crosses_antimeridian(&self) -> bool {
        self.minx > self.maxx
    }

    /// Whether a point lies in the box (edges included).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        if lat < self.miny || lat > self.maxy {
            return false;
        }
        if self.crosses_antimeridian() {
            lon >= self.minx || lon <= self.maxx
        } else {
            lon >= self.minx && lon <= self.maxx
        }
    }

    /// The one or two plain boxes `[minx, miny, maxx, maxy]` this box covers.
    pub fn parts(&self) -> impl Iterator<Item = [f64; 4]> {
        let (a, b) = if self.crosses_antimeridian() {
            (
                [self.minx, self.miny, 180.0, self.maxy],
                Some([-180.0, self.miny, self.maxx, self.maxy]),
            )
        } else {
            ([self.minx, self.miny, self.maxx, self.maxy], None)
        };
        std::iter::once(a).chain(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rules() {
        assert!(Bbox::parse("-122.4,47.5,-122.2,47.7").is_ok());
        assert_eq!(Bbox::parse("1,2,3"), Err(BboxError::Count(3)));
        assert_eq!(Bbox::parse("1,2,3,4,5,6"), Err(BboxError::Count(6)));
        assert_eq!(Bbox::parse("0,0,1,91"), Err(BboxError::Latitude));
        assert_eq!(Bbox::parse("0,0,181,1"), Err(BboxError::Longitude));
        assert_eq!(Bbox::parse("0,NaN,1,1"), Err(BboxError::NotFinite));
        assert_eq!(
            Bbox::parse("0,x,1,1"),
            Err(BboxError::NotANumber("x".into()))
        );
        assert_eq!(Bbox::parse("0,2,1,1"), Err(BboxError::LatitudeOrder));
    }

    #[test]
    fn antimeridian() {
        let b = Bbox::parse("170,-10,-170,10").expect("valid");
        assert!(b.crosses_antimeridian());
        assert!(b.contains(175.0, 0.0));
        assert!(b.contains(-175.0, 0.0));
        assert!(b.contains(180.0, 0.0));
        assert!(!b.contains(0.0, 0.0));
        assert_eq!(b.parts().count(), 2);
    }
}
