//! Whole-collection exports as GeoJSON, GeoJSON text sequences (one Feature per
//! line) and CSV, produced chunk by chunk so that memory stays flat whatever
//! the size: the matching ids are taken once, then each chunk of features is
//! read under a short read lock and written out.

use serde_json::Value;
use uuid::Uuid;

use crate::domain::asset::MODEL_PROPERTIES;
use crate::encode::FeatureBytes;
use crate::index::{AssetQuery, Index, IndexError};

/// Features per chunk.
const CHUNK: usize = 1_000;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One FeatureCollection (RFC 7946).
    GeoJson,
    /// One Feature per line (newline-delimited GeoJSON).
    GeoJsonLines,
    /// One row per asset, with longitude and latitude columns.
    Csv,
}

impl Format {
    /// The format a file name's extension names.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.rsplit('.').next()? {
            "geojson" | "json" => Some(Format::GeoJson),
            "geojsonl" | "geojsonseq" | "ndjson" => Some(Format::GeoJsonLines),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::GeoJson => "application/geo+json",
            Format::GeoJsonLines => "application/geo+json-seq",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// The model's columns in a CSV export, after `id`, `longitude`, `latitude`: the
/// model's properties, less the per-request `distance_m`.
pub fn csv_columns() -> impl Iterator<Item = &'static str> {
    MODEL_PROPERTIES
        .iter()
        .copied()
        .filter(|c| *c != "distance_m")
}

/// An export in progress.
pub struct Export {
    index: Index,
    ids: Vec<Uuid>,
    distances: Vec<f64>,
    format: Format,
    extra_columns: Vec<String>,
    with_distance: bool,
    pos: usize,
    started: bool,
    done: bool,
    written: usize,
}

/// Text as a spreadsheet will never run it: a value that would start a formula
/// (`=`, `+`, `-`, `@`, tab, carriage return) and is not a number gets a
/// leading `'`. The one formula guard of every CSV the project writes.
pub fn formula_guard(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A quoted CSV cell that spreadsheets never read as a formula. The one CSV
/// quoting of the project: exports, reports and the join all use it.
pub fn csv_cell(s: &str) -> String {
    format!("\"{}\"", formula_guard(s).replace('"', "\"\""))
}

fn push_cell(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(csv_cell(s).as_bytes());
}

fn csv_value(out: &mut Vec<u8>, v: Option<&Value>) {
    match v {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => push_cell(out, s),
        Some(Value::Number(n)) => out.extend_from_slice(n.to_string().as_bytes()),
        Some(Value::Bool(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            let joined: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            push_cell(out, &joined.join("; "));
        }
        Some(other) => push_cell(out, &other.to_string()),
    }
}

/// The file chunk by chunk (see [`Export::next_chunk`]).
impl Iterator for Export {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        self.next_chunk()
    }
}

impl Export {
    /// Starts an export of what `q` matches (all of it, no page limit).
    pub fn new(index: &Index, q: &AssetQuery, format: Format) -> Result<Self, IndexError> {
        let (ids, distances) = index.all_ids(q)?;
        Ok(Self {
            index: index.clone(),
            ids,
            distances,
            format,
            extra_columns: index.extra_keys(),
            with_distance: q.near.is_some(),
            pos: 0,
            started: false,
            done: false,
            written: 0,
        })
    }

    /// How many features the export holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Features written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    fn header(&self, out: &mut Vec<u8>) {
        match self.format {
            Format::GeoJson => {
                out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[\n")
            }
            Format::GeoJsonLines => {}
            Format::Csv => {
                out.extend_from_slice(b"id,longitude,latitude");
                for c in csv_columns() {
                    out.push(b',');
                    out.extend_from_slice(c.as_bytes());
                }
                if self.with_distance {
                    out.extend_from_slice(b",distance_m");
                }
                for c in &self.extra_columns {
                    out.push(b',');
                    push_cell(out, c);
                }
                out.extend_from_slice(b"\r\n");
            }
        }
    }

    fn csv_row(&self, out: &mut Vec<u8>, f: &FeatureBytes, d: Option<f64>) {
        let Ok(v) = serde_json::from_slice::<Value>(&f.bytes) else {
            return;
        };
        out.extend_from_slice(v["id"].as_str().unwrap_or_default().as_bytes());
        let c = &v["geometry"]["coordinates"];
        for axis in 0..2 {
            out.push(b',');
            csv_value(out, c.get(axis));
        }
        let props = &v["properties"];
        for col in csv_columns() {
            out.push(b',');
            csv_value(out, props.get(col));
        }
        if self.with_distance {
            out.push(b',');
            if let Some(d) = d {
                crate::encode::write_decimetres(out, d);
            }
        }
        for col in &self.extra_columns {
            out.push(b',');
            csv_value(out, props.get(col.as_str()));
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The next chunk of the file, or `None` when it is complete.
    pub fn next_chunk(&mut self) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        let mut out = Vec::with_capacity(CHUNK * 700);
        if !self.started {
            self.started = true;
            self.header(&mut out);
        }
        let end = (self.pos + CHUNK).min(self.ids.len());
        let chunk = &self.ids[self.pos..end];
        let distances = self.distances.get(self.pos..end).unwrap_or(&[]);
        let mut n = 0;
        let (format, first) = (self.format, self.written == 0);
        self.index.for_each_feature(chunk, distances, |f, d, _| {
            match format {
                Format::GeoJson => {
                    if !(first && n == 0) {
                        out.extend_from_slice(b",\n");
                    }
                    f.write_to(&mut out, d);
                }
                Format::GeoJsonLines => {
                    f.write_to(&mut out, d);
                    out.push(b'\n');
                }
                Format::Csv => self.csv_row(&mut out, f, d),
            }
            n += 1;
        });
        self.written += n;
        self.pos = end;
        if self.pos >= self.ids.len() {
            if self.format == Format::GeoJson {
                out.extend_from_slice(b"\n]}\n");
            }
            self.done = true;
        }
        Some(out)
    }
}
