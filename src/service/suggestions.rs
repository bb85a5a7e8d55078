//! A family's suggestion of a missing asset: a pending listing with no owner,
//! its history entry holding how the family knows it and their contact (read
//! only by reviewers), never public until approved.

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use super::features::{diff, feature_value};
use super::{Service, ServiceError};
use crate::domain::suggestion::{self, Suggestion};
use crate::domain::{Asset, Status};
use crate::store::{Change, HistoryEntry, HistoryRecord, RevisionChange, RowChange};

/// The history action of a suggestion.
pub const SUGGESTED: &str = "suggested";

/// The suggestion details (how known, contact) recorded in a listing's first
/// history entry, when the listing came from a family's suggestion.
pub fn suggestion_of(history: &[HistoryEntry]) -> Option<Value> {
    let first = history.first().filter(|h| h.action == SUGGESTED)?;
    first
        .changes
        .as_array()?
        .iter()
        .find(|c| c["field"] == "suggestion")
        .map(|c| c["new"].clone())
}

impl Service {
    /// Files a family's suggestion for review. `Ok(None)` when a bot filled the
    /// honeypot: nothing is stored and the caller answers as if it were.
    pub async fn suggest(&self, body: &Value) -> Result<Option<Uuid>, ServiceError> {
        let Some(Suggestion {
            fields,
            how_known,
            contact,
        }) = suggestion::suggestion(body)?
        else {
            return Ok(None);
        };
        let asset = Asset::new(Uuid::new_v4(), fields, Status::Pending, Utc::now());
        let mut changes = diff(None, &feature_value(&asset));
        if let Value::Array(items) = &mut changes {
            items.push(json!({
                "field": "suggestion",
                "old": null,
                "new": {"how_known": how_known, "contact": contact},
            }));
        }
        self.apply(&Change {
            asset: asset.id,
            expected_version: None,
            owner: None,
            revision: RevisionChange::Keep,
            history: HistoryRecord {
                user: None,
                action: SUGGESTED,
                changes,
            },
            row: RowChange::Insert(asset.clone()),
        })
        .await?;
        Ok(Some(asset.id))
    }
}
