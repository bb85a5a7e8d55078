//! Decoding what both stores keep as text or JSON: areas as GeoJSON, string
//! lists, extra properties, users' roles.

use uuid::Uuid;

use super::StoreError;
use crate::domain::{Role, User};

/// Reads a MultiPolygon from GeoJSON text (as both stores hand it back).
pub(super) fn multipolygon_from_geojson(raw: &str) -> Result<geo::MultiPolygon<f64>, StoreError> {
    let g: geojson::Geometry = raw
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("geometry: {e}")))?;
    match &g.value {
        geojson::GeometryValue::Polygon { .. } => geo::Polygon::<f64>::try_from(&g.value)
            .map(|p| geo::MultiPolygon(vec![p]))
            .map_err(|e| StoreError::Corrupt(format!("geometry: {e}"))),
        _ => geo::MultiPolygon::<f64>::try_from(&g.value)
            .map_err(|e| StoreError::Corrupt(format!("geometry: {e}"))),
    }
}

/// A user from stored columns.
pub(super) fn user(
    id: Uuid,
    name: String,
    role: &str,
    (schools, districts): (Vec<Uuid>, Vec<String>),
    created_at: chrono::DateTime<chrono::Utc>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<User, StoreError> {
    Ok(User {
        id,
        name,
        role: Role::parse(role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
        schools,
        districts,
        created_at,
        expires_at,
    })
}

/// A partnership's fields or a log entry, from the JSON both stores keep.
pub(super) fn json_record<T: serde::de::DeserializeOwned>(
    what: &str,
    id: Uuid,
    raw: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{what} {id}: {e}")))
}

/// Puts each partnership's log entries (in order) into it.
pub(super) fn attach_logs(
    partnerships: &mut [crate::domain::Partnership],
    logs: Vec<(Uuid, crate::domain::partnership::LogEntry)>,
) {
    let at: std::collections::HashMap<Uuid, usize> = partnerships
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i))
        .collect();
    for (pid, entry) in logs {
        if let Some(&i) = at.get(&pid) {
            partnerships[i].log.push(entry);
        }
    }
}

/// Parses a JSON array of strings stored as text.
pub(super) fn string_list(raw: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("string list: {e}")))
}

/// Parses a JSON object stored as text.
pub(super) fn json_object(
    raw: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("extra properties: {e}")))
}

/// An asset's translations as stored (PostGIS jsonb).
pub(super) fn translations_value(
    v: serde_json::Value,
) -> Result<crate::domain::Translations, StoreError> {
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("translations: {e}")))
}

/// An asset's translations as stored (SQLite JSON text).
pub(super) fn translations_text(raw: &str) -> Result<crate::domain::Translations, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("translations: {e}")))
}

/// A stored row that did not make a valid domain value, left out of the
/// bulk reads until it is fixed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedRow {
    pub table: &'static str,
    pub id: String,
    pub reason: String,
}

/// The rows the bulk reads skipped because they do not decode (set from psql
/// or QGIS, say), by table and id. Each is logged once, when first met; a row
/// that decodes again leaves the set. A server keeps serving everything else,
/// and says it is degraded on `/readyz`.
#[derive(Debug, Clone, Default)]
pub struct Skipped(
    std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<(&'static str, String), String>>>,
);

impl Skipped {
    /// [`Skipped::decode_all`] of one keyset page of `limit` rows, with where
    /// the next page starts: the last row's id when the page was full (a row
    /// left out still moves the page on), `None` after the last.
    pub(super) fn decode_page<R, T>(
        &self,
        table: &'static str,
        rows: Vec<R>,
        limit: i64,
        id_of: impl Fn(&R) -> String,
        decode: impl Fn(R) -> Result<T, StoreError>,
    ) -> Result<(Vec<T>, Option<uuid::Uuid>), StoreError> {
        let next = match rows.last() {
            Some(last) if rows.len() as i64 == limit => Some(
                id_of(last)
                    .parse()
                    .map_err(|e: uuid::Error| StoreError::Corrupt(e.to_string()))?,
            ),
            _ => None,
        };
        Ok((self.decode_all(table, rows, id_of, decode), next))
    }

    /// Decodes every row it can; the others are recorded and left out.
    pub(super) fn decode_all<R, T>(
        &self,
        table: &'static str,
        rows: Vec<R>,
        id_of: impl Fn(&R) -> String,
        decode: impl Fn(R) -> Result<T, StoreError>,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(rows.len());
        let mut fixed = Vec::new();
        let mut broken = Vec::new();
        // Ids of good rows are only needed to clear earlier skips.
        let any_known = !self.lock().is_empty();
        for row in rows {
            let id = id_of(&row);
            match decode(row) {
                Ok(v) => {
                    out.push(v);
                    if any_known {
                        fixed.push(id);
                    }
                }
                Err(e) => broken.push((id, e)),
            }
        }
        if !broken.is_empty() || !fixed.is_empty() {
            let mut known = self.lock();
            for id in fixed {
                known.remove(&(table, id));
            }
            for (id, e) in broken {
                let reason = e.to_string();
                if known.insert((table, id.clone()), reason.clone()).is_none() {
                    tracing::error!(table, id = %id, error = %reason, "skipping a stored row that does not decode; fix it and it comes back");
                }
            }
        }
        out
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<(&'static str, String), String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The rows skipped now.
    pub fn list(&self) -> Vec<SkippedRow> {
        self.lock()
            .iter()
            .map(|((table, id), reason)| SkippedRow {
                table,
                id: id.clone(),
                reason: reason.clone(),
            })
            .collect()
    }
}

/// An address point's columns: street, number, unit, city, postcode, lon, lat.
pub(super) type PointRow = (String, String, String, String, String, f64, f64);

/// An address point from its columns.
pub(super) fn point(
    (street, number, unit, city, postcode, lon, lat): PointRow,
) -> crate::geocode::AddressPoint {
    crate::geocode::AddressPoint {
        number,
        street,
        unit,
        city,
        postcode,
        lon,
        lat,
    }
}

/// An outside geocoder's answer from its columns.
pub(super) fn geocoded(
    (lon, lat, quality): (Option<f64>, Option<f64>, String),
) -> Result<super::Geocoded, StoreError> {
    Ok(super::Geocoded {
        point: lon.zip(lat),
        quality: crate::geocode::Quality::parse(&quality)
            .ok_or_else(|| StoreError::Corrupt(format!("geocode quality {quality:?}")))?,
    })
}
