//! Filtering with CQL2 (OGC API – Features Part 3): a `filter` in cql2-text or
//! cql2-json is parsed by the `cql2` crate (the OGC's reference
//! implementation), checked against the collection's queryables, and compiled
//! into a test the index runs on its candidates. The filter's spatial part
//! also bounds the candidates (a CRS84 envelope), so the R-tree finds them
//! rather than a scan.
//!
//! Evaluation follows CQL2's three-valued logic: a comparison with a missing
//! (null) property is unknown, `NOT` of unknown is unknown, and only what is
//! true is kept.

use std::borrow::Cow;

use geo::{Contains, Coord, Geometry, Intersects, LineString, Point, Polygon, Relate, coord};
use serde_json::Value;

use crate::crs::ServedCrs;
use crate::domain::sphere::{EARTH_RADIUS_M, distance_m};

/// Longest filter read (characters): a filter is a query, not a payload.
pub const MAX_FILTER_CHARS: usize = 8 * 1024;
/// Deepest nesting of parentheses (text) or brackets (JSON) read: the parser
/// recurses, and a deep filter must be refused before it is parsed.
pub const MAX_DEPTH: usize = 24;

/// The two encodings of CQL2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Text,
    Json,
}

impl Encoding {
    /// `filter-lang`: `cql2-text` (the default) or `cql2-json`; also
    /// `cql-text`, the draft's name GDAL 3.6 sends (Debian 12's GDAL).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cql2-text" | "cql-text" => Some(Self::Text),
            "cql2-json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// What a queryable holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text: compared with text, `LIKE`, `IN`, `BETWEEN`.
    Text,
    /// A date (`YYYY-MM-DD`): compared with `DATE('…')` or text.
    Date,
    /// The feature's geometry: the spatial functions.
    Geometry,
}

/// A property a filter may name.
#[derive(Debug, Clone, Copy)]
pub struct Queryable {
    pub name: &'static str,
    pub kind: Kind,
    pub title: &'static str,
}

const fn q(name: &'static str, kind: Kind, title: &'static str) -> Queryable {
    Queryable { name, kind, title }
}

/// The assets' queryables.
pub const ASSET_QUERYABLES: &[Queryable] = &[
    q("name", Kind::Text, "Name"),
    q("category", Kind::Text, "Category id (see /categories)"),
    q("description", Kind::Text, "Description"),
    q("address", Kind::Text, "Street address"),
    q("phone", Kind::Text, "Phone"),
    q("email", Kind::Text, "E-mail"),
    q("website", Kind::Text, "Website"),
    q("hours", Kind::Text, "Opening hours as a note"),
    q(
        "opening_hours",
        Kind::Text,
        "Opening hours (OpenStreetMap syntax)",
    ),
    q("accessibility", Kind::Text, "Accessibility"),
    q("ages_served", Kind::Text, "Ages served"),
    q("source", Kind::Text, "Source"),
    q("source_id", Kind::Text, "Id at the source"),
    q("last_verified", Kind::Date, "Date last verified"),
    q("geometry", Kind::Geometry, "Location (a Point)"),
];

/// The schools' queryables.
pub const SCHOOL_QUERYABLES: &[Queryable] = &[
    q("name", Kind::Text, "Name"),
    q("external_id", Kind::Text, "The district's id of the school"),
    q(
        "district",
        Kind::Text,
        "District code (empty: the default district)",
    ),
    q("level", Kind::Text, "Level (elementary, middle, high, …)"),
    q("geometry", Kind::Geometry, "Campus (a Point)"),
];

/// The attendance areas' queryables.
pub const CATCHMENT_QUERYABLES: &[Queryable] = &[
    q("school_id", Kind::Text, "The school's id"),
    q("school_name", Kind::Text, "The school's name"),
    q(
        "school_external_id",
        Kind::Text,
        "The district's id of the school",
    ),
    q("year", Kind::Text, "School year (2024-2025)"),
    q("geometry", Kind::Geometry, "The area (a MultiPolygon)"),
];

/// Why a filter was refused: said to the client as the `filter` parameter's
/// problem (or `filter-lang`, `filter-crs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError(msg.into()))
}

/// A compiled filter.
#[derive(Debug)]
pub struct Filter {
    node: Node,
    /// A CRS84 box every match lies in, when the filter implies one (a
    /// spatial condition every match must meet).
    pub envelope: Option<[f64; 4]>,
}

/// What a filter is evaluated on.
pub trait Subject {
    /// A text property; `None` when missing or null.
    fn text(&self, name: &str) -> Option<Cow<'_, str>>;
    /// The feature's geometry, CRS84.
    fn geometry(&self) -> Cow<'_, Geometry<f64>>;
}

