//! The query type: which assets a request asks for, and how its filters are
//! read from text and checked, the same for the API and the command line.

use uuid::Uuid;

use crate::domain::sphere::EARTH_RADIUS_M;
use crate::domain::validate::Violation;
use crate::domain::{Bbox, Location, SchoolRef, SchoolYear, taxonomy};

/// The CRS of every geometry assetmap serves.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// Which school's area to use, and for which year.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaSelector {
    pub school: SchoolRef,
    /// `None`: the newest year.
    pub year: Option<SchoolYear>,
}

/// A set of categories as a bit mask of taxonomy codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CategorySet(u32);

impl CategorySet {
    pub fn insert(&mut self, code: u8) {
        self.0 |= 1 << code;
    }
    pub fn contains(&self, code: u8) -> bool {
        self.0 & (1 << code) != 0
    }
}

/// A query over assets. All given filters apply together.
#[derive(Debug, Clone, Default)]
pub struct AssetQuery {
    pub bbox: Option<Bbox>,
    pub categories: Option<CategorySet>,
    pub area: Option<AreaSelector>,
    /// Sort by great-circle distance from this lon/lat and report it.
    pub near: Option<(f64, f64)>,
    /// With `near`: only assets within this many metres.
    pub radius_m: Option<f64>,
    /// Text that the name contains (case-insensitive).
    pub q: Option<String>,
    /// When it must be open.
    pub open: Option<OpenFilter>,
    /// Languages spoken, any of them (ISO 639-1 as two bytes).
    pub languages: Option<Vec<[u8; 2]>>,
    /// Offered by this organization (its id).
    pub organization: Option<Uuid>,
    /// Changed at or after this moment (milliseconds since 1970).
    pub modified_after: Option<i64>,
    /// A test each candidate must pass besides the filters above (a CQL2
    /// filter, a box in a projected system); what it can bound is also put
    /// in `bbox`, so the R-tree gives the candidates.
    pub predicate: Option<Predicate>,
}

/// What a [`Predicate`] may look at: the asset as the index holds it.
pub struct Candidate<'a> {
    pub lon: f64,
    pub lat: f64,
    /// The category's id.
    pub category: &'static str,
    pub name: &'a str,
    /// ISO 639-1 codes, two bytes each.
    pub languages: &'a [[u8; 2]],
    /// The prebuilt Feature (its properties, for what is not above).
    pub feature: &'a crate::encode::FeatureBytes,
}

/// A test of candidates, shared by the query's clones.
pub trait AssetTest: Send + Sync {
    fn test(&self, c: &Candidate) -> bool;
}

/// A shared [`AssetTest`].
#[derive(Clone)]
pub struct Predicate(pub std::sync::Arc<dyn AssetTest>);

impl std::fmt::Debug for Predicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Predicate")
    }
}

/// `open=`: when an asset must be open, by its opening hours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OpenFilter {
    /// At this moment of the district's clocks (`now`, or a date-time).
    At(chrono::NaiveDateTime),
    /// After 17:00 on some weekday.
    Evening,
    /// On Saturday or Sunday.
    Weekend,
}

/// A page of ids: (number matched, [(id, distance when `near`)]).
pub type IdPage = (usize, Vec<(Uuid, Option<f64>)>);

/// The counts of a page of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCounts {
    pub matched: usize,
    pub returned: usize,
}

/// The filters of an asset query as text, however they came: a query
/// string's values or the command line's flags. `None`: not given.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filters<'a> {
    pub bbox: Option<&'a str>,
    pub bbox_crs: Option<&'a str>,
    pub category: Option<&'a str>,
    pub school: Option<&'a str>,
    pub year: Option<&'a str>,
    pub near: Option<&'a str>,
    pub radius: Option<&'a str>,
    pub q: Option<&'a str>,
    pub open: Option<&'a str>,
    pub language: Option<&'a str>,
}

fn violation(field: &str, detail: impl Into<String>) -> Violation {
    Violation {
        field: field.to_owned(),
        detail: detail.into(),
    }
}

/// `bbox` (with `bbox-crs` when given; only CRS84 is served).
pub fn parse_bbox(
    raw: Option<&str>,
    crs: Option<&str>,
    errors: &mut Vec<Violation>,
) -> Option<Bbox> {
    if let Some(crs) = crs
        && crs != CRS84
    {
        errors.push(violation("bbox-crs", format!("only {CRS84} is supported")));
    }
    match Bbox::parse(raw?) {
        Ok(b) => Some(b),
        Err(e) => {
            errors.push(violation("bbox", e.to_string()));
            None
        }
    }
}

/// `year`: a school year written `2020-2021` (or `2020-21`). Years that do
/// not follow one another (`2020-2024`) are read as written and name no area.
pub fn parse_year(raw: Option<&str>, errors: &mut Vec<Violation>) -> Option<SchoolYear> {
    let y = raw?;
    let parsed = SchoolYear::parse_query(y);
    if parsed.is_none() {
        errors.push(violation(
            "year",
            format!("{y:?} is not a school year like 2020-2021"),
        ));
    }
    parsed
}

