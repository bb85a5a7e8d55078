//! One import from a file already read, whatever asks for it (the command line
//! or the import page): what kind of rows it holds and how to read them
//! ([`Kind`]), the rows read and checked ([`Prepared`]), and writing them under
//! an import record.

use serde_json::{Value, json};

use super::names::Names;
use super::run::{self, ImportSummary, Reporter};
use super::{AreaKey, AssetProperties, ImportError, Parsed, SchoolProperties, Table};
use crate::domain::{Asset, Catchment, Location, School};
use crate::geocode::{Geocoder, Nominatim, NominatimConfig, PlaceReport, place_rows};
use crate::service::Service;
use crate::store::{ImportRecord, Store};

/// What a file holds and how its rows are read.
#[derive(Debug, Clone)]
pub enum Kind {
    Assets(AssetProperties),
    Schools(SchoolProperties),
    Catchments {
        /// Matched to schools by district id or by name.
        key: AreaField,
        /// School year, 2024-2025 or 2024-25.
        year: String,
        /// The district whose schools the areas are matched to.
        district: String,
    },
}

/// How an area's row names its school.
#[derive(Debug, Clone)]
pub enum AreaField {
    /// A property holding the school's district id.
    Id(String),
    /// A property holding the school's name; `map` is an optional CSV of
    /// name,school id pairs checked first.
    Name { field: String, map: Option<String> },
}

impl Kind {
    /// The district an import of this kind belongs to ('' for the default
    /// district, and for assets, which belong to none).
    pub fn district(&self) -> &str {
        match self {
            Kind::Assets(_) => "",
            Kind::Schools(f) => &f.district,
            Kind::Catchments { district, .. } => district,
        }
    }

    /// The name an import of this kind is recorded under.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Assets(_) => "assets",
            Kind::Schools(_) => "schools",
            Kind::Catchments { .. } => "catchments",
        }
    }
}

/// The rows of a file, read and checked, ready to be written.
pub enum Prepared {
    Assets(Parsed<Asset>),
    Schools(Parsed<School>),
    Catchments(Parsed<Catchment>),
}

/// The schools of one district, ready to be matched by name (with the
/// explicit name→id table `map`, a CSV, when given).
pub async fn names(
    store: &dyn Store,
    district: &str,
    map: Option<&str>,
) -> Result<Names, ImportError> {
    let mut schools = store.schools().await?;
    schools.retain(|s| s.district == district);
    let explicit = match map {
        Some(text) => {
            let known = |id: &str| schools.iter().any(|s| s.external_id == id);
            super::names::read_map(text, &known).map_err(|reason| ImportError::File {
                file: "the school map".into(),
                reason,
            })?
        }
        None => Default::default(),
    };
    Ok(Names::new(
        schools
            .into_iter()
            .map(|s| (s.external_id, s.name))
            .collect(),
        explicit,
    ))
}

/// Reads a file's rows as `kind`: assets' addresses placed (the address
/// points, then `remote`), areas matched to the store's schools.
pub async fn prepare(
    store: &dyn Store,
    table: Table,
    kind: &Kind,
    remote: Option<&NominatimConfig>,
) -> Result<Prepared, ImportError> {
    Ok(match kind {
        Kind::Assets(fields) => {
            let mut table = table;
            let remote = remote.cloned().map(Nominatim::new).transpose()?;
            let mut geocoder = Geocoder::new(store, remote);
            let placed = place_rows(&mut table, &mut geocoder, &fields.address).await?;
            let mut fields = fields.clone();
            if placed.none > 0 {
                fields.unplaced_at = stand_in(store, &table).await?;
            }
            let mut parsed = super::parse_assets(table, &fields);
            if placed != PlaceReport::default() {
                parsed.notes.push(placed.line());
            }
            Prepared::Assets(parsed)
        }
        Kind::Schools(fields) => Prepared::Schools(super::parse_schools(table, fields)),
        Kind::Catchments {
            key,
            year,
            district,
        } => {
            let key = match key {
                AreaField::Id(field) => AreaKey::Id(field.clone()),
                AreaField::Name { field, map } => AreaKey::Name {
                    field: field.clone(),
                    names: names(store, district, map.as_deref()).await?,
                },
            };
            Prepared::Catchments(run::read_catchments(store, table, &key, year, district).await?)
        }
    })
}

