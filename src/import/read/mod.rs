//! Reading the files districts actually have (GeoJSON, GeoJSON lines, JSON
//! arrays, CSV, Excel, Shapefile, GeoPackage, KML) into one shape: numbered
//! rows of properties, each with its geometry moved to WGS84.
//!
//! A file's coordinate system is the one it declares (a `.prj`, GeoPackage's
//! `gpkg_spatial_ref_sys`, a GeoJSON `crs` member) or `--source-crs`; a file
//! whose system cannot be told is refused with that reason, never guessed.
//! Whatever is wrong with the file as a whole (a `.shp` without its `.dbf`, a
//! zip with two layers, merged header cells, text that is not UTF-8) is an
//! error naming the file and, where there is one, the row.

use std::path::Path;

use geo::Geometry;
use serde_json::{Map, Value};

use super::ImportError;
use crate::crs::Crs;

mod geojson;
mod gpkg;
mod kml;
mod shp;
mod tabular;
mod wkb;

pub use tabular::{LAT_NAMES, LON_NAMES};

/// The kinds of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    /// One GeoJSON Feature per line (RFC 8142, with or without the RS byte).
    GeoJsonSeq,
    Csv,
    Xlsx,
    /// A `.shp` with its `.dbf` and `.prj`, or a `.zip` holding them.
    Shapefile,
    GeoPackage,
    /// KML, or KMZ (a zip holding `doc.kml`).
    Kml,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &[
        "geojson",
        "geojsonseq",
        "csv",
        "xlsx",
        "shapefile",
        "gpkg",
        "kml",
    ];

    /// A format by the name `--format` takes.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Self::GeoJson,
            "geojsonseq" | "geojsonl" | "ndjson" | "jsonl" | "geojsonlines" => Self::GeoJsonSeq,
            "csv" | "tsv" | "txt" => Self::Csv,
            "xlsx" | "excel" => Self::Xlsx,
            "shapefile" | "shp" | "zip" => Self::Shapefile,
            "gpkg" | "geopackage" => Self::GeoPackage,
            "kml" | "kmz" => Self::Kml,
            _ => return None,
        })
    }

    /// The format a file name's extension says.
    pub fn of_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Self::parse(&ext)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::GeoJson => "GeoJSON",
            Self::GeoJsonSeq => "GeoJSON lines",
            Self::Csv => "CSV",
            Self::Xlsx => "Excel (xlsx)",
            Self::Shapefile => "Shapefile",
            Self::GeoPackage => "GeoPackage",
            Self::Kml => "KML",
        }
    }
}

/// How text that is not UTF-8 is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, and anything else refused with the row it is on.
    #[default]
    Utf8,
    /// Latin-1 / Windows-1252, as older Excel and GIS tools write.
    Latin1,
}

impl Encoding {
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "utf8" => Some(Self::Utf8),
            "latin1" | "iso88591" | "windows1252" | "cp1252" => Some(Self::Latin1),
            _ => None,
        }
    }
}

/// What the person importing says about the file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The format, when the extension does not say it.
    pub format: Option<Format>,
    /// The coordinate system, when the file does not say it (and instead of
    /// the one it says, with a warning).
    pub source_crs: Option<Crs>,
    /// Columns holding the coordinates in a table (CSV, Excel, JSON array).
    pub lon_field: Option<String>,
    pub lat_field: Option<String>,
    /// The sheet of a workbook (default: the first).
    pub sheet: Option<String>,
    /// The layer of a GeoPackage or of a zip holding several Shapefiles.
    pub layer: Option<String>,
    pub encoding: Encoding,
}

/// One feature or row of a file.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its number as the person sees it: the feature counted from 1, or the
    /// row of the sheet (the header being row 1).
    pub n: usize,
    /// A GeoJSON Feature's `id`, or a GeoPackage's feature id.
    pub id: Option<Value>,
    /// In WGS84 longitude/latitude; `Ok(None)` when the row has none (an
    /// address to place, or a null geometry); `Err` with why it is unusable.
    pub geometry: Result<Option<Geometry<f64>>, String>,
    pub properties: Map<String, Value>,
}

/// A file read.
#[derive(Debug)]
pub struct Table {
    /// The file's name, for messages.
    pub file: String,
    pub format: Format,
    /// What a row is called in messages: "feature" or "row".
    pub unit: &'static str,
    /// The coordinate system the coordinates were in and how it was known,
    /// e.g. `EPSG:2926 (…) from the .prj`; `None` when no row has coordinates.
    pub crs: Option<String>,
    pub rows: Vec<Row>,
    /// Said about the whole file (a `--source-crs` overriding the file's own).
    pub warnings: Vec<String>,
}

