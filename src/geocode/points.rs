//! Reading an address-point file in the OpenAddresses CSV layout:
//! `LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE` (header names
//! in any case; extra columns such as `ID` and `HASH` ignored).

use super::{AddressPoint, street, unit};
use crate::import::ImportError;

/// Rows skipped, each with its number and why.
pub type Skipped = Vec<(usize, String)>;

/// The points of a file, and each row skipped with why (row numbers as a
/// spreadsheet counts them: the header is row 1).
pub fn read_address_points(
    file: &str,
    bytes: &[u8],
) -> Result<(Vec<AddressPoint>, Skipped), ImportError> {
    let refuse = |reason: String| ImportError::File {
        file: file.to_owned(),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| refuse(format!("not a CSV: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_uppercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(lon), Some(lat), Some(number), Some(street_col)) =
        (col("LON"), col("LAT"), col("NUMBER"), col("STREET"))
    else {
        return Err(refuse(
            "an address-point file needs the OpenAddresses columns LON, LAT, NUMBER and STREET (and may have UNIT, CITY, POSTCODE)".into(),
        ));
    };
    let (unit_col, city, postcode) = (col("UNIT"), col("CITY"), col("POSTCODE"));
    let mut points = Vec::new();
    let mut skipped = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let n = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                skipped.push((n, format!("not a CSV row: {e}")));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("").trim();
        let (x, y) = (get(Some(lon)).parse::<f64>(), get(Some(lat)).parse::<f64>());
        let (Ok(x), Ok(y)) = (x, y) else {
            skipped.push((n, "LON and LAT must be numbers".into()));
            continue;
        };
        if crate::domain::Location::new(x, y).is_err() {
            skipped.push((n, format!("({x}, {y}) is not a longitude and latitude")));
            continue;
        }
        let s = street(get(Some(street_col)));
        let num = get(Some(number)).to_ascii_uppercase();
        if s.is_empty() || num.is_empty() {
            skipped.push((n, "no NUMBER or STREET".into()));
            continue;
        }
        points.push(AddressPoint {
            number: num,
            street: s,
            unit: unit(get(unit_col)),
            city: get(city).to_uppercase(),
            postcode: get(postcode).chars().take(5).collect(),
            lon: x,
            lat: y,
        });
    }
    Ok((points, skipped))
}
