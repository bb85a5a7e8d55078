//! Tables: CSV, Excel sheets and JSON arrays of objects. Coordinates come
//! from columns found by name (`lon/lng/longitude/x`, `lat/latitude/y`, or
//! `--lon-field/--lat-field`); a row without them may carry an address
//! instead, for the geocoder.

use std::path::Path;

use geo::{Geometry, Point};
use serde_json::{Map, Value};

use super::{Declared, Encoding, Raw, ReadOptions, Row, number, refuse};
use crate::import::ImportError;

/// Column names read as longitude and latitude in degrees, compared without
/// case.
pub const LON_NAMES: &[&str] = &["lon", "lng", "long", "longitude"];
pub const LAT_NAMES: &[&str] = &["lat", "latitude"];
/// Column names read as a position in whatever system the file is in.
const X_NAMES: &[&str] = &["x", "point_x", "easting"];
const Y_NAMES: &[&str] = &["y", "point_y", "northing"];
/// Column names read as a whole geometry in well-known text.
const WKT_NAMES: &[&str] = &["wkt", "geometry", "the_geom", "geom", "shape"];

/// A table before its coordinates are found: headers and numbered records.
struct Sheet {
    headers: Vec<String>,
    records: Vec<(usize, Vec<Value>)>,
}

pub(super) fn read_csv(
    bytes: &[u8],
    file: &str,
    options: &ReadOptions,
) -> Result<Raw, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let decoded;
    let bytes = match options.encoding {
        Encoding::Utf8 => bytes,
        Encoding::Latin1 => {
            decoded = encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned();
            decoded.as_bytes()
        }
    };
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| first_line.iter().filter(|b| **b == c).count();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|c| count(*c))
        .filter(|c| count(*c) > 0)
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let utf8 = |n: usize, field: &[u8]| -> Result<String, ImportError> {
        String::from_utf8(field.to_vec()).map_err(|_| {
            refuse(
                file,
                format!(
                    "row {n} is not UTF-8 text (the file looks like Latin-1 or Windows-1252, as older Excel saves CSV): save it as \"CSV UTF-8\" or pass --encoding latin1"
                ),
            )
        })
    };
    let headers = reader
        .byte_headers()
        .map_err(|e| refuse(file, format!("row 1: {e}")))?
        .iter()
        .map(|h| utf8(1, h).map(|h| h.trim().to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    check_headers(&headers, file)?;
    let mut records = Vec::new();
    for (i, record) in reader.byte_records().enumerate() {
        let n = i + 2;
        let record = record.map_err(|e| refuse(file, format!("row {n}: {e}")))?;
        let values = record
            .iter()
            .map(|f| utf8(n, f).map(|s| Value::String(s.trim().to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        if values.iter().all(|v| v.as_str().is_some_and(str::is_empty)) {
            continue;
        }
        if values.len() > headers.len() {
            return Err(refuse(
                file,
                format!(
                    "row {n} has {} values but the header names {} columns",
                    values.len(),
                    headers.len()
                ),
            ));
        }
        records.push((n, values));
    }
    rows_of(Sheet { headers, records }, file, options)
}

pub(super) fn read_xlsx(
    path: &Path,
    file: &str,
    options: &ReadOptions,
) -> Result<Raw, ImportError> {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(path)
        .map_err(|e| refuse(file, format!("not a readable .xlsx workbook: {e}")))?;
    let names = book.sheet_names();
    let sheet = match &options.sheet {
        Some(s) => names.iter().find(|n| *n == s).cloned().ok_or_else(|| {
            refuse(
                file,
                format!("has no sheet {s:?} (its sheets: {})", names.join(", ")),
            )
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| refuse(file, "has no sheets"))?,
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| refuse(file, format!("sheet {sheet:?}: {e}")))?;
    let Some((top, _)) = range.start() else {
        return rows_of(
            Sheet {
                headers: Vec::new(),
                records: Vec::new(),
            },
            file,
            options,
        );
    };
    let merged = book
        .merge_cells_by_sheet_name(&sheet)
        .map_err(|e| refuse(file, format!("sheet {sheet:?}: {e}")))?;
    if let Some(m) = merged.iter().find(|m| m.start.0 <= top && m.end.0 >= top) {
        return Err(refuse(
            file,
            format!(
                "sheet {sheet:?}, row {}: merged header cells {}:{}; give each column a header of its own",
                top + 1,
                cell_name(m.start),
                cell_name(m.end)
            ),
        ));
    }
    let mut rows = range.rows();
    let headers: Vec<String> = rows
        .next()
        .unwrap_or_default()
        .iter()
        .map(|c| c.to_string().trim().to_owned())
        .collect();
    check_headers(&headers, file)?;
    let mut records = Vec::new();
    for (i, cells) in rows.enumerate() {
        let n = top as usize + i + 2;
        let values: Vec<Value> = cells
            .iter()
            .map(|c| match c {
                Data::Empty | Data::Error(_) => Value::Null,
                Data::String(s) => Value::String(s.trim().to_owned()),
                Data::Int(i) => Value::from(*i),
                Data::Float(f) => number(*f),
                Data::Bool(b) => Value::Bool(*b),
                Data::DateTime(d) => match d.as_datetime() {
                    Some(t) if t.time() == chrono::NaiveTime::MIN => {
                        Value::String(t.date().format("%Y-%m-%d").to_string())
                    }
                    Some(t) => Value::String(t.format("%Y-%m-%dT%H:%M:%S").to_string()),
                    None => Value::String(d.to_string()),
                },
                Data::DateTimeIso(s) | Data::DurationIso(s) => Value::String(s.clone()),
            })
            .collect();
        if values.iter().all(is_blank) {
            continue;
        }
        records.push((n, values));
    }
    rows_of(Sheet { headers, records }, file, options)
}

/// `B1`, as a spreadsheet names a cell.
fn cell_name((row, col): (u32, u32)) -> String {
    let mut letters = String::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.insert(0, char::from(b'A' + r as u8));
        c = (c - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// A JSON array of objects, each a row (a school list as an API gives it).
pub(super) fn from_objects(
    items: Vec<Value>,
    file: &str,
    options: &ReadOptions,
) -> Result<Raw, ImportError> {
    let mut headers: Vec<String> = Vec::new();
    let mut objects = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::Object(o) => {
                for k in o.keys() {
                    if !headers.contains(k) {
                        headers.push(k.clone());
                    }
                }
                objects.push(o);
            }
            other => {
                return Err(refuse(
                    file,
                    format!(
                        "item {} of the array is {other}, not an object: expected GeoJSON, or a JSON array of objects (one per row)",
                        i + 1
                    ),
                ));
            }
        }
    }
    let records = objects
        .into_iter()
        .enumerate()
        .map(|(i, mut o)| {
            let values = headers
                .iter()
                .map(|h| o.remove(h).unwrap_or(Value::Null))
                .collect();
            (i + 1, values)
        })
        .collect();
    let mut raw = rows_of(Sheet { headers, records }, file, options)?;
    raw.unit = "item";
    Ok(raw)
}

fn check_headers(headers: &[String], file: &str) -> Result<(), ImportError> {
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(j) = headers[..i].iter().position(|o| o.eq_ignore_ascii_case(h)) {
            return Err(refuse(
                file,
                format!(
                    "columns {} and {} are both headed {h:?}; give each column a header of its own",
                    j + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn find(headers: &[String], given: Option<&str>, names: &[&str]) -> Option<usize> {
    match given {
        Some(g) => headers.iter().position(|h| h == g),
        None => names
            .iter()
            .find_map(|n| headers.iter().position(|h| h.eq_ignore_ascii_case(n))),
    }
}

fn coordinate(v: &Value) -> Result<Option<f64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("{s:?} is not a number")),
        other => Err(format!("{other} is not a number")),
    }
}

/// Rows with their coordinates found, and the system they are in.
fn rows_of(sheet: Sheet, file: &str, options: &ReadOptions) -> Result<Raw, ImportError> {
    let Sheet { headers, records } = sheet;
    for (flag, given) in [
        ("--lon-field", &options.lon_field),
        ("--lat-field", &options.lat_field),
    ] {
        if let Some(g) = given
            && !headers.contains(g)
        {
            return Err(refuse(
                file,
                format!(
                    "{flag} {g:?} names no column (the columns: {})",
                    headers.join(", ")
                ),
            ));
        }
    }
    let degrees = (
        find(&headers, options.lon_field.as_deref(), LON_NAMES),
        find(&headers, options.lat_field.as_deref(), LAT_NAMES),
    );
    let xy = (find(&headers, None, X_NAMES), find(&headers, None, Y_NAMES));
    let named = options.lon_field.is_some() || options.lat_field.is_some();
    let wkt_column = find(&headers, None, WKT_NAMES).filter(|_| !named);
    let (columns, in_degrees) = match (degrees, xy) {
        ((Some(x), Some(y)), _) => (Some((x, y)), true),
        (_, (Some(x), Some(y))) if !named => (Some((x, y)), false),
        _ if wkt_column.is_some() => (None, false),
        _ => (None, true),
    };
    let mut rows = Vec::with_capacity(records.len());
    let mut beyond_degrees = false;
    for (n, values) in records {
        let mut properties = Map::new();
        let mut geometry = Ok(None);
        if let Some((xi, yi)) = columns {
            let get = |i: usize| values.get(i).unwrap_or(&Value::Null);
            geometry = match (coordinate(get(xi)), coordinate(get(yi))) {
                (Ok(Some(x)), Ok(Some(y))) => {
                    if x.abs() > 180.0 || y.abs() > 90.0 {
                        beyond_degrees = true;
                    }
                    Ok(Some(Geometry::Point(Point::new(x, y))))
                }
                (Ok(None), Ok(None)) => Ok(None),
                (Ok(None), Ok(Some(_))) | (Ok(Some(_)), Ok(None)) => {
                    Err("has only one of its two coordinates".to_owned())
                }
                (Err(e), _) => Err(format!("{}: {e}", headers[xi])),
                (_, Err(e)) => Err(format!("{}: {e}", headers[yi])),
            };
        }
        if let (None, Some(w)) = (columns, wkt_column) {
            geometry = match values.get(w) {
                Some(Value::String(text)) if !text.trim().is_empty() => match wkt_geometry(text) {
                    Ok(g) => {
                        use geo::BoundingRect;
                        if g.bounding_rect().is_some_and(|r| {
                            r.min().x < -180.0
                                || r.max().x > 180.0
                                || r.min().y < -90.0
                                || r.max().y > 90.0
                        }) {
                            beyond_degrees = true;
                        }
                        Ok(Some(g))
                    }
                    Err(e) => Err(format!("{}: {e}", headers[w])),
                },
                _ => Ok(None),
            };
        }
        for (i, v) in values.into_iter().enumerate() {
            if is_blank(&v)
                || columns.is_some_and(|(x, y)| i == x || i == y)
                || (columns.is_none() && wkt_column == Some(i))
            {
                continue;
            }
            let Some(h) = headers.get(i).filter(|h| !h.is_empty()) else {
                continue;
            };
            properties.insert(h.clone(), v);
        }
        rows.push(Row {
            n,
            id: None,
            geometry,
            properties,
        });
    }
    let declared = match columns {
        None if wkt_column.is_some() && !beyond_degrees => {
            Declared::Wgs84("well-known text holding degrees")
        }
        None if wkt_column.is_some() => {
            Declared::Unknown("its well-known text holds projected coordinates, not degrees".into())
        }
        None => Declared::Unknown("no coordinate columns".into()),
        Some(_) if in_degrees => Declared::Wgs84("longitude/latitude columns in degrees"),
        Some(_) if !beyond_degrees => Declared::Wgs84("x/y columns holding degrees"),
        Some((x, y)) => Declared::Unknown(format!(
            "columns {:?}/{:?} hold projected coordinates, not degrees",
            headers[x], headers[y]
        )),
    };
    Ok(Raw {
        unit: "row",
        declared,
        rows,
        warnings: Vec::new(),
    })
}

/// A geometry written as well-known text (`POINT (…)`, `MULTIPOLYGON (…)`,
/// with or without Z/M, which are dropped), as GDAL writes it in a CSV.
fn wkt_geometry(text: &str) -> Result<Geometry<f64>, String> {
    use geo::{Coord, LineString, MultiLineString, MultiPoint, MultiPolygon, Polygon};
    let text = text.trim();
    let open = text
        .find('(')
        .ok_or("not well-known text: no coordinates")?;
    let mut words = text[..open].split_whitespace();
    let kind = words.next().unwrap_or_default().to_ascii_uppercase();
    let body = text[open..].trim();
    let tree = Tree::parse(body)?;
    let coord = |t: &Tree| -> Result<Coord<f64>, String> {
        match t {
            Tree::Coord(c) => Ok(*c),
            Tree::List(_) => Err("not well-known text: a position expected".to_owned()),
        }
    };
    let list = |t: &Tree| -> Result<Vec<Tree>, String> {
        match t {
            Tree::List(l) => Ok(l.clone()),
            Tree::Coord(_) => Err("not well-known text: a list expected".to_owned()),
        }
    };
    let line = |t: &Tree| -> Result<LineString<f64>, String> {
        list(t)?
            .iter()
            .map(coord)
            .collect::<Result<Vec<_>, _>>()
            .map(LineString::new)
    };
    let polygon = |t: &Tree| -> Result<Polygon<f64>, String> {
        let mut rings = list(t)?.iter().map(line).collect::<Result<Vec<_>, _>>()?;
        if rings.is_empty() {
            return Err("not well-known text: a polygon without rings".into());
        }
        let exterior = rings.remove(0);
        Ok(Polygon::new(exterior, rings))
    };
    let point = |t: &Tree| -> Result<geo::Point<f64>, String> {
        match t {
            Tree::Coord(c) => Ok(geo::Point(*c)),
            Tree::List(l) if l.len() == 1 => coord(&l[0]).map(geo::Point),
            _ => Err("not well-known text: a point expected".to_owned()),
        }
    };
    Ok(match kind.as_str() {
        "POINT" => Geometry::Point(point(&tree)?),
        "LINESTRING" => Geometry::LineString(line(&tree)?),
        "POLYGON" => Geometry::Polygon(polygon(&tree)?),
        "MULTIPOINT" => Geometry::MultiPoint(MultiPoint(
            list(&tree)?.iter().map(point).collect::<Result<_, _>>()?,
        )),
        "MULTILINESTRING" => Geometry::MultiLineString(MultiLineString(
            list(&tree)?.iter().map(line).collect::<Result<_, _>>()?,
        )),
        "MULTIPOLYGON" => Geometry::MultiPolygon(MultiPolygon(
            list(&tree)?.iter().map(polygon).collect::<Result<_, _>>()?,
        )),
        other => return Err(format!("not well-known text assetmap reads: {other:?}")),
    })
}

/// The parenthesized body of well-known text: lists of lists of positions.
#[derive(Clone)]
enum Tree {
    Coord(geo::Coord<f64>),
    List(Vec<Tree>),
}

impl Tree {
    fn parse(body: &str) -> Result<Tree, String> {
        let mut stack: Vec<Vec<Tree>> = Vec::new();
        let mut done = None;
        let mut number = String::new();
        let mut position: Vec<f64> = Vec::new();
        let flush = |number: &mut String, position: &mut Vec<f64>| -> Result<(), String> {
            if !number.is_empty() {
                position.push(
                    number
                        .parse()
                        .map_err(|_| format!("not well-known text: {number:?} is not a number"))?,
                );
                number.clear();
            }
            Ok(())
        };
        let end_position =
            |position: &mut Vec<f64>, stack: &mut Vec<Vec<Tree>>| -> Result<(), String> {
                if position.is_empty() {
                    return Ok(());
                }
                if position.len() < 2 {
                    return Err("not well-known text: a position needs two numbers".into());
                }
                let c = geo::Coord {
                    x: position[0],
                    y: position[1],
                };
                position.clear();
                stack
                    .last_mut()
                    .ok_or("not well-known text: unbalanced parentheses")?
                    .push(Tree::Coord(c));
                Ok(())
            };
        for ch in body.chars() {
            if done.is_some() && !ch.is_whitespace() {
                return Err("not well-known text: text after the last parenthesis".into());
            }
            match ch {
                '(' => stack.push(Vec::new()),
                ')' => {
                    flush(&mut number, &mut position)?;
                    end_position(&mut position, &mut stack)?;
                    let items = stack
                        .pop()
                        .ok_or("not well-known text: unbalanced parentheses")?;
                    match stack.last_mut() {
                        Some(parent) => parent.push(Tree::List(items)),
                        None => done = Some(Tree::List(items)),
                    }
                }
                ',' => {
                    flush(&mut number, &mut position)?;
                    end_position(&mut position, &mut stack)?;
                }
                c if c.is_whitespace() => flush(&mut number, &mut position)?,
                c => number.push(c),
            }
        }
        done.ok_or_else(|| "not well-known text: unbalanced parentheses".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_text_as_gdal_writes_it() {
        let g =
            wkt_geometry("MULTIPOLYGON (((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6 9,5 5)))").expect("wkt");
        match g {
            Geometry::MultiPolygon(mp) => {
                assert_eq!(mp.0.len(), 2);
                assert_eq!(mp.0[1].exterior().0[2], geo::Coord { x: 6.0, y: 6.0 });
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            wkt_geometry("POINT (-122.3 47.6)").expect("point"),
            Geometry::Point(geo::Point::new(-122.3, 47.6))
        );
        for bad in [
            "POINT (1)",
            "POLYGON ((0 0, 1 1)",
            "CIRCLE (1 2)",
            "POINT (a b)",
            "POINT (1 2))",
        ] {
            assert!(wkt_geometry(bad).is_err(), "{bad}");
        }
    }
}