/// The coordinate system a reader found.
#[derive(Debug)]
pub(crate) enum Declared {
    /// Named by the file; the text says where (".prj", "crs member").
    Named(Box<Crs>, String),
    /// The format's own system (GeoJSON and KML are WGS84).
    Wgs84(&'static str),
    /// The file does not say; the text says what is missing.
    Unknown(String),
}

/// What a format's reader gives before coordinates are moved to WGS84.
pub(crate) struct Raw {
    pub unit: &'static str,
    pub declared: Declared,
    pub rows: Vec<Row>,
    pub warnings: Vec<String>,
}

/// A whole-file error naming the file.
pub(crate) fn refuse(file: &str, reason: impl std::fmt::Display) -> ImportError {
    ImportError::File {
        file: file.to_owned(),
        reason: reason.to_string(),
    }
}

/// The one layer of a file holding several (a GeoPackage, a zip of
/// Shapefiles): the one `--layer` names, or the only one there is.
pub(crate) fn choose_layer(
    file: &str,
    wanted: Option<&str>,
    layers: &[String],
) -> Result<String, ImportError> {
    match (wanted, layers) {
        (_, []) => Err(refuse(file, "holds no layer of features")),
        (Some(l), _) => layers.iter().find(|n| *n == l).cloned().ok_or_else(|| {
            refuse(
                file,
                format!("holds no layer {l:?} (its layers: {})", layers.join(", ")),
            )
        }),
        (None, [one]) => Ok(one.clone()),
        (None, many) => Err(refuse(
            file,
            format!(
                "holds {} layers ({}): name one with --layer",
                many.len(),
                many.join(", ")
            ),
        )),
    }
}

/// Reads a file of any supported format.
pub async fn read(path: &Path, options: &ReadOptions) -> Result<Table, ImportError> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let format = match options.format.or_else(|| Format::of_path(path)) {
        Some(f) => f,
        None => {
            return Err(refuse(
                &file,
                format!(
                    "the format cannot be told from the name; pass --format ({})",
                    Format::NAMES.join(", ")
                ),
            ));
        }
    };
    let io = |source| ImportError::Io {
        path: path.display().to_string(),
        source,
    };
    let raw = match format {
        Format::GeoPackage => gpkg::read(path, &file, options).await?,
        Format::Shapefile => shp::read(path, &file, options)?,
        Format::Xlsx => tabular::read_xlsx(path, &file, options)?,
        Format::Kml => kml::read(&std::fs::read(path).map_err(io)?, &file)?,
        Format::Csv => tabular::read_csv(&std::fs::read(path).map_err(io)?, &file, options)?,
        Format::GeoJson | Format::GeoJsonSeq => {
            let bytes = std::fs::read(path).map_err(io)?;
            geojson::read(&bytes, &file, format, options)?
        }
    };
    finish(file, format, raw, options)
}

/// Reads GeoJSON (or a JSON array of rows) from text: the importer's tests and
/// the demo loader, which have text rather than a file.
pub fn read_geojson_text(file: &str, text: &str) -> Result<Table, ImportError> {
    let options = ReadOptions::default();
    let raw = geojson::read(text.as_bytes(), file, Format::GeoJson, &options)?;
    finish(file.to_owned(), Format::GeoJson, raw, &options)
}

/// Moves every geometry to WGS84, or refuses a file whose system is unknown.
fn finish(
    file: String,
    format: Format,
    mut raw: Raw,
    options: &ReadOptions,
) -> Result<Table, ImportError> {
    let has_geometry = raw.rows.iter().any(|r| matches!(r.geometry, Ok(Some(_))));
    let crs = match (&options.source_crs, raw.declared) {
        (Some(given), Declared::Named(found, how)) => {
            if *given != *found {
                raw.warnings.push(format!(
                    "the file says its coordinates are {found} ({how}); read as {given} as --source-crs says"
                ));
            }
            Some((given.clone(), "--source-crs".to_owned()))
        }
        (Some(given), _) => Some((given.clone(), "--source-crs".to_owned())),
        (None, Declared::Named(found, how)) => Some((*found, how)),
        (None, Declared::Wgs84(how)) => Some((Crs::wgs84(), how.to_owned())),
        (None, Declared::Unknown(why)) if has_geometry => {
            return Err(refuse(
                &file,
                format!(
                    "its coordinate system cannot be told ({why}); name it with --source-crs EPSG:NNNN"
                ),
            ));
        }
        (None, Declared::Unknown(_)) => None,
    };
    let unit = raw.unit;
    if let Some((crs, _)) = &crs {
        for row in &mut raw.rows {
            row.geometry = match std::mem::replace(&mut row.geometry, Ok(None)) {
                Ok(Some(g)) => crs
                    .geometry_to_wgs84(g)
                    .map(Some)
                    .map_err(|e| format!("{e} (from {crs})")),
                other => other,
            };
        }
    }
    Ok(Table {
        file,
        format,
        unit,
        crs: crs
            .filter(|_| has_geometry)
            .map(|(c, how)| format!("{c}, {how}")),
        rows: raw.rows,
        warnings: raw.warnings,
    })
}

/// A number as JSON: whole numbers as integers (ids read from a spreadsheet or
/// a `.dbf` come as floats), others as they are.
pub(crate) fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}
