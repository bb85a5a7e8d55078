//! Query-string parsing that refuses what it does not know.
//!
//! OGC API – Features asks servers to reject unknown parameters with 400, and a
//! repeated parameter is as ambiguous as an unknown one. Every problem in one
//! query string is reported together.

use super::error::{ApiError, FieldError};
use std::borrow::Cow;

use crate::crs::{Catalog, ServedCrs};
use crate::domain::validate::Violation;
use crate::domain::{Bbox, SchoolRef, SchoolYear};
use crate::filter::{Encoding, Filter, Queryable, Subject};
use crate::index::{
    AssetQuery, AssetTest, Candidate, Filters, Predicate, parse_bbox, parse_school, parse_year,
};

/// Parsed `key=value` pairs of one request, all of them known.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    /// `bbox` read from `bbox-crs` into CRS84 ([`Params::read_bbox_crs`]).
    bbox84: Option<String>,
    /// Whether `bbox-crs` was read (and so is no longer for the index to check).
    bbox_crs_read: bool,
    /// A box in a projected system, to test assets against exactly.
    projected_box: Option<ProjectedBox>,
    /// The CQL2 `filter`, compiled ([`Params::read_filter`]).
    filter: Option<std::sync::Arc<Filter>>,
}

/// An asset as a CQL2 filter sees it: the name and category from the index,
/// other properties read from its prebuilt Feature once, when first asked.
struct AssetSubject<'a> {
    c: &'a Candidate<'a>,
    props: std::cell::OnceCell<Option<serde_json::Map<String, serde_json::Value>>>,
}

impl Subject for AssetSubject<'_> {
    fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        match name {
            "name" => Some(Cow::Borrowed(self.c.name)),
            "category" => Some(Cow::Borrowed(self.c.category)),
            _ => {
                let props = self.props.get_or_init(|| {
                    let f = self.c.feature;
                    let bytes = f.bytes.get(f.props_at as usize - 1..f.bytes.len() - 1)?;
                    serde_json::from_slice(bytes).ok()
                });
                props
                    .as_ref()?
                    .get(name)?
                    .as_str()
                    .map(|s| Cow::Owned(s.to_owned()))
            }
        }
    }

    fn geometry(&self) -> Cow<'_, geo::Geometry<f64>> {
        Cow::Owned(geo::Geometry::Point(geo::Point::new(
            self.c.lon, self.c.lat,
        )))
    }
}

/// A compiled filter as a test of the index's candidates.
struct FilterTest(std::sync::Arc<Filter>);

impl AssetTest for FilterTest {
    fn test(&self, c: &Candidate) -> bool {
        self.0.matches(&AssetSubject {
            c,
            props: std::cell::OnceCell::new(),
        })
    }
}

/// Tests that must all pass.
struct AllOf(Vec<Box<dyn AssetTest>>);

impl AssetTest for AllOf {
    fn test(&self, c: &Candidate) -> bool {
        self.0.iter().all(|t| t.test(c))
    }
}

/// A box in a projected system: the CRS84 box that holds it finds the
/// candidates in the R-tree; this keeps those inside the box itself.
#[derive(Debug)]
struct ProjectedBox {
    crs: ServedCrs,
    corners: [f64; 4],
}

impl AssetTest for ProjectedBox {
    fn test(&self, c: &Candidate) -> bool {
        let [a0, b0, a1, b1] = self.corners;
        self.crs
            .from_lon_lat(c.lon, c.lat)
            .is_ok_and(|(a, b)| a >= a0 && a <= a1 && b >= b0 && b <= b1)
    }
}

/// Largest page a client may ask for; larger limits are clamped to it.
pub const MAX_LIMIT: usize = 10_000;
/// Largest page of the assets of one school's area (`school=`): a whole area
/// in one answer, streamed, however dense (Lowell holds 12,442 of 100,000).
pub const AREA_MAX_LIMIT: usize = 1_000_000;
/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 100;
/// Deepest page a client may ask for: beyond it, narrow the query or take
/// everything from `/export/…`, so that no request walks the whole index.
pub const MAX_OFFSET: usize = 100_000;
/// Most problems one query string reports, so that an answer stays small
/// however long the query.
const MAX_ERRORS: usize = 20;

