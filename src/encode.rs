//! GeoJSON bytes for each feature, written once when data changes.
//!
//! The read path answers by concatenating these bytes, so every feature is
//! serialised exactly once per change rather than once per request. An asset's
//! bytes are laid out so that a per-request property (`distance_m`) can be
//! spliced in right after the opening brace of `properties`.

use geo::MultiPolygon;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::hours::{self, CachedHours, Hours};
use crate::domain::{Asset, Catchment, School, Translations};
use crate::i18n::Lang;

/// One feature's GeoJSON text and where its `properties` object opens.
#[derive(Debug, Clone)]
pub struct FeatureBytes {
    /// `{"type":"Feature",...,"properties":{...}}`
    pub bytes: Box<[u8]>,
    /// Offset just past the `{` that opens `properties`.
    pub props_at: u32,
    /// Offset of the geometry object (it ends where `,"properties":{` begins),
    /// so an answer in another CRS swaps in its own geometry.
    pub geom_at: u32,
    /// Opening hours whose `open_now` is worked out when the feature is
    /// written (the bytes then lack `open_now`; without hours they hold
    /// `"open_now":null`).
    pub hours: Option<Box<CachedHours>>,
}

impl FeatureBytes {
    /// At most how many bytes [`FeatureBytes::write_to`] adds to the prebuilt
    /// ones (`"distance_m":…,` and `"open_now":false,`).
    pub fn spliced_len(&self, with_distance: bool) -> usize {
        (if with_distance { 40 } else { 0 }) + (if self.hours.is_some() { 17 } else { 0 })
    }

    /// [`FeatureBytes::write_at`] with `geometry` (a GeoJSON geometry object,
    /// in another CRS) in place of the prebuilt one.
    pub fn write_with_geometry(
        &self,
        out: &mut Vec<u8>,
        distance_m: Option<f64>,
        now: &mut Now,
        geometry: &[u8],
    ) {
        const PROPERTIES: usize = b",\"properties\":{".len();
        let (g, p) = (self.geom_at as usize, self.props_at as usize);
        out.extend_from_slice(&self.bytes[..g]);
        out.extend_from_slice(geometry);
        out.extend_from_slice(&self.bytes[p - PROPERTIES..p]);
        self.splice(out, distance_m, now);
        out.extend_from_slice(&self.bytes[p..]);
    }

    /// Writes what is worked out per request at the start of `properties`.
    fn splice(&self, out: &mut Vec<u8>, distance_m: Option<f64>, now: &mut Now) {
        if let Some(d) = distance_m {
            out.extend_from_slice(b"\"distance_m\":");
            write_decimetres(out, d);
            out.push(b',');
        }
        if let Some(h) = &self.hours {
            out.extend_from_slice(match h.open_at(now.get()) {
                Some(true) => b"\"open_now\":true,",
                Some(false) => b"\"open_now\":false,",
                None => b"\"open_now\":null,",
            });
        }
    }

    /// Writes the feature into `out`, with `"distance_m":d,` added when given
    /// and `"open_now":…,` when it has opening hours (on the district's clocks now).
    pub fn write_to(&self, out: &mut Vec<u8>, distance_m: Option<f64>) {
        self.write_at(out, distance_m, &mut Now::default());
    }

    /// [`FeatureBytes::write_to`] with the clock read once for many features.
    pub fn write_at(&self, out: &mut Vec<u8>, distance_m: Option<f64>, now: &mut Now) {
        if distance_m.is_none() && self.hours.is_none() {
            out.extend_from_slice(&self.bytes);
            return;
        }
        let at = self.props_at as usize;
        out.extend_from_slice(&self.bytes[..at]);
        self.splice(out, distance_m, now);
        out.extend_from_slice(&self.bytes[at..]);
    }
}

/// The district's clocks, read the first time they are asked and then kept:
/// one reading serves every feature of an answer.
#[derive(Debug, Default, Clone, Copy)]
pub struct Now(Option<chrono::NaiveDateTime>);

