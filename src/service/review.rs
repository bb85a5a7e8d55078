//! Reviewing what organizations submitted: approve (publish and verify) or
//! reject (with a reason the organization reads in the listing's history).

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::assets::is_deletion;
use super::features::{diff, feature_value};
use super::{Service, ServiceError, reviewer, stale};
use crate::domain::validate;
use crate::domain::{Asset, Status, User};
use crate::store::{Change, HistoryRecord, RevisionChange, RowChange};

/// Why a review is refused when the listing changed after the reviewer saw it.
const CHANGED: &str =
    "the listing or its proposal changed since it was loaded; reload the queue and review it again";

/// What an approval did.
#[derive(Debug, Clone, PartialEq)]
pub enum Approved {
    /// The listing or its proposed change is published.
    Published(Box<Asset>),
    /// The organization's request to take its listing down is carried out.
    Deleted,
}

impl Service {
    /// Publishes what awaits review of a listing (its proposal, else the
    /// pending listing itself); approval is a verification.
    pub async fn approve(
        &self,
        by: &User,
        id: Uuid,
        seen: Option<i64>,
    ) -> Result<Approved, ServiceError> {
        reviewer(by)?;
        let existing = self.existing(id).await?;
        let revision = self.store.revision(id).await?;
        let (row, action, changes, outcome) = match revision {
            // An organization asked to take its published listing down.
            Some(r) if is_deletion(&r.feature) => (
                RowChange::Delete,
                "deleted",
                json!({"requested_by": r.by, "fields": diff(Some(&feature_value(&existing)), &serde_json::Value::Null)}),
                Approved::Deleted,
            ),
            other => {
                let mut approved = match other {
                    Some(r) => {
                        let fields = validate::feature(&r.feature).map_err(|_| {
                            ServiceError::Conflict("the proposed version is no longer valid")
                        })?;
                        Asset::new(id, fields, Status::Approved, existing.created_at)
                    }
                    None if existing.status != Status::Approved => Asset {
                        status: Status::Approved,
                        ..existing.clone()
                    },
                    None => {
                        return Err(ServiceError::Conflict(
                            "nothing of this listing awaits review",
                        ));
                    }
                };
                if crate::domain::asset::location_needed(&approved.fields) {
                    return Err(ServiceError::Conflict(
                        "its address could not be placed: move it to where it is on the map (send its geometry) before approving",
                    ));
                }
                approved.fields.last_verified = Some(Utc::now().date_naive());
                approved.updated_at = Utc::now();
                let changes = diff(Some(&feature_value(&existing)), &feature_value(&approved));
                (
                    RowChange::Replace(approved.clone()),
                    "approved",
                    changes,
                    Approved::Published(Box::new(approved)),
                )
            }
        };
        let version = self
            .apply(&Change {
                asset: id,
                expected_version: seen.or(Some(existing.version)),
                owner: None,
                revision: RevisionChange::Drop,
                history: HistoryRecord {
                    user: Some(by.id),
                    action,
                    changes,
                },
                row,
            })
            .await
            .map_err(|e| stale(e, false, CHANGED))?;
        Ok(match outcome {
            Approved::Published(a) => Approved::Published(Box::new(Asset {
                version: version.unwrap_or(a.version),
                ..*a
            })),
            deleted => deleted,
        })
    }

    /// Turns down what awaits review: a proposal is dropped (the published
    /// version stays), a pending listing becomes rejected.
    pub async fn reject(
        &self,
        by: &User,
        id: Uuid,
        reason: &str,
        seen: Option<i64>,
    ) -> Result<(), ServiceError> {
        reviewer(by)?;
        let existing = self.existing(id).await?;
        let (row, revision) = if self.store.revision(id).await?.is_some() {
            (RowChange::Keep, RevisionChange::Drop)
        } else if existing.status == Status::Pending {
            let rejected = Asset {
                status: Status::Rejected,
                updated_at: Utc::now(),
                ..existing
            };
            (RowChange::Replace(rejected), RevisionChange::Keep)
        } else {
            return Err(ServiceError::Conflict(
                "nothing of this listing awaits review",
            ));
        };
        self.apply(&Change {
            asset: id,
            expected_version: seen.or(Some(existing.version)),
            row,
            owner: None,
            revision,
            history: HistoryRecord {
                user: Some(by.id),
                action: "rejected",
                changes: json!({ "reason": reason }),
            },
        })
        .await
        .map_err(|e| stale(e, false, CHANGED))?;
        Ok(())
    }
}