impl Params {
    /// Parses a raw query string, allowing only `allowed` names.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| ApiError::invalid("query", format!("malformed query string: {e}")))?;
        let mut errors = Vec::new();
        let mut told_allowed = false;
        let mut more = 0usize;
        for (i, (k, _)) in pairs.iter().enumerate() {
            // `lang` (the language of the answer) is taken everywhere.
            let problem = if k == "lang" {
                None
            } else if !allowed.contains(&k.as_str()) {
                // The list of what is allowed is said once, not per parameter.
                let detail = if told_allowed {
                    "unknown parameter".to_owned()
                } else {
                    told_allowed = true;
                    format!(
                        "unknown parameter; this endpoint takes: {}",
                        allowed.join(", ")
                    )
                };
                Some(detail)
            } else if pairs[..i].iter().any(|(p, _)| p == k) {
                Some("given more than once".to_owned())
            } else {
                None
            };
            if let Some(detail) = problem {
                if errors.len() < MAX_ERRORS {
                    let name: String = k.chars().take(64).collect();
                    errors.push(FieldError::query(name, detail));
                } else {
                    more += 1;
                }
            }
        }
        if more > 0 {
            errors.push(FieldError::query(
                "query",
                format!("{more} more problems with parameters are not listed"),
            ));
        }
        if errors.is_empty() {
            // A parameter left empty (`school=`, as a form sends an empty
            // field) means the same as one left out.
            let mut pairs = pairs;
            pairs.retain(|(_, v)| !v.is_empty());
            Ok(Self {
                pairs,
                ..Self::default()
            })
        } else {
            Err(ApiError::Invalid(errors))
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The pairs with `offset` replaced, as a query string (for paging links).
    pub fn with_offset(&self, offset: usize) -> String {
        let mut pairs: Vec<(&str, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != "offset")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        if offset > 0 {
            pairs.push(("offset", offset.to_string()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }

    /// `f`: only JSON flavours are served here.
    pub fn check_format(&self, errors: &mut Vec<FieldError>) {
        if let Some(f) = self.get("f")
            && !matches!(f, "json" | "geojson")
        {
            errors.push(FieldError::query(
                "f",
                format!("format {f:?} is not offered; use json"),
            ));
        }
    }

    /// `limit` (1.., clamped to [`MAX_LIMIT`]) and `offset` (0..).
    pub fn paging(&self, errors: &mut Vec<FieldError>) -> (usize, usize) {
        self.paging_up_to(MAX_LIMIT, errors)
    }

    /// [`Params::paging`] with another largest page.
    pub fn paging_up_to(&self, cap: usize, errors: &mut Vec<FieldError>) -> (usize, usize) {
        let limit = match self.get("limit") {
            None => DEFAULT_LIMIT,
            // A whole number too large for any type is still a whole number
            // at least 1: clamped like any other.
            Some(v)
                if v.len() > 18
                    && v.bytes().all(|b| b.is_ascii_digit())
                    && v.bytes().any(|b| b != b'0') =>
            {
                cap
            }
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(cap).min(cap),
                Ok(_) => {
                    errors.push(FieldError::query("limit", "must be at least 1"));
                    DEFAULT_LIMIT
                }
                Err(_) => {
                    errors.push(FieldError::query(
                        "limit",
                        format!("{v:?} is not a whole number"),
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        let offset = match self.get("offset") {
            None => 0,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n <= MAX_OFFSET => n,
                Ok(_) => {
                    errors.push(FieldError::query(
                        "offset",
                        format!("at most {MAX_OFFSET}; narrow the query, or take every match from /export/assets.geojson"),
                    ));
                    0
                }
                Err(_) => {
                    errors.push(FieldError::query(
                        "offset",
                        format!("{v:?} is not a whole number of at least 0"),
                    ));
                    0
                }
            },
        };
        (limit, offset)
    }

    /// `year`: a school year like `2020-2021`.
    pub fn year(&self, errors: &mut Vec<FieldError>) -> Option<SchoolYear> {
        collect(errors, |v| parse_year(self.get("year"), v))
    }

    /// `crs`: the coordinate system the answer is asked in; `None` for CRS84
    /// (the coordinates as stored, the prebuilt bytes).
    pub fn crs<'c>(
        &self,
        catalog: &'c Catalog,
        errors: &mut Vec<FieldError>,
    ) -> Option<&'c ServedCrs> {
        let uri = self.get("crs")?;
        match catalog.get(uri) {
            Some(c) if c.is_crs84() => None,
            Some(c) => Some(c),
            None => {
                errors.push(FieldError::query(
                    "crs",
                    format!("not offered; use one of {}", catalog.uris().join(", ")),
                ));
                None
            }
        }
    }

    /// `bbox-crs`: a `bbox` in another coordinate system is read here, once,
    /// into the CRS84 box that holds it (a projection bends straight lines, so
    /// its edges are followed). A box wholly outside the system's projection
    /// selects nothing.
    pub fn read_bbox_crs(&mut self, catalog: &Catalog, errors: &mut Vec<FieldError>) {
        let Some(uri) = self.get("bbox-crs") else {
            return;
        };
        let found = catalog.get(uri);
        self.bbox_crs_read = true;
        let Some(crs) = found else {
            errors.push(FieldError::query(
                "bbox-crs",
                format!("not offered; use one of {}", catalog.uris().join(", ")),
            ));
            return;
        };
        let Some(raw) = self.get("bbox").filter(|_| !crs.is_crs84()) else {
            return;
        };
        let nums: Option<Vec<f64>> = raw
            .split(',')
            .map(|n| n.parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect();
        let corners = match nums.as_deref() {
            Some([a0, b0, a1, b1]) | Some([a0, b0, _, a1, b1, _]) => [*a0, *b0, *a1, *b1],
            // Not a box: the CRS84 reading names the problem.
            _ => return,
        };
        let lon_lat = if crs.is_geographic() {
            // Angles: the corners alone, so that a box across the antimeridian stays one.
            match (
                crs.to_lon_lat(corners[0], corners[1]),
                crs.to_lon_lat(corners[2], corners[3]),
            ) {
                (Ok((x0, y0)), Ok((x1, y1))) => Some([x0, y0, x1, y1]),
                _ => None,
            }
        } else {
            self.projected_box = Some(ProjectedBox {
                crs: crs.clone(),
                corners,
            });
            crs.box_to_lon_lat(corners)
        };
        let [x0, y0, x1, y1] = lon_lat.unwrap_or([0.0, 1.0, 0.0, -1.0]);
        self.bbox84 = Some(format!("{x0},{y0},{x1},{y1}"));
    }

    /// `filter` (CQL2), with `filter-lang` (`cql2-text`, the default, or
    /// `cql2-json`) and `filter-crs` (the system of its geometry literals,
    /// CRS84 by default), compiled against `queryables`. Problems name the
    /// parameter at fault.
    pub fn read_filter(
        &mut self,
        catalog: &Catalog,
        queryables: &[Queryable],
        errors: &mut Vec<FieldError>,
    ) {
        if let Some(l) = self.get("filter-lang")
            && Encoding::parse(l).is_none()
        {
            errors.push(FieldError::query(
                "filter-lang",
                "use cql2-text (the default) or cql2-json",
            ));
            return;
        }
        let crs = match self.get("filter-crs") {
            None => None,
            Some(uri) => match catalog.get(uri) {
                Some(c) if c.is_crs84() => None,
                Some(c) => Some(c),
                None => {
                    errors.push(FieldError::query(
                        "filter-crs",
                        format!("not offered; use one of {}", catalog.uris().join(", ")),
                    ));
                    return;
                }
            },
        };
        let Some(text) = self.get("filter") else {
            return;
        };
        // A cql2-json filter is a JSON object, which cql2-text never begins
        // with: the filter says its own encoding, and filter-lang (which
        // clients send) is then only checked.
        let encoding = if text.trim_start().starts_with('{') {
            Encoding::Json
        } else {
            Encoding::Text
        };
        match crate::filter::compile(text, encoding, crs, queryables) {
            Ok(f) => self.filter = Some(std::sync::Arc::new(f)),
            Err(e) => errors.push(FieldError::query("filter", e.0)),
        }
    }

    /// The compiled filter, when one was read.
    pub fn filter(&self) -> Option<&std::sync::Arc<Filter>> {
        self.filter.as_ref()
    }

    /// `bbox` as CRS84 text, and the `bbox-crs` left for the index to check.
    fn bbox_text(&self) -> (Option<&str>, Option<&str>) {
        let bbox = self.bbox84.as_deref().or_else(|| self.get("bbox"));
        let crs = if self.bbox_crs_read {
            None
        } else {
            self.get("bbox-crs")
        };
        (bbox, crs)
    }

    /// `bbox`, and `bbox-crs` when given.
    pub fn bbox(&self, errors: &mut Vec<FieldError>) -> Option<Bbox> {
        let (bbox, crs) = self.bbox_text();
        collect(errors, |v| parse_bbox(bbox, crs, v))
    }

    /// `school`: the API's or the district's id.
    pub fn school(&self, errors: &mut Vec<FieldError>) -> Option<SchoolRef> {
        collect(errors, |v| parse_school(self.get("school"), v))
    }

    /// The asset filters among the parameters, as text.
    pub fn filters(&self) -> Filters<'_> {
        let (bbox, bbox_crs) = self.bbox_text();
        Filters {
            bbox,
            bbox_crs,
            category: self.get("category"),
            school: self.get("school"),
            year: self.get("year"),
            near: self.get("near"),
            radius: self.get("radius"),
            q: self.get("q"),
            open: self.get("open"),
            language: self.get("language"),
        }
    }

    /// The asset query the parameters ask for; problems join `errors`.
    pub fn asset_query(&self, errors: &mut Vec<FieldError>) -> AssetQuery {
        let mut q = AssetQuery::parse(&self.filters()).unwrap_or_else(|violations| {
            errors.extend(violations.into_iter().map(FieldError::in_query));
            AssetQuery::default()
        });
        let mut tests: Vec<Box<dyn AssetTest>> = Vec::new();
        if let Some(b) = &self.projected_box {
            tests.push(Box::new(ProjectedBox {
                crs: b.crs.clone(),
                corners: b.corners,
            }));
        }
        if let Some(f) = &self.filter {
            tests.push(Box::new(FilterTest(f.clone())));
            // The filter's spatial part bounds the candidates: the R-tree
            // finds them (a box of the query's own is kept; the filter still
            // tests each candidate exactly).
            if let (None, Some([x0, y0, x1, y1])) = (q.bbox, f.envelope) {
                q.bbox = Some(
                    if x0 > x1 || y0 > y1 {
                        Bbox::new(0.0, 1.0, 0.0, -1.0)
                    } else {
                        Bbox::new(x0, y0, x1, y1)
                    }
                    .unwrap_or_else(|_| Bbox {
                        minx: 0.0,
                        miny: 1.0,
                        maxx: 0.0,
                        maxy: -1.0,
                    }),
                );
            }
        }
        q.predicate = match tests.len() {
            0 => None,
            1 => tests.pop().map(|t| Predicate(std::sync::Arc::from(t))),
            _ => Some(Predicate(std::sync::Arc::new(AllOf(tests)))),
        };
        q
    }
}

/// Runs a parser that reports violations, adding them to `errors` as query
/// parameter problems.
fn collect<T>(errors: &mut Vec<FieldError>, parse: impl FnOnce(&mut Vec<Violation>) -> T) -> T {
    let mut violations = Vec::new();
    let out = parse(&mut violations);
    errors.extend(violations.into_iter().map(FieldError::in_query));
    out
}

pub use crate::index::CRS84;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_repeated_parameters_are_refused_together() {
        let err = Params::parse(Some("limit=1&colour=red&limit=2"), &["limit"]).expect_err("bad");
        match err {
            ApiError::Invalid(errors) => {
                let names: Vec<_> = errors.iter().map(|e| e.name.as_str()).collect();
                assert_eq!(names, vec!["colour", "limit"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paging_rules() {
        let mut errors = Vec::new();
        let p = Params::parse(Some("limit=20000&offset=5"), &["limit", "offset"]).expect("ok");
        assert_eq!(p.paging(&mut errors), (MAX_LIMIT, 5));
        let p = Params::parse(Some("limit=-1&offset=x"), &["limit", "offset"]).expect("ok");
        p.paging(&mut errors);
        assert_eq!(errors.len(), 2);
        assert_eq!(p.with_offset(7), "limit=-1&offset=7");
        let mut errors = Vec::new();
        let p = Params::parse(Some("offset=4000000000"), &["offset"]).expect("ok");
        p.paging(&mut errors);
        assert_eq!(errors[0].name, "offset");
    }

    #[test]
    fn a_long_bad_query_gets_a_short_answer() {
        // 64 KB of unknown parameters.
        let raw: String = (0..4000).map(|i| format!("unknown{i}=1&")).collect();
        let err = Params::parse(Some(&raw), &["limit", "offset", "bbox"]).expect_err("bad");
        let ApiError::Invalid(errors) = err else {
            panic!("{err:?}")
        };
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        let text: usize = errors.iter().map(|e| e.name.len() + e.detail.len()).sum();
        assert!(text < 4_000, "{text} bytes of errors");
        assert!(errors[0].detail.contains("limit, offset, bbox"));
        assert!(!errors[1].detail.contains("limit, offset, bbox"));
        assert!(errors[MAX_ERRORS].detail.contains("3980 more"));
    }
}
