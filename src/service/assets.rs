//! Writing assets: create, replace, merge-patch and delete. Editors and admins
//! publish directly; an organization's new listing waits for review, and its
//! change to a published listing is held as a proposal while the published
//! version stays.

use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

use super::features::{diff, feature_value};
use super::{Service, ServiceError, reviewed};
use crate::domain::validate;
use crate::domain::{Asset, AssetFields, Role, Status, User};
use crate::store::{Change, HistoryRecord, RevisionChange, RowChange};

/// What a write to an existing asset did.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// The asset's new version is stored (and public when approved).
    Stored(Box<Asset>),
    /// The change is held for review as this Feature; the published version stays.
    Proposed(Value),
}

impl Service {
    /// A new asset from a Feature. An organization's new listing is pending
    /// and owned by it; an editor's is published.
    pub async fn create(&self, by: &User, feature: &Value) -> Result<Asset, ServiceError> {
        if by.role == Role::School {
            return Err(ServiceError::Forbidden(
                "school staff keep their schools' partnerships; assets are written by editors and organizations",
            ));
        }
        let fields = validate::feature(feature)?;
        let pending = reviewed(by);
        let status = if pending {
            Status::Pending
        } else {
            Status::Approved
        };
        let asset = Asset::new(Uuid::new_v4(), fields, status, Utc::now());
        self.apply(&Change {
            asset: asset.id,
            owner: pending.then_some(by.id),
            revision: RevisionChange::Keep,
            history: HistoryRecord {
                user: Some(by.id),
                action: if pending { "submitted" } else { "created" },
                changes: diff(None, &feature_value(&asset)),
            },
            row: RowChange::Insert(asset.clone()),
        })
        .await?;
        Ok(asset)
    }

    /// Replaces an asset with a Feature.
    pub async fn replace(
        &self,
        by: &User,
        id: Uuid,
        feature: &Value,
    ) -> Result<Written, ServiceError> {
        let fields = validate::feature(feature)?;
        let existing = self.existing(id).await?;
        self.may_change(by, id).await?;
        self.store_version(by, fields, &existing).await
    }

    /// Applies an RFC 7396 merge patch to the asset as the API shows it.
    pub async fn patch(&self, by: &User, id: Uuid, patch: &Value) -> Result<Written, ServiceError> {
        let existing = self.existing(id).await?;
        self.may_change(by, id).await?;
        let mut current = feature_value(&existing);
        validate::merge_patch(&mut current, patch);
        let fields = validate::feature(&current)?;
        self.store_version(by, fields, &existing).await
    }

    /// Deletes an asset.
    pub async fn delete(&self, by: &User, id: Uuid) -> Result<(), ServiceError> {
        let existing = self.existing(id).await?;
        self.may_change(by, id).await?;
        self.apply(&Change {
            asset: id,
            row: RowChange::Delete,
            owner: None,
            revision: RevisionChange::Keep,
            history: HistoryRecord {
                user: Some(by.id),
                action: "deleted",
                changes: diff(Some(&feature_value(&existing)), &Value::Null),
            },
        })
        .await
    }

    /// Commits a new version of an existing asset. An organization's change to
    /// a published listing becomes a proposal; its change to its own pending
    /// listing replaces it (still pending).
    async fn store_version(
        &self,
        by: &User,
        fields: AssetFields,
        existing: &Asset,
    ) -> Result<Written, ServiceError> {
        let old = feature_value(existing);
        let pending = reviewed(by);
        let status = if pending {
            Status::Pending
        } else {
            Status::Approved
        };
        let asset = Asset::new(existing.id, fields, status, existing.created_at);
        let new = feature_value(&asset);
        let history = |action| HistoryRecord {
            user: Some(by.id),
            action,
            changes: diff(Some(&old), &new),
        };
        if pending && existing.status == Status::Approved {
            self.apply(&Change {
                asset: existing.id,
                row: RowChange::Keep,
                owner: None,
                revision: RevisionChange::Put {
                    by: by.id,
                    feature: new.clone(),
                },
                history: history("revision submitted"),
            })
            .await?;
            return Ok(Written::Proposed(new));
        }
        self.apply(&Change {
            asset: existing.id,
            row: RowChange::Replace(asset.clone()),
            owner: None,
            revision: RevisionChange::Keep,
            history: history("updated"),
        })
        .await?;
        Ok(Written::Stored(Box::new(asset)))
    }
}
