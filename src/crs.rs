//! Coordinate reference systems: naming one (an EPSG code, an OGC URI, the
//! WKT of a `.prj` or a GeoPackage), and moving coordinates between it and
//! WGS84 longitude/latitude, in pure Rust (proj4rs, with the EPSG catalogue of
//! crs-definitions).
//!
//! The NAD83 family of datums (NAD83 and NAD83(HARN), the datums of every US
//! State Plane zone) is shifted to WGS84 by the same Helmert transformation
//! PROJ chooses for the United States (ESRI's `WGS_1984_(ITRF00)_To_NAD_1983`,
//! 0.1 m), so that coordinates agree with `cs2cs`, GDAL and QGIS to well under
//! a centimetre instead of differing by the metre or so between the datums.

use geo::{Coord, Geometry, MapCoords};
use proj4rs::Proj;

/// WGS84 longitude/latitude (OGC CRS84), in degrees.
const WGS84: &str = "+proj=longlat +datum=WGS84 +no_defs";

/// NAD83 (and HARN) to WGS84: the inverse of PROJ's
/// `WGS_1984_(ITRF00)_To_NAD_1983` (coordinate frame), as `+towgs84` takes it
/// (position vector: the rotations change sign).
const NAD83_TO_WGS84: &str = "+towgs84=-0.9956,1.9013,0.5215,0.025915,0.009426,0.011599,-0.00062";

/// Why a coordinate system could not be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum CrsError {
    #[error("unknown coordinate system {0:?} (use EPSG:NNNN, an OGC CRS URI or CRS84)")]
    Unknown(String),
    #[error("EPSG:{0} is not in the catalogue of coordinate systems assetmap knows")]
    UnknownCode(u32),
    #[error("the coordinate system's definition cannot be read: {0}")]
    Definition(String),
    #[error("coordinates ({0}, {1}) cannot be transformed: {2}")]
    Transform(f64, f64, String),
}

/// A coordinate reference system that coordinates can be moved from and to.
#[derive(Clone)]
pub struct Crs {
    /// The EPSG code, when it has one.
    code: Option<u32>,
    /// A name for reports: `EPSG:2926 (NAD83(HARN) / Washington North (ftUS))`.
    name: String,
    proj: Proj,
    wgs84: bool,
}

impl std::fmt::Debug for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl PartialEq for Crs {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Crs {
    /// WGS84 longitude/latitude: what GeoJSON, KML and assetmap itself use.
    pub fn wgs84() -> Self {
        Self {
            code: Some(4326),
            name: "EPSG:4326 (WGS 84)".into(),
            proj: WGS84_PROJ.clone(),
            wgs84: true,
        }
    }

    /// The coordinate system of an EPSG code.
    pub fn epsg(code: u32) -> Result<Self, CrsError> {
        if matches!(code, 4326 | 4979) {
            return Ok(Self::wgs84());
        }
        let def = u16::try_from(code)
            .ok()
            .and_then(crs_definitions::from_code)
            .ok_or(CrsError::UnknownCode(code))?;
        let label = wkt_name(def.wkt).unwrap_or_default();
        let proj = proj_of(
            def.proj4,
            def.proj4.contains("+datum=NAD83") || nad83_wkt(def.wkt),
        )?;
        Ok(Self {
            code: Some(code),
            name: if label.is_empty() {
                format!("EPSG:{code}")
            } else {
                format!("EPSG:{code} ({label})")
            },
            proj,
            wgs84: false,
        })
    }