impl Now {
    pub fn get(&mut self) -> chrono::NaiveDateTime {
        *self.0.get_or_insert_with(hours::local_now)
    }
}

/// Writes a non-negative distance in metres rounded to 0.1 m, e.g. `1234.6`,
/// without going through a float formatter (it is on the hot path of `near`).
pub fn write_decimetres(out: &mut Vec<u8>, metres: f64) {
    let dm = (metres.max(0.0) * 10.0).round() as u64;
    let mut digits = [0u8; 20];
    let mut n = dm / 10;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.push(b'.');
    out.push(b'0' + (dm % 10) as u8);
}

/// Writes a finite number as JSON (shortest round-trip form).
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    // serde_json writes f64 with ryu and never fails on a Vec.
    let _ = serde_json::to_writer(&mut *out, &v);
}

#[derive(Serialize)]
struct AssetProperties<'a> {
    name: &'a str,
    category: &'a str,
    description: &'a Option<String>,
    address: &'a Option<String>,
    phone: &'a Option<String>,
    email: &'a Option<String>,
    website: &'a Option<String>,
    languages: &'a [String],
    hours: &'a Option<String>,
    opening_hours: &'a Option<String>,
    /// The week's hours in words, by language; null without opening hours.
    hours_text: Option<Map<String, Value>>,
    /// `Some(null)` without opening hours; left out (and spliced in when
    /// written) with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    open_now: Option<Value>,
    /// Open after 17:00 on some weekday / on Saturday or Sunday this week
    /// (what `open=evening` and `open=weekend` select); null without hours.
    open_evenings: Option<bool>,
    open_weekends: Option<bool>,
    accessibility: &'a Option<String>,
    ages_served: &'a Option<String>,
    services: &'a [String],
    source: &'a Option<String>,
    source_id: &'a Option<String>,
    last_verified: Option<String>,
    status: &'static str,
    created_at: String,
    updated_at: String,
    translations: &'a Translations,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

fn point_feature(id: &str, lon: f64, lat: f64, props: &impl Serialize) -> FeatureBytes {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(b"{\"type\":\"Feature\",\"id\":");
    let _ = serde_json::to_writer(&mut out, id);
    out.extend_from_slice(b",\"geometry\":");
    let geom_at = out.len();
    out.extend_from_slice(b"{\"type\":\"Point\",\"coordinates\":[");
    write_f64(&mut out, lon);
    out.push(b',');
    write_f64(&mut out, lat);
    out.extend_from_slice(b"]},\"properties\":");
    let props_at = out.len() + 1;
    let _ = serde_json::to_writer(&mut out, props);
    out.push(b'}');
    FeatureBytes {
        bytes: out.into_boxed_slice(),
        props_at: u32::try_from(props_at).unwrap_or(0),
        geom_at: u32::try_from(geom_at).unwrap_or(0),
        hours: None,
    }
}

/// A week (this week, in the district's time zone) in words, in every
/// language with a catalog.
fn words_of(week: &hours::Week) -> Map<String, Value> {
    Lang::all()
        .into_iter()
        .map(|l| (l.code().to_owned(), Value::from(week.words(&l.weekdays()))))
        .collect()
}

