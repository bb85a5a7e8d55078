//! KML (and KMZ, a zip holding it): each Placemark a feature, its `name`,
//! `description` and ExtendedData as properties, its Point, LineString,
//! Polygon or MultiGeometry as the geometry. KML is always WGS84.

use std::io::Read;

use geo::{Coord, Geometry, GeometryCollection, LineString, MultiPolygon, Point, Polygon};
use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::{Declared, Raw, Row, refuse};
use crate::import::ImportError;

#[derive(Default)]
struct Placemark {
    properties: Map<String, Value>,
    geometries: Vec<Geometry<f64>>,
    error: Option<String>,
}

pub(super) fn read(bytes: &[u8], file: &str) -> Result<Raw, ImportError> {
    let unzipped;
    let bytes = if bytes.starts_with(b"PK") {
        unzipped = kmz(bytes, file)?;
        unzipped.as_slice()
    } else {
        bytes
    };
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    let mut text = String::new();
    let mut current: Option<Placemark> = None;
    let mut rows = Vec::new();
    let mut data_name: Option<String> = None;
    let mut exterior: Option<LineString<f64>> = None;
    let mut interiors: Vec<LineString<f64>> = Vec::new();
    let mut ring: Option<LineString<f64>> = None;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            refuse(
                file,
                format!(
                    "not well-formed KML at byte {}: {e}",
                    reader.buffer_position()
                ),
            )
        })?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                text.clear();
                match name.as_str() {
                    "Placemark" => current = Some(Placemark::default()),
                    "Data" | "SimpleData" => {
                        data_name = e
                            .try_get_attribute("name")
                            .ok()
                            .flatten()
                            .map(|a| a.value.into_owned());
                    }
                    "Polygon" => {
                        exterior = None;
                        interiors.clear();
                    }
                    _ => {}
                }
                path.push(name);
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t),
            Event::GeneralRef(r) => text.push_str(&unescape(&format!("&{};", &*r))),
            Event::End(_) => {
                let Some(name) = path.pop() else { continue };
                let parent = path.last().map(String::as_str);
                let Some(p) = current.as_mut() else { continue };
                match name.as_str() {
                    "name" | "description"
                        if parent == Some("Placemark") && !text.trim().is_empty() =>
                    {
                        p.properties
                            .insert(name.clone(), Value::String(text.trim().to_owned()));
                    }
                    "value" if parent == Some("Data") => {
                        if let Some(k) = &data_name
                            && !text.trim().is_empty()
                        {
                            p.properties
                                .insert(k.clone(), Value::String(text.trim().to_owned()));
                        }
                    }
                    "SimpleData" => {
                        if let Some(k) = data_name.take()
                            && !text.trim().is_empty()
                        {
                            p.properties
                                .insert(k, Value::String(text.trim().to_owned()));
                        }
                    }
                    "coordinates" => match coordinates(&text) {
                        Ok(coords) => match parent {
                            Some("Point") => match coords.first() {
                                Some(c) => p.geometries.push(Geometry::Point(Point(*c))),
                                None => p.error = Some("a Point without coordinates".into()),
                            },
                            Some("LineString") => p
                                .geometries
                                .push(Geometry::LineString(LineString::new(coords))),
                            Some("LinearRing") => ring = Some(LineString::new(coords)),
                            _ => {}
                        },
                        Err(e) => p.error = Some(e),
                    },
                    "LinearRing" => {
                        let r = ring.take().unwrap_or_else(|| LineString::new(vec![]));
                        match parent {
                            Some("outerBoundaryIs") => exterior = Some(r),
                            Some("innerBoundaryIs") => interiors.push(r),
                            _ => {}
                        }
                    }
                    "Polygon" => match exterior.take() {
                        Some(ext) if ext.0.len() >= 4 => p.geometries.push(Geometry::Polygon(
                            Polygon::new(ext, std::mem::take(&mut interiors)),
                        )),
                        _ => {
                            p.error = Some("a Polygon without an outer ring of 4 positions".into())
                        }
                    },
                    "Placemark" => {
                        if let Some(pm) = current.take() {
                            rows.push(finish(rows.len() + 1, pm));
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if rows.is_empty() {
        return Err(refuse(file, "holds no Placemark"));
    }
    Ok(Raw {
        unit: "feature",
        declared: Declared::Wgs84("KML is WGS84"),
        rows,
        warnings: Vec::new(),
    })
}

fn unescape(s: &str) -> String {
    quick_xml::escape::unescape(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.to_owned())
}

fn finish(n: usize, mut p: Placemark) -> Row {
    let geometry = match (p.error.take(), p.geometries.len()) {
        (Some(e), _) => Err(e),
        (None, 0) => Ok(None),
        (None, 1) => Ok(p.geometries.pop()),
        (None, _)
            if p.geometries
                .iter()
                .all(|g| matches!(g, Geometry::Polygon(_))) =>
        {
            Ok(Some(Geometry::MultiPolygon(MultiPolygon(
                p.geometries
                    .into_iter()
                    .filter_map(|g| Polygon::try_from(g).ok())
                    .collect(),
            ))))
        }
        (None, _) => Ok(Some(Geometry::GeometryCollection(GeometryCollection(
            p.geometries,
        )))),
    };
    Row {
        n,
        id: None,
        geometry,
        properties: p.properties,
    }
}

/// `lon,lat[,alt]` tuples separated by white space.
fn coordinates(text: &str) -> Result<Vec<Coord<f64>>, String> {
    text.split_whitespace()
        .map(|tuple| {
            let mut parts = tuple.split(',');
            let mut next = || -> Result<f64, String> {
                parts
                    .next()
                    .ok_or_else(|| format!("coordinates {tuple:?} are not lon,lat"))?
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("coordinates {tuple:?} are not numbers"))
            };
            Ok(Coord {
                x: next()?,
                y: next()?,
            })
        })
        .collect()
}

/// The KML document inside a KMZ: `doc.kml`, or its one `.kml`.
fn kmz(bytes: &[u8], file: &str) -> Result<Vec<u8>, ImportError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| refuse(file, format!("not a readable KMZ: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.to_ascii_lowercase().ends_with(".kml"))
        .collect();
    let name = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("doc.kml"))
        .or(names.first())
        .ok_or_else(|| refuse(file, "a KMZ without a .kml inside"))?
        .clone();
    let mut out = Vec::new();
    zip.by_name(&name)
        .and_then(|mut e| e.read_to_end(&mut out).map_err(Into::into))
        .map_err(|e| refuse(file, format!("{name}: {e}")))?;
    Ok(out)
}
