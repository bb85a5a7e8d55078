//! Query-string parsing that refuses what it does not know.
//!
//! OGC API – Features asks servers to reject unknown parameters with 400, and a
//! repeated parameter is as ambiguous as an unknown one. Every problem in one
//! query string is reported together.

use super::error::{ApiError, FieldError};
use crate::domain::Bbox;

/// Parsed `key=value` pairs of one request, all of them known.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

/// Largest page a client may ask for; larger limits are clamped to it.
pub const MAX_LIMIT: usize = 10_000;
/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 100;

impl Params {
    /// Parses a raw query string, allowing only `allowed` names.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| ApiError::invalid("query", format!("malformed query string: {e}")))?;
        let mut errors = Vec::new();
        for (i, (k, _)) in pairs.iter().enumerate() {
            if !allowed.contains(&k.as_str()) {
                errors.push(FieldError::query(
                    k.clone(),
                    format!(
                        "unknown parameter; this endpoint takes: {}",
                        allowed.join(", ")
                    ),
                ));
            } else if pairs[..i].iter().any(|(p, _)| p == k) {
                errors.push(FieldError::query(k.clone(), "given more than once"));
            }
        }
        if errors.is_empty() {
            Ok(Self { pairs })
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
        let limit = match self.get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
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
                Ok(n) => n,
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
    pub fn year(&self, errors: &mut Vec<FieldError>) -> Option<crate::domain::SchoolYear> {
        let y = self.get("year")?;
        let parsed = crate::domain::SchoolYear::parse(y);
        if parsed.is_none() {
            errors.push(FieldError::query(
                "year",
                format!("{y:?} is not a school year like 2020-2021"),
            ));
        }
        parsed
    }

    /// `bbox`, and `bbox-crs` when given (only CRS84 is served).
    pub fn bbox(&self, errors: &mut Vec<FieldError>) -> Option<Bbox> {
        if let Some(crs) = self.get("bbox-crs")
            && crs != CRS84
        {
            errors.push(FieldError::query(
                "bbox-crs",
                format!("only {CRS84} is supported"),
            ));
        }
        let raw = self.get("bbox")?;
        match Bbox::parse(raw) {
            Ok(b) => Some(b),
            Err(e) => {
                errors.push(FieldError::query("bbox", e.to_string()));
                None
            }
        }
    }
}

/// The CRS of every geometry assetmap serves.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

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
    }
}
