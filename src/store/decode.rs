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
    created_at: chrono::DateTime<chrono::Utc>,
) -> Result<User, StoreError> {
    Ok(User {
        id,
        name,
        role: Role::parse(role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
        created_at,
    })
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
