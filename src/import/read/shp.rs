//! Esri Shapefiles: a `.shp` with the `.dbf` and `.prj` beside it, or a
//! `.zip` holding them (one layer, or `--layer`). The `.prj` says the
//! coordinate system; the `.cpg`, when there is one, the text encoding.

use std::io::{Cursor, Read};
use std::path::Path;

use geo::Geometry;
use serde_json::{Map, Value};

use super::{Declared, Encoding, Raw, ReadOptions, Row, choose_layer, number, refuse};
use crate::crs::Crs;
use crate::import::ImportError;

/// The files of one layer, read into memory.
struct Layer {
    name: String,
    shp: Vec<u8>,
    dbf: Option<Vec<u8>>,
    prj: Option<String>,
    cpg: Option<String>,
}

pub(super) fn read(path: &Path, file: &str, options: &ReadOptions) -> Result<Raw, ImportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let layer = if ext == "zip" {
        from_zip(path, file, options)?
    } else {
        beside(path, file)?
    };
    let Some(dbf) = layer.dbf else {
        return Err(refuse(
            file,
            format!(
                "{}.shp has no .dbf beside it: a Shapefile is the .shp, .shx, .dbf and .prj together (zip them up, or copy them all)",
                layer.name
            ),
        ));
    };
    let declared = match &layer.prj {
        Some(wkt) => match Crs::from_wkt(wkt) {
            Ok(crs) => Declared::Named(Box::new(crs), "from the .prj".into()),
            Err(e) => Declared::Unknown(format!("its .prj is not understood: {e}")),
        },
        None => Declared::Unknown(format!("{}.shp has no .prj beside it", layer.name)),
    };
    let encoding = match (options.encoding, layer.cpg.as_deref().map(str::trim)) {
        (Encoding::Latin1, _) => Some(encoding_rs::WINDOWS_1252),
        (_, Some(cpg)) if !cpg.to_ascii_lowercase().contains("utf") => {
            let label = if cpg.chars().all(|c| c.is_ascii_digit()) {
                format!("windows-{cpg}")
            } else {
                cpg.to_owned()
            };
            Some(
                encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                    refuse(
                        file,
                        format!("its .cpg names the encoding {cpg:?}, which is not known"),
                    )
                })?,
            )
        }
        _ => None,
    };
    let dbase = dbase::ReaderBuilder::new();
    let dbase = match encoding {
        Some(e) => dbase.with_encoding(dbase::encoding::EncodingRs::from(e)),
        None => dbase.with_encoding(dbase::encoding::Unicode),
    };
    let dbase = dbase
        .build(Cursor::new(dbf))
        .map_err(|e| refuse(file, format!("{}.dbf: {e}", layer.name)))?;
    let fields: Vec<String> = dbase.fields().iter().map(|f| f.name().to_owned()).collect();
    let shapes = shapefile::ShapeReader::new(Cursor::new(layer.shp))
        .map_err(|e| refuse(file, format!("{}.shp: {e}", layer.name)))?;
    let mut reader = shapefile::Reader::new(shapes, dbase);
    let mut rows = Vec::new();
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let n = i + 1;
        let (shape, mut record) = item.map_err(|e| {
            let hint = if matches!(e, shapefile::Error::DbaseError(_)) {
                " (if the text is not UTF-8, pass --encoding latin1)"
            } else {
                ""
            };
            refuse(file, format!("feature {n}: {e}{hint}"))
        })?;
        let geometry = match shape {
            shapefile::Shape::NullShape => Ok(None),
            shape => Geometry::<f64>::try_from(shape)
                .map(Some)
                .map_err(|e| format!("unusable shape: {e}")),
        };
        let mut properties = Map::new();
        for name in &fields {
            if let Some(v) = record.remove(name).and_then(value) {
                properties.insert(name.clone(), v);
            }
        }
        rows.push(Row {
            n,
            id: None,
            geometry,
            properties,
        });
    }
    Ok(Raw {
        unit: "feature",
        declared,
        rows,
        warnings: Vec::new(),
    })
}

fn value(v: dbase::FieldValue) -> Option<Value> {
    use dbase::FieldValue as F;
    Some(match v {
        F::Character(Some(s)) | F::Memo(s) => {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            Value::String(s.to_owned())
        }
        F::Numeric(Some(f)) | F::Double(f) | F::Currency(f) => number(f),
        F::Float(Some(f)) => number(f64::from(f)),
        F::Integer(i) => Value::from(i),
        F::Logical(Some(b)) => Value::Bool(b),
        F::Date(Some(d)) => {
            Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
        F::DateTime(t) => {
            let (d, tm) = (t.date(), t.time());
            Value::String(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                tm.hours(),
                tm.minutes(),
                tm.seconds()
            ))
        }
        _ => return None,
    })
}

/// The layer of a `.shp` named on the command line, its companions found
/// beside it whatever the case of their extensions.
fn beside(path: &Path, file: &str) -> Result<Layer, ImportError> {
    let shp = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let companion = |ext: &str| -> Option<Vec<u8>> {
        [ext.to_owned(), ext.to_ascii_uppercase()]
            .iter()
            .find_map(|e| std::fs::read(path.with_extension(e)).ok())
    };
    let text = |bytes: Option<Vec<u8>>| -> Result<Option<String>, ImportError> {
        bytes
            .map(|b| String::from_utf8(b).map_err(|_| refuse(file, "its .prj or .cpg is not text")))
            .transpose()
    };
    Ok(Layer {
        name: stem,
        shp,
        dbf: companion("dbf"),
        prj: text(companion("prj"))?,
        cpg: text(companion("cpg"))?,
    })
}

/// The one layer of a zip (or the one `--layer` names).
fn from_zip(path: &Path, file: &str, options: &ReadOptions) -> Result<Layer, ImportError> {
    let f = std::fs::File::open(path).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut zip =
        zip::ZipArchive::new(f).map_err(|e| refuse(file, format!("not a readable zip: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let stems: Vec<String> = names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with(".shp") && !n.starts_with("__MACOSX"))
        .map(|n| n[..n.len() - 4].to_owned())
        .collect();
    // `--layer` names a layer by its path in the zip or by its file name.
    let wanted = options.layer.as_deref().map(|l| {
        stems
            .iter()
            .find(|s| s.rsplit('/').next() == Some(l))
            .map_or(l, String::as_str)
    });
    let chosen = choose_layer(file, wanted, &stems)?;
    let mut take = |ext: &str| -> Result<Option<Vec<u8>>, ImportError> {
        let Some(name) = names.iter().find(|n| {
            n.len() == chosen.len() + 4
                && n.starts_with(&chosen)
                && n[chosen.len()..].eq_ignore_ascii_case(ext)
        }) else {
            return Ok(None);
        };
        let mut entry = zip
            .by_name(name)
            .map_err(|e| refuse(file, format!("{name}: {e}")))?;
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| refuse(file, format!("{name}: {e}")))?;
        Ok(Some(bytes))
    };
    let shp = take(".shp")?.unwrap_or_default();
    let dbf = take(".dbf")?;
    let text = |b: Option<Vec<u8>>| -> Result<Option<String>, ImportError> {
        b.map(|b| String::from_utf8(b).map_err(|_| refuse(file, "its .prj or .cpg is not text")))
            .transpose()
    };
    let prj = text(take(".prj")?)?;
    let cpg = text(take(".cpg")?)?;
    Ok(Layer {
        name: chosen.rsplit('/').next().unwrap_or(&chosen).to_owned(),
        shp,
        dbf,
        prj,
        cpg,
    })
}
