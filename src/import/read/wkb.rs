//! Well-known binary geometries (ISO and extended forms, either byte order),
//! as a GeoPackage stores them after its own header. Z and M values are
//! read and dropped.

use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};

/// The geometry of a GeoPackage blob (`GP` header, then WKB); `None` for an
/// empty geometry.
pub fn gpkg(blob: &[u8]) -> Result<Option<Geometry<f64>>, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("not a GeoPackage geometry (no GP header)".into());
    }
    let flags = blob[3];
    if flags & 0b1_0000 != 0 {
        return Ok(None);
    }
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("unknown envelope kind {e}")),
    };
    let start = 8 + envelope;
    let body = blob.get(start..).ok_or("a truncated geometry")?;
    let mut r = Reader { bytes: body, at: 0 };
    r.geometry().map(Some)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.at + N;
        let s = self.bytes.get(self.at..end).ok_or("a truncated geometry")?;
        self.at = end;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    fn u32(&mut self, little: bool) -> Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self, little: bool) -> Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    /// A count, refused when the rest of the blob cannot hold that many.
    fn count(&mut self, little: bool, each: usize) -> Result<usize, String> {
        let n = self.u32(little)? as usize;
        if n.saturating_mul(each) > self.bytes.len() - self.at {
            return Err("a truncated geometry".into());
        }
        Ok(n)
    }

    fn coord(&mut self, little: bool, dims: usize) -> Result<Coord<f64>, String> {
        let x = self.f64(little)?;
        let y = self.f64(little)?;
        for _ in 2..dims {
            self.f64(little)?;
        }
        Ok(Coord { x, y })
    }

    fn coords(&mut self, little: bool, dims: usize) -> Result<Vec<Coord<f64>>, String> {
        let n = self.count(little, 8 * dims)?;
        (0..n).map(|_| self.coord(little, dims)).collect()
    }

    fn polygon(&mut self, little: bool, dims: usize) -> Result<Polygon<f64>, String> {
        let rings = self.count(little, 4)?;
        let mut all = (0..rings)
            .map(|_| self.coords(little, dims).map(LineString::new))
            .collect::<Result<Vec<_>, _>>()?;
        if all.is_empty() {
            return Ok(Polygon::new(LineString::new(vec![]), vec![]));
        }
        let exterior = all.remove(0);
        Ok(Polygon::new(exterior, all))
    }

    fn geometry(&mut self) -> Result<Geometry<f64>, String> {
        let little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            b => return Err(format!("unknown byte order {b}")),
        };
        let raw = self.u32(little)?;
        // Extended WKB flags (PostGIS) and ISO's thousands.
        let (z, m) = (raw & 0x8000_0000 != 0, raw & 0x4000_0000 != 0);
        if raw & 0x2000_0000 != 0 {
            self.u32(little)?; // an SRID
        }
        let code = raw & 0x0fff_ffff;
        let (kind, iso) = (code % 1000, code / 1000);
        let dims =
            2 + usize::from(z || iso == 1 || iso == 3) + usize::from(m || iso == 2 || iso == 3);
        Ok(match kind {
            1 => Geometry::Point(Point(self.coord(little, dims)?)),
            2 => Geometry::LineString(LineString::new(self.coords(little, dims)?)),
            3 => Geometry::Polygon(self.polygon(little, dims)?),
            4..=7 => {
                let n = self.count(little, 5)?;
                let parts = (0..n)
                    .map(|_| self.geometry())
                    .collect::<Result<Vec<_>, _>>()?;
                let wrong = || format!("a multi-geometry of type {kind} holds another type");
                match kind {
                    4 => Geometry::MultiPoint(MultiPoint(
                        parts
                            .into_iter()
                            .map(|g| Point::try_from(g).map_err(|_| wrong()))
                            .collect::<Result<_, _>>()?,
                    )),
                    5 => Geometry::MultiLineString(MultiLineString(
                        parts
                            .into_iter()
                            .map(|g| LineString::try_from(g).map_err(|_| wrong()))
                            .collect::<Result<_, _>>()?,
                    )),
                    6 => Geometry::MultiPolygon(MultiPolygon(
                        parts
                            .into_iter()
                            .map(|g| Polygon::try_from(g).map_err(|_| wrong()))
                            .collect::<Result<_, _>>()?,
                    )),
                    _ => Geometry::GeometryCollection(GeometryCollection(parts)),
                }
            }
            other => return Err(format!("unsupported WKB geometry type {other}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point_blob(little: bool) -> Vec<u8> {
        let mut b = b"GP\x00\x01".to_vec(); // version 0, little-endian header, no envelope
        b.extend(2926u32.to_le_bytes());
        let (code, x, y) = if little {
            (
                1u32.to_le_bytes(),
                1.5f64.to_le_bytes(),
                (-2.25f64).to_le_bytes(),
            )
        } else {
            (
                1u32.to_be_bytes(),
                1.5f64.to_be_bytes(),
                (-2.25f64).to_be_bytes(),
            )
        };
        b.push(u8::from(little));
        b.extend(code);
        b.extend(x);
        b.extend(y);
        b
    }

    #[test]
    fn points_in_either_byte_order() {
        for little in [true, false] {
            let g = gpkg(&point_blob(little)).expect("read").expect("not empty");
            assert_eq!(g, Geometry::Point(Point::new(1.5, -2.25)));
        }
    }

    #[test]
    fn a_truncated_blob_is_an_error_not_a_panic() {
        let b = point_blob(true);
        for cut in 0..b.len() {
            assert!(gpkg(&b[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = b"GP\x00\x01\x00\x00\x00\x00\x01\x06\x00\x00\x00".to_vec();
        huge.extend(u32::MAX.to_le_bytes());
        assert!(gpkg(&huge).is_err());
    }
}