    /// A coordinate system named as people and standards name them:
    /// `EPSG:2926`, `urn:ogc:def:crs:EPSG::2926`,
    /// `http://www.opengis.net/def/crs/EPSG/0/2926`, `CRS84`, `OGC:CRS84`.
    pub fn parse(text: &str) -> Result<Self, CrsError> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "crs84"
                | "ogc:crs84"
                | "urn:ogc:def:crs:ogc:1.3:crs84"
                | "urn:ogc:def:crs:ogc::crs84"
                | "http://www.opengis.net/def/crs/ogc/1.3/crs84"
                | "https://www.opengis.net/def/crs/ogc/1.3/crs84"
        ) {
            return Ok(Self::wgs84());
        }
        let code = lower
            .strip_prefix("epsg:")
            .or_else(|| lower.strip_prefix("urn:ogc:def:crs:epsg:"))
            .or_else(|| lower.strip_prefix("http://www.opengis.net/def/crs/epsg/"))
            .or_else(|| lower.strip_prefix("https://www.opengis.net/def/crs/epsg/"))
            .map(|rest| rest.rsplit([':', '/']).next().unwrap_or(rest))
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or_else(|| CrsError::Unknown(t.to_owned()))?;
        Self::epsg(code)
    }

    /// The coordinate system a WKT text (a `.prj`, a GeoPackage's
    /// `gpkg_spatial_ref_sys.definition`) describes: by its EPSG authority
    /// when it names one, otherwise from its parameters.
    pub fn from_wkt(wkt: &str) -> Result<Self, CrsError> {
        if let Some(code) = top_authority(wkt) {
            return Self::epsg(code);
        }
        let wkt = wkt.trim();
        if wkt.starts_with("GEOGCS") && (wkt.contains("WGS_1984") || wkt.contains("\"WGS 84\"")) {
            return Ok(Self::wgs84());
        }
        let projstring =
            proj4wkt::wkt_to_projstring(wkt).map_err(|e| CrsError::Definition(e.to_string()))?;
        let proj = proj_of(&projstring, nad83_wkt(wkt))?;
        let label = wkt_name(wkt).unwrap_or_else(|| "unnamed".into());
        Ok(Self {
            code: None,
            name: format!("{label} (from its WKT)"),
            proj,
            wgs84: false,
        })
    }

    /// The EPSG code, when the system has one.
    pub fn code(&self) -> Option<u32> {
        self.code
    }

    /// Whether coordinates are already WGS84 longitude/latitude.
    pub fn is_wgs84(&self) -> bool {
        self.wgs84
    }

    /// Whether the system's coordinates are angles (longitude/latitude in
    /// degrees) rather than a projection's distances.
    pub fn is_geographic(&self) -> bool {
        self.proj.is_latlong()
    }

    /// A position of this system as WGS84 longitude/latitude.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        if self.wgs84 {
            return Ok((x, y));
        }
        let mut p = if self.is_geographic() {
            (x.to_radians(), y.to_radians(), 0.0)
        } else {
            (x, y, 0.0)
        };
        proj4rs::transform::transform(&self.proj, &WGS84_PROJ, &mut p)
            .map_err(|e| CrsError::Transform(x, y, e.to_string()))?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        if lon.is_finite() && lat.is_finite() {
            Ok((lon, lat))
        } else {
            Err(CrsError::Transform(x, y, "outside the projection".into()))
        }
    }

    /// A WGS84 longitude/latitude as a position of this system.
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        if self.wgs84 {
            return Ok((lon, lat));
        }
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&WGS84_PROJ, &self.proj, &mut p)
            .map_err(|e| CrsError::Transform(lon, lat, e.to_string()))?;
        let (x, y) = if self.is_geographic() {
            (p.0.to_degrees(), p.1.to_degrees())
        } else {
            (p.0, p.1)
        };
        if x.is_finite() && y.is_finite() {
            Ok((x, y))
        } else {
            Err(CrsError::Transform(
                lon,
                lat,
                "outside the projection".into(),
            ))
        }
    }

    /// A geometry of this system in WGS84 longitude/latitude.
    pub fn geometry_to_wgs84(&self, g: Geometry<f64>) -> Result<Geometry<f64>, CrsError> {
        if self.wgs84 {
            return Ok(g);
        }
        g.try_map_coords(|c: Coord<f64>| self.to_wgs84(c.x, c.y).map(|(x, y)| Coord { x, y }))
    }
}

/// WGS84's projection, read once: every transform goes through it.
static WGS84_PROJ: std::sync::LazyLock<Proj> = std::sync::LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // a constant definition proj4rs reads
    Proj::from_proj_string(WGS84).unwrap()
});

/// A proj4rs projection from a proj string, with the NAD83 datums shifted as
/// PROJ shifts them.
fn proj_of(projstring: &str, nad83: bool) -> Result<Proj, CrsError> {
    let s = if nad83 {
        let kept: Vec<&str> = projstring
            .split_whitespace()
            .filter(|t| {
                !t.starts_with("+towgs84")
                    && !t.starts_with("+datum")
                    && !t.starts_with("+ellps")
                    && !t.starts_with("+a=")
                    && !t.starts_with("+rf=")
                    && !t.starts_with("+b=")
            })
            .collect();
        format!("{} +ellps=GRS80 {NAD83_TO_WGS84}", kept.join(" "))
    } else {
        projstring.to_owned()
    };
    Proj::from_proj_string(&s).map_err(|e| CrsError::Definition(format!("{e} in {s:?}")))
}

/// Whether a WKT's datum is NAD83 or NAD83(HARN) (and not one of the later
/// realizations, which PROJ shifts differently).
fn nad83_wkt(wkt: &str) -> bool {
    let Some(start) = wkt.find("DATUM[") else {
        return false;
    };
    let datum = wkt[start + 6..]
        .split(',')
        .next()
        .unwrap_or("")
        .trim_matches('"')
        .to_ascii_lowercase()
        .replace([' ', '(', ')', '-'], "_");
    let family = (datum.contains("north_american") && datum.contains("1983"))
        || datum.starts_with("nad83")
        || datum.starts_with("nad_1983");
    let later = ["2011", "nsrs2007", "csrs", "cors96", "ma11", "pa11"]
        .iter()
        .any(|r| datum.contains(r));
    family && !later
}