/// An asset's Feature. Every model field is present (null when unknown) so that
/// GIS clients see one schema; the kept extra properties follow.
pub fn asset_feature(asset: &Asset) -> FeatureBytes {
    let a = &asset.fields;
    // Stored values were checked on the way in; one that no longer parses
    // (set from outside) is served without the worked-out fields.
    let parsed = a
        .opening_hours
        .as_deref()
        .and_then(|h| Hours::parse(h).ok());
    let week = parsed
        .as_ref()
        .map(|h| h.week_of(hours::local_now().date()));
    let props = AssetProperties {
        name: &a.name,
        category: &a.category,
        description: &a.description,
        address: &a.address,
        phone: &a.phone,
        email: &a.email,
        website: &a.website,
        languages: &a.languages,
        hours: &a.hours,
        opening_hours: &a.opening_hours,
        hours_text: week.as_ref().map(words_of),
        open_now: parsed.is_none().then_some(Value::Null),
        open_evenings: week.as_ref().map(hours::Week::evening),
        open_weekends: week.as_ref().map(hours::Week::weekend),
        accessibility: &a.accessibility,
        ages_served: &a.ages_served,
        services: &a.services,
        source: &a.source,
        source_id: &a.source_id,
        last_verified: a.last_verified.map(|d| d.to_string()),
        status: asset.status.as_str(),
        created_at: asset
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        updated_at: asset
            .updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        translations: &a.translations,
        extra: &a.extra,
    };
    let at = a.location;
    let mut f = point_feature(&asset.id.to_string(), at.lon(), at.lat(), &props);
    f.hours = parsed
        .zip(week.as_ref())
        .map(|(h, w)| Box::new(CachedHours::new(h, w)));
    f
}

#[derive(Serialize)]
struct SchoolProperties<'a> {
    name: &'a str,
    external_id: &'a str,
    /// Only when the service holds several districts.
    #[serde(skip_serializing_if = "str::is_empty")]
    district: &'a str,
    level: &'a Option<String>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

/// A school's Feature.
pub fn school_feature(s: &School) -> FeatureBytes {
    let props = SchoolProperties {
        name: &s.name,
        external_id: &s.external_id,
        district: &s.district,
        level: &s.level,
        extra: &s.extra,
    };
    point_feature(
        &s.id.to_string(),
        s.location.lon(),
        s.location.lat(),
        &props,
    )
}

/// A catchment's Feature, with the school's name for labels.
pub fn catchment_feature(c: &Catchment, school: Option<&School>) -> FeatureBytes {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"type\":\"Feature\",\"id\":");
    let _ = serde_json::to_writer(&mut out, &c.id.to_string());
    out.extend_from_slice(b",\"geometry\":");
    let geom_at = out.len();
    write_multipolygon(&mut out, &c.geometry);
    out.extend_from_slice(b",\"properties\":");
    let props_at = out.len() + 1;
    let props = serde_json::json!({
        "school_id": c.school_id.to_string(),
        "school_name": school.map(|s| s.name.as_str()),
        "school_external_id": school.map(|s| s.external_id.as_str()),
        "year": c.year.as_str(),
    });
    let _ = serde_json::to_writer(&mut out, &props);
    out.push(b'}');
    FeatureBytes {
        bytes: out.into_boxed_slice(),
        props_at: u32::try_from(props_at).unwrap_or(0),
        geom_at: u32::try_from(geom_at).unwrap_or(0),
        hours: None,
    }
}

/// Writes a MultiPolygon as a GeoJSON geometry object. Rings are written as
/// stored; the importer orients them (exterior counter-clockwise) per RFC 7946.
pub fn write_multipolygon(out: &mut Vec<u8>, mp: &MultiPolygon<f64>) {
    let written = write_multipolygon_with(out, mp, |out, c| {
        write_f64(out, c.x);
        out.push(b',');
        write_f64(out, c.y);
        true
    });
    debug_assert!(written);
}

