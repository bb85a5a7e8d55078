//! The query type: which assets a request asks for, independent of HTTP.

use uuid::Uuid;

use crate::domain::{Bbox, SchoolYear};

/// Which school's area to use, and for which year.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaSelector {
    /// The school's id (UUID) or its external (district) id.
    pub school: String,
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
}

/// A page of ids: (number matched, [(id, distance when `near`)]).
pub type IdPage = (usize, Vec<(Uuid, Option<f64>)>);

/// The counts of a page of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCounts {
    pub matched: usize,
    pub returned: usize,
}