/// Where listings whose address could not be placed wait for an editor: the
/// middle of the rows that have a place, else of the district's schools.
async fn stand_in(store: &dyn Store, table: &Table) -> Result<Option<Location>, ImportError> {
    let mut points: Vec<(f64, f64)> = table
        .rows
        .iter()
        .filter_map(|r| match &r.geometry {
            Ok(Some(geo::Geometry::Point(p))) => Some((p.x(), p.y())),
            _ => None,
        })
        .collect();
    if points.is_empty() {
        points = store
            .schools()
            .await?
            .iter()
            .map(|s| (s.location.lon(), s.location.lat()))
            .collect();
    }
    if points.is_empty() {
        return Ok(None);
    }
    let n = points.len() as f64;
    let (x, y) = points
        .iter()
        .fold((0.0, 0.0), |(x, y), (px, py)| (x + px / n, y + py / n));
    Ok(Location::new(x, y).ok())
}

impl Prepared {
    /// Rows that would be written.
    pub fn len(&self) -> usize {
        match self {
            Prepared::Assets(p) => p.items.len(),
            Prepared::Schools(p) => p.items.len(),
            Prepared::Catchments(p) => p.items.len(),
        }
    }

    /// Whether no row would be written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows skipped (number, reason), the warnings, and what a row is called.
    pub fn report(&self) -> (&[(usize, String)], &[String], &'static str) {
        match self {
            Prepared::Assets(p) => (&p.skipped, &p.warnings, p.unit),
            Prepared::Schools(p) => (&p.skipped, &p.warnings, p.unit),
            Prepared::Catchments(p) => (&p.skipped, &p.warnings, p.unit),
        }
    }

    /// What the report says besides skips and warnings (how addresses were placed).
    pub fn notes(&self) -> &[String] {
        match self {
            Prepared::Assets(p) => &p.notes,
            Prepared::Schools(p) => &p.notes,
            Prepared::Catchments(p) => &p.notes,
        }
    }

    /// The first `n` rows as GeoJSON Features, to show on a map before importing.
    pub fn preview(&self, n: usize) -> Value {
        let point = |l: &crate::domain::Location| json!({"type": "Point", "coordinates": [l.lon(), l.lat()]});
        let features: Vec<Value> = match self {
            Prepared::Assets(p) => p
                .items
                .iter()
                .take(n)
                .map(|a| {
                    json!({"type": "Feature", "geometry": point(&a.fields.location),
                        "properties": {"name": a.fields.name, "category": a.fields.category,
                            "address": a.fields.address}})
                })
                .collect(),
            Prepared::Schools(p) => p
                .items
                .iter()
                .take(n)
                .map(|s| {
                    json!({"type": "Feature", "geometry": point(&s.location),
                        "properties": {"name": s.name, "school": s.external_id, "level": s.level}})
                })
                .collect(),
            Prepared::Catchments(p) => p
                .items
                .iter()
                .take(n)
                .map(|c| {
                    let g = geojson::Geometry::new(geojson::GeometryValue::from(&c.geometry));
                    json!({"type": "Feature", "geometry": g,
                        "properties": {"school_id": c.school_id, "year": c.year.as_str()}})
                })
                .collect(),
        };
        json!({"type": "FeatureCollection", "features": features})
    }

    /// Writes the rows under `record`, then stores its counts. Areas and
    /// schools are read into the service's index again afterwards.
    pub async fn write(
        self,
        service: &Service,
        mut record: ImportRecord,
        out: &mut dyn Reporter,
        show_progress: bool,
    ) -> Result<(ImportRecord, ImportSummary), ImportError> {
        let store = service.store();
        let journal = Some(record.id);
        let summary = match &self {
            Prepared::Assets(p) => {
                run::write_assets(service, &p.items, journal, out, show_progress)
                    .await?
                    .and_read(p)
            }
            Prepared::Schools(p) => run::write_schools(store, &p.items, journal, out)
                .await?
                .and_read(p),
            Prepared::Catchments(p) => run::write_catchments(store, &p.items, journal, out)
                .await?
                .and_read(p),
        };
        if !matches!(self, Prepared::Assets(_)) {
            service.reload_areas().await?;
        }
        summary.onto(&mut record);
        store.finish_import(&record).await?;
        Ok((record, summary))
    }
}
