//! Assets as the API shows them (GeoJSON Feature values) and the field-by-field
//! differences between two versions that the history records.

use serde_json::{Value, json};

use crate::domain::Asset;
use crate::encode;

/// An asset as the API shows it.
pub fn feature_value(a: &Asset) -> Value {
    serde_json::from_slice(&encode::asset_feature(a).bytes).unwrap_or(Value::Null)
}

/// Field-by-field differences between two Features as the API shows them:
/// `[{"field", "old", "new"}]`, like HSDS metadata records.
pub fn diff(old: Option<&Value>, new: &Value) -> Value {
    let mut out = Vec::new();
    let old_geom = old.map(|o| &o["geometry"]["coordinates"]);
    if old_geom != Some(&new["geometry"]["coordinates"]) {
        out.push(
            json!({"field": "geometry", "old": old_geom, "new": new["geometry"]["coordinates"]}),
        );
    }
    let empty = serde_json::Map::new();
    let np = new["properties"].as_object().unwrap_or(&empty);
    let op = old
        .and_then(|o| o["properties"].as_object())
        .unwrap_or(&empty);
    let mut keys: Vec<&String> = np.keys().chain(op.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        if matches!(
            k.as_str(),
            "created_at"
                | "updated_at"
                | "status"
                | "open_now"
                | "open_evenings"
                | "open_weekends"
                | "hours_text"
        ) {
            continue;
        }
        let (a, b) = (
            op.get(k).unwrap_or(&Value::Null),
            np.get(k).unwrap_or(&Value::Null),
        );
        if a != b {
            out.push(json!({"field": k, "old": a, "new": b}));
        }
    }
    Value::Array(out)
}
