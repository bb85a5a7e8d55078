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
    schools: Vec<Uuid>,
    created_at: chrono::DateTime<chrono::Utc>,
) -> Result<User, StoreError> {
    Ok(User {
        id,
        name,
        role: Role::parse(role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
        schools,
        created_at,
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
