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
    #[error(
        "bbox must have 4 numbers (minLon,minLat,maxLon,maxLat) or 6 (minLon,minLat,minHeight,maxLon,maxLat,maxHeight), got {0}"
    )]
    Count(usize),
    #[error("bbox value {0:?} is not a number")]
    NotANumber(String),
    #[error("bbox values must be finite")]
    NotFinite,
}

impl Bbox {
    /// A box from its corners, as the OGC `bbox` parameter defines it (any
    /// numbers): a longitude beyond ±180 is taken as ±180 and a latitude beyond
    /// ±90 as the pole; `minx > maxx` crosses the antimeridian; `miny > maxy`
    /// is a box that holds nothing. Only non-finite values are refused.
    pub fn new(minx: f64, miny: f64, maxx: f64, maxy: f64) -> Result<Self, BboxError> {
        if ![minx, miny, maxx, maxy].iter().all(|v| v.is_finite()) {
            return Err(BboxError::NotFinite);
        }
        let lon = |v: f64| v.clamp(-180.0, 180.0);
        let lat = |v: f64| v.clamp(-90.0, 90.0);
        Ok(Self {
            minx: lon(minx),
            miny: lat(miny),
            maxx: lon(maxx),
            maxy: lat(maxy),
        })
    }

    /// Parses the OGC `bbox` parameter: four comma-separated numbers, or six
    /// (a 3-D box, whose heights are ignored: assetmap's data is 2-D).
    pub fn parse(s: &str) -> Result<Self, BboxError> {
        let parts: Vec<&str> = s.split(',').collect();
        if parts.len() != 4 && parts.len() != 6 {
            return Err(BboxError::Count(parts.len()));
        }
        let mut v = Vec::with_capacity(parts.len());
        for p in &parts {
            v.push(
                p.parse::<f64>()
                    .map_err(|_| BboxError::NotANumber((*p).to_owned()))?,
            );
        }
        if !v.iter().all(|x| x.is_finite()) {
            return Err(BboxError::NotFinite);
        }
        match v.as_slice() {
            [a, b, c, d] | [a, b, _, c, d, _] => Self::new(*a, *b, *c, *d),
            _ => Err(BboxError::Count(v.len())),
        }
    }

    /// Whether the box holds nothing (its minimum latitude is above its maximum).
    pub fn is_empty(&self) -> bool {
        self.miny > self.maxy
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
        let (a, b) = if self.is_empty() {
            ([0.0; 4], None)
        } else if self.crosses_antimeridian() {
            (
                [self.minx, self.miny, 180.0, self.maxy],
                Some([-180.0, self.miny, self.maxx, self.maxy]),
            )
        } else {
            ([self.minx, self.miny, self.maxx, self.maxy], None)
        };
        std::iter::once(a).filter(|_| !self.is_empty()).chain(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rules() {
        assert!(Bbox::parse("-122.4,47.5,-122.2,47.7").is_ok());
        assert_eq!(Bbox::parse("1,2,3"), Err(BboxError::Count(3)));
        assert_eq!(Bbox::parse("1,2,3,4,5"), Err(BboxError::Count(5)));
        // Six numbers: a 3-D box, heights ignored.
        assert_eq!(Bbox::parse("1,2,-5,3,4,100"), Bbox::new(1.0, 2.0, 3.0, 4.0));
        // Beyond the globe: the pole, the antimeridian.
        assert_eq!(Bbox::parse("0,0,1,91"), Bbox::new(0.0, 0.0, 1.0, 90.0));
        assert_eq!(
            Bbox::parse("-1e300,0,181,1"),
            Bbox::new(-180.0, 0.0, 180.0, 1.0)
        );
        assert_eq!(Bbox::parse("0,NaN,1,1"), Err(BboxError::NotFinite));
        assert_eq!(Bbox::parse("0,1e400,1,1"), Err(BboxError::NotFinite));
        assert_eq!(Bbox::parse("0,inf,1,1"), Err(BboxError::NotFinite));
        assert_eq!(
            Bbox::parse("0,x,1,1"),
            Err(BboxError::NotANumber("x".into()))
        );
        // Minimum latitude above the maximum: a box that holds nothing.
        let empty = Bbox::parse("0,2,1,1").expect("a box");
        assert!(empty.is_empty());
        assert!(!empty.contains(0.5, 1.5));
        assert_eq!(empty.parts().count(), 0);
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