/// The name a WKT gives its system (`PROJCS["name", …`).
fn wkt_name(wkt: &str) -> Option<String> {
    let open = wkt.find('[')?;
    let rest = &wkt[open + 1..];
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}

/// The EPSG code of a WKT's outermost `AUTHORITY["EPSG","NNNN"]` (WKT1) or
/// `ID["EPSG",NNNN]` (WKT2): the last one before the closing bracket.
fn top_authority(wkt: &str) -> Option<u32> {
    let t = wkt.trim_end();
    let t = t.strip_suffix(']')?.trim_end();
    let t = t.strip_suffix(']')?;
    let start = t.rfind('[')?;
    let head = t[..start].trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let keyword = &t[head.len()..start];
    if !keyword.eq_ignore_ascii_case("AUTHORITY") && !keyword.eq_ignore_ascii_case("ID") {
        return None;
    }
    let mut parts = t[start + 1..].split(',');
    let authority = parts.next()?.trim().trim_matches('"');
    if !authority.eq_ignore_ascii_case("EPSG") {
        return None;
    }
    parts.next()?.trim().trim_matches('"').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systems_are_named_as_standards_name_them() {
        for name in [
            "EPSG:2926",
            "epsg:2926",
            "urn:ogc:def:crs:EPSG::2926",
            "http://www.opengis.net/def/crs/EPSG/0/2926",
        ] {
            assert_eq!(Crs::parse(name).expect(name).code(), Some(2926), "{name}");
        }
        for name in [
            "CRS84",
            "OGC:CRS84",
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "EPSG:4326",
        ] {
            assert!(Crs::parse(name).expect(name).is_wgs84(), "{name}");
        }
        assert!(matches!(
            Crs::parse("EPSG:1"),
            Err(CrsError::UnknownCode(1))
        ));
        assert!(matches!(Crs::parse("Lambert"), Err(CrsError::Unknown(_))));
    }

    #[test]
    fn a_wkt_naming_its_authority_is_that_code() {
        let wkt = r#"PROJCS["NAD83(HARN) / Washington North (ftUS)",GEOGCS["NAD83(HARN)",DATUM["NAD83_High_Accuracy_Reference_Network",SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","6152"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4152"]],PROJECTION["Lambert_Conformal_Conic_2SP"],PARAMETER["latitude_of_origin",47],PARAMETER["central_meridian",-120.833333333333],PARAMETER["standard_parallel_1",48.7333333333333],PARAMETER["standard_parallel_2",47.5],PARAMETER["false_easting",1640416.667],PARAMETER["false_northing",0],UNIT["US survey foot",0.304800609601219,AUTHORITY["EPSG","9003"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","2926"]]"#;
        assert_eq!(Crs::from_wkt(wkt).expect("wkt").code(), Some(2926));
    }

    #[test]
    fn an_esri_prj_agrees_with_its_epsg_code() {
        // What ogr2ogr writes beside a Shapefile in EPSG:2926.
        let prj = r#"PROJCS["NAD_1983_HARN_StatePlane_Washington_North_FIPS_4601_Feet",GEOGCS["GCS_North_American_1983_HARN",DATUM["D_North_American_1983_HARN",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",1640416.667],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-120.833333333333],PARAMETER["Standard_Parallel_1",48.7333333333333],PARAMETER["Standard_Parallel_2",47.5],PARAMETER["Latitude_Of_Origin",47.0],UNIT["US survey foot",0.304800609601219]]"#;
        let esri = Crs::from_wkt(prj).expect("prj");
        let epsg = Crs::epsg(2926).expect("2926");
        let (x, y) = (1_278_592.496_252, 222_307.658_090);
        let a = esri.to_wgs84(x, y).expect("esri");
        let b = epsg.to_wgs84(x, y).expect("epsg");
        assert!(
            (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9,
            "{a:?} {b:?}"
        );
        // PROJ 9 (cs2cs EPSG:2926 OGC:CRS84) gives -122.3000000637 47.5999999402.
        assert!((b.0 + 122.300_000_063_7).abs() < 1e-9, "{b:?}");
        assert!((b.1 - 47.599_999_940_2).abs() < 1e-9, "{b:?}");
    }

    #[test]
    fn there_and_back_again() {
        for code in [2926, 2227, 2229, 3310, 3857, 32610, 26910] {
            let crs = Crs::epsg(code).expect("code");
            let (x, y) = crs.from_wgs84(-122.3, 47.6).expect("forward");
            let (lon, lat) = crs.to_wgs84(x, y).expect("inverse");
            assert!(
                (lon + 122.3).abs() < 1e-9 && (lat - 47.6).abs() < 1e-9,
                "{code}"
            );
        }
    }
}

/// The URI of OGC CRS84 (WGS84 longitude/latitude): the storage CRS, and what
/// answers use when no `crs=` is asked for.
pub const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// A coordinate system the API answers in and reads boxes in (OGC API –
/// Features Part 2), named by its OGC URI. Axis order is the system's own:
/// EPSG:4326 and other geographic systems are latitude first; projected
/// systems are easting, northing; CRS84 is longitude first.
#[derive(Debug, Clone)]
pub struct ServedCrs {
    uri: String,
    crs: Crs,
    lat_first: bool,
    crs84: bool,
}

impl ServedCrs {
    /// CRS84: WGS84 longitude/latitude.
    pub fn crs84() -> Self {
        Self {
            uri: CRS84_URI.into(),
            crs: Crs::wgs84(),
            lat_first: false,
            crs84: true,
        }
    }

    /// An EPSG system, as `http://www.opengis.net/def/crs/EPSG/0/{code}`.
    pub fn epsg(code: u32) -> Result<Self, CrsError> {
        let crs = Crs::epsg(code)?;
        Ok(Self {
            uri: format!("http://www.opengis.net/def/crs/EPSG/0/{code}"),
            lat_first: crs.is_geographic(),
            crs,
            crs84: false,
        })
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Whether this is CRS84, the coordinates as stored.
    pub fn is_crs84(&self) -> bool {
        self.crs84
    }

    /// A WGS84 longitude/latitude as this system's two coordinates, in its
    /// axis order.
    pub fn from_lon_lat(&self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        let (x, y) = self.crs.from_wgs84(lon, lat)?;
        Ok(if self.lat_first { (y, x) } else { (x, y) })
    }

    /// This system's two coordinates (in its axis order) as WGS84
    /// longitude/latitude.
    pub fn to_lon_lat(&self, a: f64, b: f64) -> Result<(f64, f64), CrsError> {
        let (x, y) = if self.lat_first { (b, a) } else { (a, b) };
        self.crs.to_wgs84(x, y)
    }

    /// Whether coordinates are angles (written like CRS84's) rather than
    /// distances (written to the millimetre, or the thousandth of a foot).
    pub fn is_geographic(&self) -> bool {
        self.crs.is_geographic()
    }

    /// A box of this system (`[minA, minB, maxA, maxB]` in its axis order) as
    /// the WGS84 box that holds it: its edges are followed (16 points each),
    /// since a projection bends straight lines. `None` when some of it is
    /// outside the projection.
    pub fn box_to_lon_lat(&self, b: [f64; 4]) -> Option<[f64; 4]> {
        if self.crs84 {
            return Some(b);
        }
        let [a0, b0, a1, b1] = b;
        let mut ext = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        const STEPS: usize = 16;
        for i in 0..=STEPS {
            let t = i as f64 / STEPS as f64;
            let a = a0 + (a1 - a0) * t;
            let bb = b0 + (b1 - b0) * t;
            for (pa, pb) in [(a, b0), (a, b1), (a0, bb), (a1, bb)] {
                let (lon, lat) = self.to_lon_lat(pa, pb).ok()?;
                ext = [
                    ext[0].min(lon),
                    ext[1].min(lat),
                    ext[2].max(lon),
                    ext[3].max(lat),
                ];
            }
        }
        Some(ext)
    }
}

/// The coordinate systems the service offers: CRS84, EPSG:4326, EPSG:3857 and
/// those configured (`--crs`). Built once at start; cheap to share.
#[derive(Debug, Clone)]
pub struct Catalog {
    list: std::sync::Arc<[ServedCrs]>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new(&[]).unwrap_or_else(|_| Self {
            list: vec![ServedCrs::crs84()].into(),
        })
    }
}

impl Catalog {
    /// CRS84, EPSG:4326, EPSG:3857 and these EPSG codes (each once).
    pub fn new(extra: &[u32]) -> Result<Self, CrsError> {
        let mut list = vec![ServedCrs::crs84()];
        for code in [4326, 3857].iter().chain(extra) {
            let s = ServedCrs::epsg(*code)?;
            if !list.iter().any(|l| l.uri == s.uri) {
                list.push(s);
            }
        }
        Ok(Self { list: list.into() })
    }

    /// The system a URI names (exactly as [`Catalog::uris`] lists it).
    pub fn get(&self, uri: &str) -> Option<&ServedCrs> {
        self.list.iter().find(|c| c.uri == uri)
    }

    /// CRS84.
    pub fn crs84(&self) -> &ServedCrs {
        &self.list[0]
    }

    /// Every URI offered, CRS84 first.
    pub fn uris(&self) -> Vec<&str> {
        self.list.iter().map(|c| c.uri.as_str()).collect()
    }
}