#[derive(Debug)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Const(bool),
    Compare {
        prop: &'static str,
        op: CmpOp,
        value: String,
    },
    Like {
        prop: &'static str,
        pattern: Vec<LikeToken>,
    },
    In {
        prop: &'static str,
        values: Vec<String>,
    },
    Between {
        prop: &'static str,
        low: String,
        high: String,
    },
    IsNull(&'static str),
    Spatial {
        op: SpatialOp,
        /// The literal geometry is the first argument (`S_WITHIN(G, geometry)`).
        literal_first: bool,
        geometry: Geometry<f64>,
    },
    DWithin {
        lon: f64,
        lat: f64,
        metres: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpatialOp {
    Intersects,
    Disjoint,
    Equals,
    Touches,
    Within,
    Contains,
    Overlaps,
    Crosses,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LikeToken {
    Char(char),
    /// `_`
    One,
    /// `%`
    Any,
}

/// Parses and compiles a filter for `queryables`; geometry literals are in
/// `crs` (`filter-crs`), CRS84 when `None`.
pub fn compile(
    text: &str,
    encoding: Encoding,
    crs: Option<&ServedCrs>,
    queryables: &[Queryable],
) -> Result<Filter, FilterError> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return err(format!("at most {MAX_FILTER_CHARS} characters"));
    }
    let depth = nesting(text, encoding);
    if depth > MAX_DEPTH {
        return err(format!(
            "nested {depth} deep; at most {MAX_DEPTH} levels of parentheses"
        ));
    }
    let expr = match encoding {
        Encoding::Text => cql2::parse_text(text)
            .map_err(|e| FilterError(format!("not CQL2 text: {}", first_line(&e.to_string()))))?,
        Encoding::Json => cql2::parse_json(text)
            .map_err(|e| FilterError(format!("not CQL2 JSON: {}", first_line(&e.to_string()))))?,
    };
    let json =
        serde_json::to_value(&expr).map_err(|e| FilterError(format!("cannot be read: {e}")))?;
    let c = Compiler { crs, queryables };
    let node = c.node(&json, 0)?;
    let envelope = envelope_of(&node);
    Ok(Filter { node, envelope })
}

/// A parser's message in one line: pest's `--> line:column` and its
/// `= expected …` when present, else the first lines.
fn first_line(s: &str) -> String {
    let at = s
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> "))
        .map(str::trim);
    let expected = s
        .lines()
        .find_map(|l| l.trim().strip_prefix("= "))
        .map(str::trim);
    let text = match (at, expected) {
        (Some(at), Some(e)) => format!("at {at}: {e}"),
        (Some(at), None) => format!("at {at}"),
        _ => s
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    };
    text.chars().take(300).collect()
}

/// The deepest nesting of parentheses (text) or brackets and braces (JSON),
/// outside quoted strings.
fn nesting(text: &str, encoding: Encoding) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for ch in text.chars() {
        if let Some(q) = quote {
            if encoding == Encoding::Json && ch == '\\' && !escaped {
                escaped = true;
                continue;
            }
            if ch == q && !escaped {
                quote = None;
            }
            escaped = false;
            continue;
        }
        match (encoding, ch) {
            (Encoding::Text, '\'') | (Encoding::Text, '"') | (Encoding::Json, '"') => {
                quote = Some(ch)
            }
            (Encoding::Text, '(') | (Encoding::Json, '[') | (Encoding::Json, '{') => {
                depth += 1;
                max = max.max(depth);
            }
            (Encoding::Text, ')') | (Encoding::Json, ']') | (Encoding::Json, '}') => {
                depth = depth.saturating_sub(1)
            }
            _ => {}
        }
    }
    // JSON nests two levels for each of CQL2's (an object, its args).
    if encoding == Encoding::Json {
        max / 2
    } else {
        max
    }
}

struct Compiler<'a> {
    crs: Option<&'a ServedCrs>,
    queryables: &'a [Queryable],
}

/// A literal's value, for comparisons.
enum Literal {
    Text(String),
    Date(String),
    /// A number, a boolean, null, an array, a geometry: nothing a queryable
    /// compares with.
    Other,
}