/// `school`: the API's id or the district's id.
pub fn parse_school(raw: Option<&str>, errors: &mut Vec<Violation>) -> Option<SchoolRef> {
    // Only white space names no school, as an empty value does.
    SchoolRef::parse(raw.filter(|s| !s.trim().is_empty())?)
        .map_err(|detail| errors.push(violation("school", detail)))
        .ok()
}

/// `category`: a comma-separated list of taxonomy ids or their aliases,
/// exactly as `/categories` (and `/api`) spell them.
fn parse_categories(list: &str, errors: &mut Vec<Violation>) -> CategorySet {
    let mut set = CategorySet::default();
    for raw in list.split(',') {
        match taxonomy::by_id(raw)
            .or_else(|| {
                taxonomy::CATEGORIES
                    .iter()
                    .find(|c| c.aliases.contains(&raw))
            })
            .and_then(|c| taxonomy::code(c.id))
        {
            Some(code) => set.insert(code),
            None => errors.push(violation(
                "category",
                format!("unknown category {raw:?}; see /categories"),
            )),
        }
    }
    set
}

/// `near`: `lon,lat`; a latitude beyond ±90 is taken as the pole.
fn parse_near(raw: &str, errors: &mut Vec<Violation>) -> Option<(f64, f64)> {
    let nums: Vec<Option<f64>> = raw.split(',').map(|s| s.parse().ok()).collect();
    match nums.as_slice() {
        [Some(lon), Some(lat)] => match Location::new(*lon, lat.clamp(-90.0, 90.0)) {
            Ok(l) => Some((l.lon(), l.lat())),
            Err(e) => {
                errors.push(violation("near", e.to_string()));
                None
            }
        },
        _ => {
            errors.push(violation("near", "must be two numbers: lon,lat"));
            None
        }
    }
}

/// `radius`: metres, from 0 to half the Earth's circumference.
fn parse_radius(raw: &str, errors: &mut Vec<Violation>) -> Option<f64> {
    let max = std::f64::consts::PI * EARTH_RADIUS_M;
    match raw.parse::<f64>() {
        Ok(r) if r.is_finite() && (0.0..=max).contains(&r) => Some(r),
        _ => {
            errors.push(violation(
                "radius",
                format!("must be a number of metres from 0 to {max:.0}"),
            ));
            None
        }
    }
}

/// `open`: `now`, `evening`, `weekend` or an RFC 3339 date-time.
fn parse_open(raw: &str, errors: &mut Vec<Violation>) -> Option<OpenFilter> {
    use crate::domain::hours;
    match raw {
        "now" => Some(OpenFilter::At(hours::local_now())),
        "evening" => Some(OpenFilter::Evening),
        "weekend" => Some(OpenFilter::Weekend),
        t => match chrono::DateTime::parse_from_rfc3339(t) {
            Ok(t) => Some(OpenFilter::At(hours::local(&t))),
            Err(_) => {
                errors.push(violation(
                    "open",
                    "use now, evening, weekend or an RFC 3339 date-time (2026-12-07T18:30:00-08:00)",
                ));
                None
            }
        },
    }
}

/// `language`: ISO 639-1 codes, comma-separated.
fn parse_languages(raw: &str, errors: &mut Vec<Violation>) -> Option<Vec<[u8; 2]>> {
    let mut out = Vec::new();
    for code in raw.split(',') {
        match super::entries::language_code(code) {
            Some(c) if out.len() < 50 => out.push(c),
            _ => {
                errors.push(violation(
                    "language",
                    "must be ISO 639-1 codes (two lower-case letters), comma-separated, at most 50",
                ));
                return None;
            }
        }
    }
    Some(out)
}

impl AssetQuery {
    /// Reads and checks every filter; all problems are reported together, each
    /// naming its filter.
    pub fn parse(f: &Filters) -> Result<Self, Vec<Violation>> {
        let mut errors = Vec::new();
        let mut q = AssetQuery {
            bbox: parse_bbox(f.bbox, f.bbox_crs, &mut errors),
            categories: f.category.map(|c| parse_categories(c, &mut errors)),
            near: f.near.and_then(|n| parse_near(n, &mut errors)),
            open: f.open.and_then(|o| parse_open(o, &mut errors)),
            languages: f.language.and_then(|l| parse_languages(l, &mut errors)),
            ..Default::default()
        };
        // `year` belongs to `school`, `radius` to `near`: each alone is
        // checked and has no effect (as `/api` says).
        let year = parse_year(f.year, &mut errors);
        if let Some(school) = parse_school(f.school, &mut errors) {
            q.area = Some(AreaSelector { school, year });
        }
        if let Some(raw) = f.radius {
            let radius = parse_radius(raw, &mut errors);
            if f.near.is_some() {
                q.radius_m = radius;
            }
        }
        if let Some(t) = f.q {
            if t.chars().count() > 200 {
                errors.push(violation("q", "at most 200 characters"));
            } else if !t.trim().is_empty() {
                q.q = Some(t.trim().to_owned());
            }
        }
        if errors.is_empty() {
            Ok(q)
        } else {
            Err(errors)
        }
    }
}