/// [`write_multipolygon`] with each position written by `position` (which
/// may move it into another system); stops and answers `false` as soon as
/// `position` does.
fn write_multipolygon_with(
    out: &mut Vec<u8>,
    mp: &MultiPolygon<f64>,
    mut position: impl FnMut(&mut Vec<u8>, &geo::Coord<f64>) -> bool,
) -> bool {
    out.extend_from_slice(b"{\"type\":\"MultiPolygon\",\"coordinates\":[");
    for (i, poly) in mp.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        for (j, ring) in std::iter::once(poly.exterior())
            .chain(poly.interiors())
            .enumerate()
        {
            if j > 0 {
                out.push(b',');
            }
            out.push(b'[');
            for (k, c) in ring.0.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                if !position(out, c) {
                    return false;
                }
                out.push(b']');
            }
            out.push(b']');
        }
        out.push(b']');
    }
    out.extend_from_slice(b"]}");
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AssetFields, Location, Status};
    use chrono::Utc;
    use uuid::Uuid;

    fn sample() -> Asset {
        let mut fields = AssetFields::new(
            "Library \"A\" <b>",
            "library",
            Location::new(-122.5, 47.25).expect("valid"),
        );
        fields.extra.insert("license".into(), Value::from("CC0"));
        fields.address = Some("1 Main St".into());
        fields.languages = vec!["en".into(), "es".into()];
        fields.source = Some("test".into());
        fields.source_id = Some("7".into());
        Asset::new(Uuid::nil(), fields, Status::Approved, Utc::now())
    }

    #[test]
    fn asset_bytes_are_valid_geojson_with_all_fields() {
        let f = asset_feature(&sample());
        let v: Value = serde_json::from_slice(&f.bytes).expect("json");
        assert_eq!(v["type"], "Feature");
        assert_eq!(
            v["geometry"]["coordinates"],
            serde_json::json!([-122.5, 47.25])
        );
        assert_eq!(v["properties"]["name"], "Library \"A\" <b>");
        assert_eq!(v["properties"]["license"], "CC0");
        assert_eq!(v["properties"]["phone"], Value::Null);
        assert_eq!(
            v["properties"]["languages"],
            serde_json::json!(["en", "es"])
        );
    }

    #[test]
    fn decimetres() {
        for (m, want) in [
            (0.0, "0.0"),
            (0.04, "0.0"),
            (0.05, "0.1"),
            (1234.56, "1234.6"),
            (9.96, "10.0"),
            (20_015_086.8, "20015086.8"),
        ] {
            let mut out = Vec::new();
            write_decimetres(&mut out, m);
            assert_eq!(String::from_utf8(out).expect("utf8"), want);
        }
    }

    #[test]
    fn distance_is_spliced_into_properties() {
        let f = asset_feature(&sample());
        let mut out = Vec::new();
        f.write_to(&mut out, Some(1234.56));
        let v: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["properties"]["distance_m"], 1234.6);
        assert_eq!(v["properties"]["name"], "Library \"A\" <b>");
    }
}

/// A feature's geometry as the index holds it, for answers in another CRS.
#[derive(Debug, Clone, Copy)]
pub enum Geo<'a> {
    Point(f64, f64),
    Area(&'a MultiPolygon<f64>),
}

/// Writes a geometry moved into `crs`, in its axis order: angles as CRS84's
/// are written, distances to three decimals (a millimetre, or a thousandth of
/// a foot). A geometry that falls outside the projection is `null`.
pub fn write_geometry_in(out: &mut Vec<u8>, g: Geo, crs: &crate::crs::ServedCrs) {
    let geographic = crs.is_geographic();
    let num = |out: &mut Vec<u8>, v: f64| {
        if geographic {
            write_f64(out, v);
        } else {
            write_f64(out, (v * 1000.0).round() / 1000.0);
        }
    };
    let start = out.len();
    let ok = match g {
        Geo::Point(lon, lat) => match crs.from_lon_lat(lon, lat) {
            Ok((a, b)) => {
                out.extend_from_slice(b"{\"type\":\"Point\",\"coordinates\":[");
                num(out, a);
                out.push(b',');
                num(out, b);
                out.extend_from_slice(b"]}");
                true
            }
            Err(_) => false,
        },
        Geo::Area(mp) => write_multipolygon_with(out, mp, |out, c| {
            let Ok((a, b)) = crs.from_lon_lat(c.x, c.y) else {
                return false;
            };
            num(out, a);
            out.push(b',');
            num(out, b);
            true
        }),
    };
    if !ok {
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
}