impl Compiler<'_> {
    fn node(&self, v: &Value, depth: usize) -> Result<Node, FilterError> {
        if depth > 4 * MAX_DEPTH {
            return err("nested too deep");
        }
        if let Some(b) = v.as_bool() {
            return Ok(Node::Const(b));
        }
        let Some(op) = v.get("op").and_then(Value::as_str) else {
            return err(format!(
                "{} is not a condition (a comparison, LIKE, IN, BETWEEN, IS NULL, a spatial function, AND, OR, NOT)",
                short(v)
            ));
        };
        let args: Vec<&Value> = v
            .get("args")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let lower = op.to_ascii_lowercase();
        match lower.as_str() {
            "and" | "or" => {
                let nodes = args
                    .iter()
                    .map(|a| self.node(a, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if lower == "and" {
                    Node::And(nodes)
                } else {
                    Node::Or(nodes)
                })
            }
            "not" => match args.as_slice() {
                [a] => Ok(Node::Not(Box::new(self.node(a, depth + 1)?))),
                _ => err("NOT takes one condition"),
            },
            "=" | "<>" | "<" | ">" | "<=" | ">=" => {
                let cmp = match lower.as_str() {
                    "=" => CmpOp::Eq,
                    "<>" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    ">" => CmpOp::Gt,
                    "<=" => CmpOp::Le,
                    _ => CmpOp::Ge,
                };
                let [a, b] = two(&args, op)?;
                // A property on either side; the literal on the other.
                let (prop, lit, cmp) = match (self.property(a), self.property(b)) {
                    (Some(p), None) => (p?, b, cmp),
                    (None, Some(p)) => (p?, a, flip(cmp)),
                    (Some(_), Some(_)) => {
                        return err(format!(
                            "{op} compares a property with a value, not two properties"
                        ));
                    }
                    (None, None) => return err(format!("{op} needs a property to compare")),
                };
                let value = self.value_for(prop, lit, op)?;
                Ok(Node::Compare {
                    prop: prop.name,
                    op: cmp,
                    value,
                })
            }
            "like" => {
                let [a, b] = two(&args, op)?;
                let prop = self.text_property(a, "LIKE")?;
                let Literal::Text(p) = literal(b) else {
                    return err("LIKE takes a text pattern ('Seattle%')");
                };
                Ok(Node::Like {
                    prop: prop.name,
                    pattern: like_pattern(&p),
                })
            }
            "in" => {
                let [a, b] = two(&args, op)?;
                let prop = self.text_property(a, "IN")?;
                let Some(list) = b.as_array() else {
                    return err("IN takes a list of values ('a', 'b')");
                };
                let values = list
                    .iter()
                    .map(|x| self.value_for(prop, x, "IN"))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Node::In {
                    prop: prop.name,
                    values,
                })
            }
            "between" => {
                let [a, lo, hi] = match args.as_slice() {
                    [a, lo, hi] => [*a, *lo, *hi],
                    _ => return err("BETWEEN takes a property and two values"),
                };
                let prop = self.text_property(a, "BETWEEN")?;
                Ok(Node::Between {
                    prop: prop.name,
                    low: self.value_for(prop, lo, "BETWEEN")?,
                    high: self.value_for(prop, hi, "BETWEEN")?,
                })
            }
            "isnull" => match args.as_slice() {
                [a] => {
                    let p = self
                        .property(a)
                        .unwrap_or_else(|| err("IS NULL takes a property"))?;
                    Ok(Node::IsNull(p.name))
                }
                _ => err("IS NULL takes a property"),
            },
            "s_intersects" | "s_disjoint" | "s_equals" | "s_touches" | "s_within"
            | "s_contains" | "s_overlaps" | "s_crosses" => {
                let sop = match lower.as_str() {
                    "s_intersects" => SpatialOp::Intersects,
                    "s_disjoint" => SpatialOp::Disjoint,
                    "s_equals" => SpatialOp::Equals,
                    "s_touches" => SpatialOp::Touches,
                    "s_within" => SpatialOp::Within,
                    "s_contains" => SpatialOp::Contains,
                    "s_overlaps" => SpatialOp::Overlaps,
                    _ => SpatialOp::Crosses,
                };
                let [a, b] = two(&args, op)?;
                let (geometry, literal_first) = match (self.is_geometry(a)?, self.is_geometry(b)?) {
                    (true, false) => (self.geometry(b, op)?, false),
                    (false, true) => (self.geometry(a, op)?, true),
                    _ => {
                        return err(format!(
                            "{} takes the geometry property and a geometry (POINT, POLYGON, BBOX, …)",
                            op.to_ascii_uppercase()
                        ));
                    }
                };
                Ok(Node::Spatial {
                    op: sop,
                    literal_first,
                    geometry,
                })
            }
            "s_dwithin" => {
                let (a, b, d) = match args.as_slice() {
                    [a, b, d] | [a, b, d, _] => (*a, *b, *d),
                    _ => {
                        return err(
                            "S_DWITHIN takes the geometry property, a POINT and a distance in metres",
                        );
                    }
                };
                if let [_, _, _, unit] = args.as_slice() {
                    let u = unit
                        .get("property")
                        .or(Some(*unit))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if !matches!(u.to_ascii_lowercase().as_str(), "meters" | "metres" | "m") {
                        return err("S_DWITHIN's distance is in metres (meters)");
                    }
                }
                let point = match (self.is_geometry(a)?, self.is_geometry(b)?) {
                    (true, false) => self.geometry(b, op)?,
                    (false, true) => self.geometry(a, op)?,
                    _ => return err("S_DWITHIN takes the geometry property and a POINT"),
                };
                let Geometry::Point(p) = point else {
                    return err("S_DWITHIN measures from a POINT");
                };
                let metres = match d.as_f64() {
                    Some(m) if m.is_finite() && m >= 0.0 => m,
                    _ => return err("S_DWITHIN's distance must be a number of metres, 0 or more"),
                };
                Ok(Node::DWithin {
                    lon: p.x(),
                    lat: p.y(),
                    metres,
                })
            }
            other => err(format!(
                "{other:?} is not offered; use comparisons, LIKE, IN, BETWEEN, IS NULL, AND, OR, NOT, S_INTERSECTS, S_WITHIN, S_DWITHIN and the other spatial functions"
            )),
        }
    }

    /// The queryable `v` names, if it is a property (an error if unknown).
    fn property(&self, v: &Value) -> Option<Result<&Queryable, FilterError>> {
        let name = v.get("property")?.as_str()?;
        Some(
            self.queryables
                .iter()
                .find(|q| q.name == name)
                .ok_or_else(|| {
                    FilterError(format!(
                        "unknown property {name:?}; the queryables are {}",
                        self.queryables
                            .iter()
                            .map(|q| q.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }),
        )
    }

    fn text_property(&self, v: &Value, what: &str) -> Result<&Queryable, FilterError> {
        let p = self
            .property(v)
            .unwrap_or_else(|| err(format!("{what} takes a property first")))?;
        if p.kind == Kind::Geometry {
            return err(format!(
                "{} is a geometry: use the spatial functions, not {what}",
                p.name
            ));
        }
        Ok(p)
    }

    fn is_geometry(&self, v: &Value) -> Result<bool, FilterError> {
        match self.property(v) {
            Some(p) => {
                let p = p?;
                if p.kind != Kind::Geometry {
                    return err(format!(
                        "{} is not a geometry; the spatial functions take geometry",
                        p.name
                    ));
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// A literal compared with `prop`, as text; the type must fit.
    fn value_for(&self, prop: &Queryable, v: &Value, op: &str) -> Result<String, FilterError> {
        if self.property(v).is_some() {
            return err(format!(
                "{op} compares {} with a value, not a property",
                prop.name
            ));
        }
        match (prop.kind, literal(v)) {
            (Kind::Text, Literal::Text(s)) => Ok(s),
            (Kind::Date, Literal::Date(s)) | (Kind::Date, Literal::Text(s)) => {
                if chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").is_err() {
                    return err(format!("{s:?} is not a date (DATE('2025-09-01'))"));
                }
                Ok(s)
            }
            (Kind::Geometry, _) => err(format!(
                "{} is a geometry: use the spatial functions, not {op}",
                prop.name
            )),
            (Kind::Text, _) => err(format!(
                "{} is text: compare it with text in single quotes ('…')",
                prop.name
            )),
            (Kind::Date, _) => err(format!(
                "{} is a date: compare it with DATE('2025-09-01')",
                prop.name
            )),
        }
    }

    /// A geometry literal (GeoJSON from cql2, or a BBOX) in CRS84.
    fn geometry(&self, v: &Value, op: &str) -> Result<Geometry<f64>, FilterError> {
        if let Some(b) = v.get("bbox").and_then(Value::as_array) {
            let n: Vec<f64> = b.iter().filter_map(Value::as_f64).collect();
            let [a0, b0, a1, b1] = match n.as_slice() {
                [a0, b0, a1, b1] | [a0, b0, _, a1, b1, _] if n.len() == b.len() => {
                    [*a0, *b0, *a1, *b1]
                }
                _ => return err("BBOX takes 4 (or 6) numbers"),
            };
            let [x0, y0, x1, y1] = match self.crs {
                None => [a0, b0, a1, b1],
                Some(c) if c.is_geographic() => {
                    let (x0, y0) = self.to_lon_lat(a0, b0)?;
                    let (x1, y1) = self.to_lon_lat(a1, b1)?;
                    [x0, y0, x1, y1]
                }
                Some(c) => c
                    .box_to_lon_lat([a0, b0, a1, b1])
                    .ok_or_else(|| FilterError("the BBOX is outside filter-crs".into()))?,
            };
            let (x0, y0) = on_globe(x0, y0)?;
            let (x1, y1) = on_globe(x1, y1)?;
            // As `bbox` reads it: a minimum latitude above the maximum holds
            // nothing; a minimum longitude above the maximum crosses the
            // antimeridian.
            let rect = |x0: f64, x1: f64| {
                geo::Rect::new(coord! {x: x0, y: y0}, coord! {x: x1, y: y1}).to_polygon()
            };
            if y0 > y1 {
                return Ok(Geometry::MultiPolygon(geo::MultiPolygon::new(Vec::new())));
            }
            if x0 > x1 {
                return Ok(Geometry::MultiPolygon(geo::MultiPolygon::new(vec![
                    rect(x0, 180.0),
                    rect(-180.0, x1),
                ])));
            }
            return Ok(Geometry::Rect(geo::Rect::new(
                coord! {x: x0, y: y0},
                coord! {x: x1, y: y1},
            )));
        }
        let kind = v.get("type").and_then(Value::as_str);
        let coords = v.get("coordinates");
        let g = match (kind, coords) {
            (Some("Point"), Some(c)) => Geometry::Point(Point::from(self.position(c)?)),
            (Some("MultiPoint"), Some(c)) => Geometry::MultiPoint(geo::MultiPoint::new(
                array(c)?
                    .iter()
                    .map(|p| self.position(p).map(Point::from))
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            (Some("LineString"), Some(c)) => Geometry::LineString(self.line(c)?),
            (Some("MultiLineString"), Some(c)) => {
                Geometry::MultiLineString(geo::MultiLineString::new(
                    array(c)?
                        .iter()
                        .map(|l| self.line(l))
                        .collect::<Result<Vec<_>, _>>()?,
                ))
            }
            (Some("Polygon"), Some(c)) => Geometry::Polygon(self.polygon(c)?),
            (Some("MultiPolygon"), Some(c)) => Geometry::MultiPolygon(geo::MultiPolygon::new(
                array(c)?
                    .iter()
                    .map(|p| self.polygon(p))
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            _ => {
                return err(format!(
                    "{} takes a geometry literal (POINT, LINESTRING, POLYGON, MULTI…, BBOX)",
                    op.to_ascii_uppercase()
                ));
            }
        };
        Ok(g)
    }

    fn to_lon_lat(&self, a: f64, b: f64) -> Result<(f64, f64), FilterError> {
        match self.crs {
            None => Ok((a, b)),
            Some(c) => c
                .to_lon_lat(a, b)
                .map_err(|_| FilterError(format!("({a}, {b}) is outside filter-crs"))),
        }
    }

    fn position(&self, v: &Value) -> Result<Coord<f64>, FilterError> {
        let n: Vec<f64> = array(v)?.iter().filter_map(Value::as_f64).collect();
        match n.as_slice() {
            [a, b] | [a, b, _] if n.len() == array(v)?.len() => {
                let (x, y) = self.to_lon_lat(*a, *b)?;
                let (x, y) = on_globe(x, y)?;
                Ok(coord! {x: x, y: y})
            }
            _ => err("a position is two numbers (or three)"),
        }
    }

    fn line(&self, v: &Value) -> Result<LineString<f64>, FilterError> {
        let pts = array(v)?
            .iter()
            .map(|p| self.position(p))
            .collect::<Result<Vec<_>, _>>()?;
        if pts.len() < 2 {
            return err("a LINESTRING needs at least 2 positions");
        }
        Ok(LineString::from(pts))
    }

    fn polygon(&self, v: &Value) -> Result<Polygon<f64>, FilterError> {
        let mut rings = Vec::new();
        for r in array(v)? {
            let pts = array(r)?
                .iter()
                .map(|p| self.position(p))
                .collect::<Result<Vec<_>, _>>()?;
            if pts.len() < 4 {
                return err(format!(
                    "a POLYGON's ring needs at least 4 positions (the last equal to the first); this one has {}",
                    pts.len()
                ));
            }
            if pts.first() != pts.last() {
                return err(
                    "a POLYGON's ring must be closed: its last position equal to its first",
                );
            }
            rings.push(LineString::from(pts));
        }
        let mut rings = rings.into_iter();
        let Some(exterior) = rings.next() else {
            return err("a POLYGON needs a ring");
        };
        Ok(Polygon::new(exterior, rings.collect()))
    }
}

fn array(v: &Value) -> Result<&Vec<Value>, FilterError> {
    v.as_array()
        .ok_or_else(|| FilterError("a geometry's coordinates are arrays".into()))
}

/// A position on the globe, as `bbox` takes one: finite, a longitude beyond
/// ±180 taken as ±180 and a latitude beyond ±90 as the pole.
fn on_globe(x: f64, y: f64) -> Result<(f64, f64), FilterError> {
    if !(x.is_finite() && y.is_finite()) {
        return err(format!("({x}, {y}) is not a position"));
    }
    Ok((x.clamp(-180.0, 180.0), y.clamp(-90.0, 90.0)))
}

fn two<'v>(args: &[&'v Value], op: &str) -> Result<[&'v Value; 2], FilterError> {
    match args {
        [a, b] => Ok([a, b]),
        _ => err(format!("{op} takes two arguments")),
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn literal(v: &Value) -> Literal {
    match v {
        Value::String(s) => Literal::Text(s.clone()),
        Value::Object(o) => match o.get("date").and_then(Value::as_str) {
            Some(d) => Literal::Date(d.to_owned()),
            None => Literal::Other,
        },
        _ => Literal::Other,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

/// A LIKE pattern: `%` any run, `_` one character, `\` escapes the next.
fn like_pattern(p: &str) -> Vec<LikeToken> {
    let mut out = Vec::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '%' => LikeToken::Any,
            '_' => LikeToken::One,
            '\\' => LikeToken::Char(chars.next().unwrap_or('\\')),
            c => LikeToken::Char(c),
        });
    }
    out
}

/// Whether `text` matches a LIKE pattern (iterative, with one backtrack point
/// per `%`, so no pattern is slow).
fn like(text: &str, pattern: &[LikeToken]) -> bool {
    let t: Vec<char> = text.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < t.len() {
        match pattern.get(j) {
            Some(LikeToken::Any) => {
                star = Some((j, i));
                j += 1;
            }
            Some(LikeToken::One) => {
                i += 1;
                j += 1;
            }
            Some(LikeToken::Char(c)) if *c == t[i] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((sj, si)) => {
                    j = sj + 1;
                    i = si + 1;
                    star = Some((sj, si + 1));
                }
                None => return false,
            },
        }
    }
    pattern[j..].iter().all(|p| *p == LikeToken::Any)
}

/// The CRS84 box a node's matches lie in, when every match must meet a
/// spatial condition it implies.
fn envelope_of(node: &Node) -> Option<[f64; 4]> {
    use geo::BoundingRect;
    match node {
        Node::Spatial { op, geometry, .. } if *op != SpatialOp::Disjoint => geometry
            .bounding_rect()
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
        Node::DWithin { lon, lat, metres } => {
            let dlat = (metres / EARTH_RADIUS_M).to_degrees();
            let (y0, y1) = ((lat - dlat).max(-90.0), (lat + dlat).min(90.0));
            let widest = y0.abs().max(y1.abs());
            if widest >= 89.999 || dlat >= 90.0 {
                return Some([-180.0, y0, 180.0, y1]);
            }
            let dlon = (dlat / widest.to_radians().cos()).min(180.0);
            let (x0, x1) = (lon - dlon, lon + dlon);
            if x0 < -180.0 || x1 > 180.0 {
                // Across the antimeridian: the latitudes alone bound it.
                Some([-180.0, y0, 180.0, y1])
            } else {
                Some([x0, y0, x1, y1])
            }
        }
        Node::And(nodes) => nodes.iter().filter_map(envelope_of).reduce(|a, b| {
            [
                a[0].max(b[0]),
                a[1].max(b[1]),
                a[2].min(b[2]),
                a[3].min(b[3]),
            ]
        }),
        Node::Or(nodes) => {
            let all: Option<Vec<[f64; 4]>> = nodes.iter().map(envelope_of).collect();
            all?.into_iter().reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            })
        }
        Node::Const(false) => Some([0.0, 1.0, 0.0, -1.0]),
        _ => None,
    }
}

impl Filter {
    /// Whether `s` matches (true, not false or unknown).
    pub fn matches(&self, s: &dyn Subject) -> bool {
        eval(&self.node, s) == Some(true)
    }

    /// Whether the filter reads properties besides the name and category
    /// (which the index holds apart; the others come from the feature).
    pub fn reads(&self, name: &str) -> bool {
        reads(&self.node, name)
    }
}

fn reads(node: &Node, name: &str) -> bool {
    match node {
        Node::And(n) | Node::Or(n) => n.iter().any(|n| reads(n, name)),
        Node::Not(n) => reads(n, name),
        Node::Compare { prop, .. }
        | Node::Like { prop, .. }
        | Node::In { prop, .. }
        | Node::Between { prop, .. }
        | Node::IsNull(prop) => *prop == name,
        _ => false,
    }
}

fn eval(node: &Node, s: &dyn Subject) -> Option<bool> {
    match node {
        Node::Const(b) => Some(*b),
        Node::And(nodes) => {
            let mut unknown = false;
            for n in nodes {
                match eval(n, s) {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            (!unknown).then_some(true)
        }
        Node::Or(nodes) => {
            let mut unknown = false;
            for n in nodes {
                match eval(n, s) {
                    Some(true) => return Some(true),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            (!unknown).then_some(false)
        }
        Node::Not(n) => eval(n, s).map(|b| !b),
        Node::Compare { prop, op, value } => {
            let v = s.text(prop)?;
            let o = v.as_ref().cmp(value.as_str());
            Some(match op {
                CmpOp::Eq => o.is_eq(),
                CmpOp::Ne => o.is_ne(),
                CmpOp::Lt => o.is_lt(),
                CmpOp::Gt => o.is_gt(),
                CmpOp::Le => o.is_le(),
                CmpOp::Ge => o.is_ge(),
            })
        }
        Node::Like { prop, pattern } => Some(like(&s.text(prop)?, pattern)),
        Node::In { prop, values } => {
            let v = s.text(prop)?;
            Some(values.iter().any(|x| x == v.as_ref()))
        }
        Node::Between { prop, low, high } => {
            let v = s.text(prop)?;
            Some(v.as_ref() >= low.as_str() && v.as_ref() <= high.as_str())
        }
        Node::IsNull(prop) => Some(s.text(prop).is_none()),
        Node::Spatial {
            op,
            literal_first,
            geometry,
        } => {
            let feature = s.geometry();
            let f = feature.as_ref();
            Some(match (op, literal_first) {
                (SpatialOp::Intersects, _) => f.intersects(geometry),
                (SpatialOp::Disjoint, _) => !f.intersects(geometry),
                // Fast paths for a point feature inside a literal.
                (SpatialOp::Within, false) if matches!(f, Geometry::Point(_)) => {
                    let Geometry::Point(p) = f else { return None };
                    geometry.contains(p)
                }
                (SpatialOp::Contains, true) if matches!(f, Geometry::Point(_)) => {
                    let Geometry::Point(p) = f else { return None };
                    geometry.contains(p)
                }
                (op, literal_first) => {
                    let m = if *literal_first {
                        geometry.relate(f)
                    } else {
                        f.relate(geometry)
                    };
                    match op {
                        SpatialOp::Equals => m.is_equal_topo(),
                        SpatialOp::Touches => m.is_touches(),
                        SpatialOp::Within => m.is_within(),
                        SpatialOp::Contains => m.is_contains(),
                        SpatialOp::Overlaps => m.is_overlaps(),
                        SpatialOp::Crosses => m.is_crosses(),
                        SpatialOp::Intersects => m.is_intersects(),
                        SpatialOp::Disjoint => m.is_disjoint(),
                    }
                }
            })
        }
        Node::DWithin { lon, lat, metres } => match s.geometry().as_ref() {
            Geometry::Point(p) => Some(distance_m(*lon, *lat, p.x(), p.y()) <= *metres),
            other => {
                use geo::{Closest, HaversineClosestPoint};
                let origin = Point::new(*lon, *lat);
                Some(match other.haversine_closest_point(&origin) {
                    Closest::Intersection(_) => true,
                    Closest::SinglePoint(q) => distance_m(*lon, *lat, q.x(), q.y()) <= *metres,
                    Closest::Indeterminate => false,
                })
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Thing {
        props: serde_json::Map<String, Value>,
        at: Geometry<f64>,
    }

    impl Subject for Thing {
        fn text(&self, name: &str) -> Option<Cow<'_, str>> {
            self.props
                .get(name)
                .and_then(Value::as_str)
                .map(Cow::Borrowed)
        }
        fn geometry(&self) -> Cow<'_, Geometry<f64>> {
            Cow::Borrowed(&self.at)
        }
    }

    fn thing(name: &str, category: &str, lon: f64, lat: f64) -> Thing {
        let mut props = serde_json::Map::new();
        props.insert("name".into(), name.into());
        props.insert("category".into(), category.into());
        Thing {
            props,
            at: Geometry::Point(Point::new(lon, lat)),
        }
    }

    fn text(f: &str) -> Result<Filter, FilterError> {
        compile(f, Encoding::Text, None, ASSET_QUERYABLES)
    }

    #[test]
    fn attribute_conditions() {
        let lib = thing("Rainier Beach Library", "library", -122.27, 47.52);
        let park = thing("Seward Park", "parks_recreation", -122.25, 47.55);
        for (f, l, p) in [
            ("category = 'library'", true, false),
            ("category <> 'library'", false, true),
            ("name LIKE '%Park'", false, true),
            ("name LIKE 'R_inier%'", true, false),
            ("category IN ('library', 'parks_recreation')", true, true),
            ("name BETWEEN 'A' AND 'S'", true, false),
            ("address IS NULL", true, true),
            ("NOT address IS NULL", false, false),
            ("address = 'x'", false, false),
            ("NOT (address = 'x')", false, false),
            ("address = 'x' OR category = 'library'", true, false),
            ("'library' = category", true, false),
            ("name > 'S'", false, true),
        ] {
            let c = text(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!((c.matches(&lib), c.matches(&park)), (l, p), "{f}");
        }
    }

    #[test]
    fn spatial_conditions() {
        let lib = thing("Library", "library", -122.27, 47.52);
        for (f, expect) in [
            (
                "S_INTERSECTS(geometry, BBOX(-122.3, 47.5, -122.2, 47.6))",
                true,
            ),
            (
                "S_INTERSECTS(geometry, BBOX(-122.2, 47.5, -122.1, 47.6))",
                false,
            ),
            (
                "S_WITHIN(geometry, POLYGON((-122.3 47.5, -122.2 47.5, -122.2 47.6, -122.3 47.6, -122.3 47.5)))",
                true,
            ),
            ("S_DWITHIN(geometry, POINT(-122.27 47.53), 1200)", true),
            (
                "S_DWITHIN(geometry, POINT(-122.27 47.53), 1000, meters)",
                false,
            ),
            ("S_DISJOINT(geometry, POINT(0 0))", true),
            ("S_EQUALS(geometry, POINT(-122.27 47.52))", true),
        ] {
            let c = text(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(c.matches(&lib), expect, "{f}");
        }
        let c = text(
            "category = 'library' AND S_INTERSECTS(geometry, BBOX(-122.3, 47.5, -122.2, 47.6))",
        )
        .expect("filter");
        assert_eq!(c.envelope, Some([-122.3, 47.5, -122.2, 47.6]));
        assert!(
            text("S_DISJOINT(geometry, POINT(0 0))")
                .expect("f")
                .envelope
                .is_none()
        );
    }

    #[test]
    fn json_encoding() {
        let c = compile(
            r#"{"op":"and","args":[{"op":"=","args":[{"property":"category"},"library"]},{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[-122.3,47.5,-122.2,47.6]}]}]}"#,
            Encoding::Json,
            None,
            ASSET_QUERYABLES,
        )
        .expect("json");
        assert!(c.matches(&thing("L", "library", -122.27, 47.52)));
        assert!(!c.matches(&thing("L", "park", -122.27, 47.52)));
    }

    #[test]
    fn bad_filters_are_refused_quickly() {
        for f in [
            "colour = 'red'",
            "name = 5",
            "geometry = 'x'",
            "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 0 0)))",
            "S_INTERSECTS(name, POINT(0 0))",
            "S_DWITHIN(geometry, POINT(0 0), -1)",
            "last_verified > DATE('yesterday')",
            "name = ",
            "frobnicate(name)",
            "S_INTERSECTS(geometry, POINT(0 NaN))",
        ] {
            assert!(text(f).is_err(), "{f} should be refused");
        }
        // A parse error says where, and what was expected there.
        let e = text("name =").expect_err("incomplete").0;
        assert!(e.contains("at 1:7: expected"), "{e}");
        let deep = format!("{}name = 'a'{}", "(".repeat(1000), ")".repeat(1000));
        assert!(text(&deep).expect_err("deep").0.contains("nested"));
        let long = format!("name IN ({})", vec!["'x'"; 30_000].join(","));
        assert!(text(&long).expect_err("long").0.contains("characters"));
        let deep_json = format!(
            "{}true{}",
            "{\"op\":\"not\",\"args\":[".repeat(500),
            "]}".repeat(500)
        );
        assert!(compile(&deep_json, Encoding::Json, None, ASSET_QUERYABLES).is_err());
    }

    #[test]
    fn like_is_linear() {
        let p = like_pattern("%a%a%a%a%a%b");
        assert!(!like(&"a".repeat(5000), &p));
        assert!(like("xaxaxaxaxaxb", &p));
        assert!(like("50%", &like_pattern("50\\%")));
        assert!(!like("500", &like_pattern("50\\%")));
    }
}
