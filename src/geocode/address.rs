//! Street addresses as US address files write them, reduced to one form so
//! that two spellings of one address compare equal: case and punctuation
//! aside, USPS street suffixes and directionals abbreviated ("Avenue North" is
//! "AVE N"), ordinal words as numbers ("Eighth" is "8TH"), unit designators
//! ("Suite", "Ste.", "#", "Apt") split off. And placing an address among the
//! points of its street: exactly, between two house numbers, or on the street.

use serde::{Deserialize, Serialize};

/// One point of an address-point file (OpenAddresses layout), its street
/// already normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressPoint {
    pub number: String,
    pub street: String,
    pub unit: String,
    pub city: String,
    pub postcode: String,
    pub lon: f64,
    pub lat: f64,
}

/// How an address was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// The address itself is in the address points (or the geocoder found the house).
    Exact,
    /// Between the two nearest house numbers on the same street, or at the
    /// nearest one close by.
    Interpolated,
    /// Somewhere on the street only.
    Street,
    /// Not found.
    None,
}

impl Quality {
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Exact => "exact",
            Quality::Interpolated => "interpolated",
            Quality::Street => "street",
            Quality::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "exact" => Quality::Exact,
            "interpolated" => Quality::Interpolated,
            "street" => Quality::Street,
            "none" => Quality::None,
            _ => return None,
        })
    }
}

/// An address read from one line of text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub number: Option<String>,
    /// Normalized: `GREENWOOD AVE N`.
    pub street: String,
    pub unit: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
}

/// USPS street suffixes (Publication 28, C1), the common ones.
const SUFFIXES: &[(&str, &str)] = &[
    ("ALLEY", "ALY"),
    ("AV", "AVE"),
    ("AVEN", "AVE"),
    ("AVENUE", "AVE"),
    ("BOULEVARD", "BLVD"),
    ("BOUL", "BLVD"),
    ("CIRCLE", "CIR"),
    ("COURT", "CT"),
    ("CRESCENT", "CRES"),
    ("DRIVE", "DR"),
    ("EXPRESSWAY", "EXPY"),
    ("FREEWAY", "FWY"),
    ("HIGHWAY", "HWY"),
    ("LANE", "LN"),
    ("PARKWAY", "PKWY"),
    ("PLACE", "PL"),
    ("PLAZA", "PLZ"),
    ("POINT", "PT"),
    ("ROAD", "RD"),
    ("SQUARE", "SQ"),
    ("STREET", "ST"),
    ("STR", "ST"),
    ("TERRACE", "TER"),
    ("TRAIL", "TRL"),
];

const DIRECTIONS: &[(&str, &str)] = &[
    ("NORTH", "N"),
    ("SOUTH", "S"),
    ("EAST", "E"),
    ("WEST", "W"),
    ("NORTHEAST", "NE"),
    ("NORTHWEST", "NW"),
    ("SOUTHEAST", "SE"),
    ("SOUTHWEST", "SW"),
];

const ORDINALS: &[&str] = &[
    "FIRST",
    "SECOND",
    "THIRD",
    "FOURTH",
    "FIFTH",
    "SIXTH",
    "SEVENTH",
    "EIGHTH",
    "NINTH",
    "TENTH",
    "ELEVENTH",
    "TWELFTH",
    "THIRTEENTH",
    "FOURTEENTH",
    "FIFTEENTH",
    "SIXTEENTH",
    "SEVENTEENTH",
    "EIGHTEENTH",
    "NINETEENTH",
    "TWENTIETH",
];

/// Words that start a unit: what follows is the unit's number.
const UNITS: &[&str] = &[
    "APT",
    "APARTMENT",
    "UNIT",
    "STE",
    "SUITE",
    "RM",
    "ROOM",
    "FL",
    "FLOOR",
    "BLDG",
    "BUILDING",
    "SPC",
    "SPACE",
    "#",
];

fn ordinal_suffix(n: usize) -> &'static str {
    match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "TH",
        (1, _) => "ST",
        (2, _) => "ND",
        (3, _) => "RD",
        _ => "TH",
    }
}

/// One word in its normal form.
fn word(w: &str) -> String {
    if let Some((_, short)) = SUFFIXES
        .iter()
        .chain(DIRECTIONS)
        .find(|(long, _)| *long == w)
    {
        return (*short).to_owned();
    }
    if let Some(i) = ORDINALS.iter().position(|o| *o == w) {
        return format!("{}{}", i + 1, ordinal_suffix(i + 1));
    }
    w.to_owned()
}

/// Upper case, periods dropped, `#` set apart, everything else not a letter
/// or digit a space; then the words.
fn words(text: &str) -> Vec<String> {
    let mut clean = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '.' | '\'' | '\u{2019}' => {}
            '#' => clean.push_str(" # "),
            c if c.is_alphanumeric() => clean.extend(c.to_uppercase()),
            _ => clean.push(' '),
        }
    }
    clean.split_whitespace().map(str::to_owned).collect()
}

const TENS: &[&str] = &[
    "TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY",
];

/// Words in their normal form, `TWENTY FIRST` read as `21ST`.
fn normal(words: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let unit = words
            .get(i + 1)
            .and_then(|next| ORDINALS[..9].iter().position(|o| o == next));
        if let (Some(t), Some(u)) = (TENS.iter().position(|t| t == w), unit) {
            let n = (t + 2) * 10 + u + 1;
            out.push(format!("{n}{}", ordinal_suffix(n)));
            i += 2;
            continue;
        }
        out.push(word(w));
        i += 1;
    }
    out
}

/// A street name in its normal form: `Greenwood Avenue North` → `GREENWOOD AVE N`.
pub fn street(text: &str) -> String {
    normal(&words(text)).join(" ")
}

/// A unit in its normal form (`#L-05` → `L05`).
pub fn unit(text: &str) -> String {
    words(text)
        .into_iter()
        .filter(|w| !UNITS.contains(&w.as_str()))
        .collect::<Vec<_>>()
        .join("")
}

fn is_postcode(w: &str) -> bool {
    w.len() == 5 && w.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a one-line address: `6020 - 28th Ave NW, Suite 3, Seattle, WA 98107`.
/// `None` when it has no street.
pub fn parse(text: &str) -> Option<Address> {
    let mut parts = text.split([',', ';', '\n']);
    let first = words(parts.next()?);
    let mut a = Address::default();
    let mut rest = first.as_slice();
    if let Some(n) = rest
        .first()
        .filter(|w| w.starts_with(|c: char| c.is_ascii_digit()))
    {
        a.number = Some(n.clone());
        rest = &rest[1..];
    }
    let mut end = rest
        .iter()
        .position(|w| UNITS.contains(&w.as_str()))
        .unwrap_or(rest.len());
    let mut u: String = rest.get(end + 1..).unwrap_or_default().concat();
    // "4th Floor": the floor's number comes first.
    if u.is_empty()
        && end > 0
        && matches!(rest.get(end).map(String::as_str), Some("FL" | "FLOOR"))
        && rest[end - 1].starts_with(|c: char| c.is_ascii_digit())
    {
        end -= 1;
        u = rest[end].clone();
    }
    if !u.is_empty() {
        a.unit = Some(u);
    }
    a.street = normal(&rest[..end]).join(" ");
    for part in parts {
        let w = words(part);
        if w.is_empty() {
            continue;
        }
        if UNITS.contains(&w[0].as_str()) {
            let u: String = w[1..].concat();
            if !u.is_empty() {
                a.unit = Some(u);
            }
        } else if let Some(p) = w.iter().find(|w| is_postcode(w)) {
            a.postcode = Some(p.clone());
        } else if a.city.is_none() {
            a.city = Some(w.join(" "));
        }
    }
    (!a.street.is_empty()).then_some(a)
}

/// The numeric part of a house number (`1701A` → 1701).
fn value(number: &str) -> Option<i64> {
    let digits: String = number.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// How far (in house numbers) the nearest number may be when the address is
/// not between two known ones.
const NEAR_NUMBERS: i64 = 200;

/// Places an address among the points of its street (already read for
/// `a.street`): the address itself, else between the nearest numbers below and
/// above (on the same side of the street when both sides are known), else the
/// nearest number close by, else the street's middle point.
pub fn locate(a: &Address, street: &[AddressPoint]) -> Option<(f64, f64, Quality)> {
    // In the address's city or postcode when the street runs through several.
    let narrowed: Vec<&AddressPoint> = street
        .iter()
        .filter(|p| {
            a.postcode
                .as_ref()
                .is_none_or(|c| p.postcode.is_empty() || *c == p.postcode)
                && a.city
                    .as_ref()
                    .is_none_or(|c| p.city.is_empty() || *c == p.city.to_uppercase())
        })
        .collect();
    let points: Vec<&AddressPoint> = if narrowed.is_empty() {
        street.iter().collect()
    } else {
        narrowed
    };
    if points.is_empty() {
        return None;
    }
    let mut numbered: Vec<(i64, &AddressPoint)> = points
        .iter()
        .filter_map(|p| Some((value(&p.number)?, *p)))
        .collect();
    numbered.sort_by_key(|(n, _)| *n);
    if let Some(number) = &a.number {
        let same: Vec<&&AddressPoint> = points.iter().filter(|p| p.number == *number).collect();
        if !same.is_empty() {
            let unit = a.unit.as_deref().unwrap_or("");
            let p = same
                .iter()
                .find(|p| p.unit == unit)
                .or_else(|| same.iter().find(|p| p.unit.is_empty()))
                .unwrap_or(&same[0]);
            return Some((p.lon, p.lat, Quality::Exact));
        }
        if let Some(n) = value(number) {
            let side = |m: i64| m.rem_euclid(2) == n.rem_euclid(2);
            let pick = |same_side: bool| {
                let below = numbered
                    .iter()
                    .rev()
                    .find(|(m, _)| *m < n && (!same_side || side(*m)));
                let above = numbered
                    .iter()
                    .find(|(m, _)| *m > n && (!same_side || side(*m)));
                below.zip(above)
            };
            if let Some((&(lo, p), &(hi, q))) = pick(true).or_else(|| pick(false)) {
                let t = (n - lo) as f64 / (hi - lo) as f64;
                return Some((
                    p.lon + t * (q.lon - p.lon),
                    p.lat + t * (q.lat - p.lat),
                    Quality::Interpolated,
                ));
            }
            if let Some((m, p)) = numbered.iter().min_by_key(|(m, _)| (m - n).abs())
                && (m - n).abs() <= NEAR_NUMBERS
            {
                return Some((p.lon, p.lat, Quality::Interpolated));
            }
        }
    }
    let middle = numbered
        .get(numbered.len() / 2)
        .map(|(_, p)| *p)
        .unwrap_or(points[0]);
    Some((middle.lon, middle.lat, Quality::Street))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_address_read_alike() {
        let a = parse("12755 Greenwood Avenue North, Seattle, WA 98133").expect("address");
        assert_eq!(a.number.as_deref(), Some("12755"));
        assert_eq!(a.street, "GREENWOOD AVE N");
        assert_eq!(a.city.as_deref(), Some("SEATTLE"));
        assert_eq!(a.postcode.as_deref(), Some("98133"));
        assert_eq!(
            parse("12755 GREENWOOD AVE. N.").expect("a").street,
            "GREENWOOD AVE N"
        );
        assert_eq!(parse("713 Eighth Ave. S.").expect("a").street, "8TH AVE S");
        assert_eq!(parse("1001 Fourth Ave.").expect("a").street, "4TH AVE");
        assert_eq!(
            parse("6020 - 28th Ave NW").expect("a"),
            Address {
                number: Some("6020".into()),
                street: "28TH AVE NW".into(),
                ..Default::default()
            }
        );
        let a = parse("925 4th Ave, Ste 2900").expect("a");
        assert_eq!(
            (a.street.as_str(), a.unit.as_deref()),
            ("4TH AVE", Some("2900"))
        );
        let a = parse("2801 Alaskan Way #300").expect("a");
        assert_eq!(
            (a.street.as_str(), a.unit.as_deref()),
            ("ALASKAN WAY", Some("300"))
        );
        let a = parse("1111 3rd Avenue, Ste. 3000").expect("a");
        assert_eq!(
            (a.street.as_str(), a.unit.as_deref()),
            ("3RD AVE", Some("3000"))
        );
        assert_eq!(parse("Health Science Building").expect("a").number, None);
        let a = parse("911 Pine Street 4th Floor").expect("a");
        assert_eq!(
            (a.street.as_str(), a.unit.as_deref()),
            ("PINE ST", Some("4TH"))
        );
        assert_eq!(parse(" , ").map(|a| a.street), None);
        assert_eq!(street("Twenty-First Ave"), "21ST AVE");
        assert_eq!(unit("#L-05"), "L05");
    }

    fn pt(number: &str, lon: f64, lat: f64) -> AddressPoint {
        AddressPoint {
            number: number.into(),
            street: "SAND POINT WAY NE".into(),
            unit: String::new(),
            city: String::new(),
            postcode: String::new(),
            lon,
            lat,
        }
    }

    #[test]
    fn addresses_are_placed_exactly_between_numbers_or_on_the_street() {
        let street = [
            pt("6125", -122.26691, 47.67393),
            pt("7700", -122.26387, 47.68512),
        ];
        let at = |text: &str| locate(&parse(text).expect("address"), &street);
        assert_eq!(
            at("6125 Sand Point Way NE"),
            Some((-122.26691, 47.67393, Quality::Exact))
        );
        let (lon, lat, q) = at("7400 Sand Point Way Northeast").expect("placed");
        assert_eq!(q, Quality::Interpolated);
        let t = (7400.0 - 6125.0) / (7700.0 - 6125.0);
        assert!((lon - (-122.26691 + t * (-122.26387 + 122.26691))).abs() < 1e-12);
        assert!((lat - (47.67393 + t * (47.68512 - 47.67393))).abs() < 1e-12);
        assert_eq!(
            at("7750 Sand Point Way NE").map(|r| r.2),
            Some(Quality::Interpolated)
        );
        assert_eq!(
            at("9999 Sand Point Way NE").map(|r| r.2),
            Some(Quality::Street)
        );
        assert_eq!(at("Sand Point Way NE").map(|r| r.2), Some(Quality::Street));
        assert_eq!(locate(&parse("1 Nowhere St").expect("a"), &[]), None);
    }
}
