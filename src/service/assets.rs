//! Writing assets: create, replace, merge-patch and delete. Editors and admins
//! publish directly; an organization's new listing waits for review, and its
//! change to a published listing is held as a proposal while the published
//! version stays.

use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

use super::features::{diff, feature_value};
use super::{Service, ServiceError, reviewed, stale};
use crate::domain::validate::{self, Violation};
use crate::domain::{Asset, AssetFields, Role, Status, User};
use crate::store::{Change, HistoryRecord, RevisionChange, RowChange};

/// The member of a proposal that marks it as a request to delete the listing.
pub const DELETION: &str = "assetmap:deletion";

/// Whether a proposal asks for the listing's deletion.
pub fn is_deletion(feature: &Value) -> bool {
    feature[DELETION] == Value::Bool(true)
}

/// An organization may send provenance back as it is, never set or change it:
/// `source` and `source_id` are what the district's imports match on.
fn provenance_unchanged(
    fields: &AssetFields,
    existing: Option<&Asset>,
) -> Result<(), ServiceError> {
    let (source, source_id) = existing.map_or((None, None), |e| {
        (e.fields.source.as_deref(), e.fields.source_id.as_deref())
    });
    let mut errors = Vec::new();
    for (name, given, kept) in [
        ("properties.source", fields.source.as_deref(), source),
        (
            "properties.source_id",
            fields.source_id.as_deref(),
            source_id,
        ),
    ] {
        if given.is_some() && given != kept {
            errors.push(Violation {
                field: name.into(),
                detail: "is set by the district's imports; organizations cannot set or change it"
                    .into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// Why a write is refused when the listing changed under it (the client
/// named no version; with `If-Match` it is 412).
const CHANGED: &str = "the listing changed meanwhile; read it again and send your change again";

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
        let mut fields = validate::feature(feature)?;
        let pending = reviewed(by);
        if pending {
            provenance_unchanged(&fields, None)?;
            self.room_for_submission(by).await?;
            fields.source = None;
            fields.source_id = None;
        }
        let status = if pending {
            Status::Pending
        } else {
            Status::Approved
        };
        let asset = Asset::new(Uuid::new_v4(), fields, status, Utc::now());
        self.apply(&Change {
            asset: asset.id,
            expected_version: None,
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
    /// `if_match`: the version the client last saw (`If-Match`); 412 when the
    /// stored one differs.
    pub async fn replace(
        &self,
        by: &User,
        id: Uuid,
        feature: &Value,
        if_match: Option<i64>,
    ) -> Result<Written, ServiceError> {
        let fields = validate::feature(feature)?;
        let existing = self.existing(id).await?;
        self.may_change(by, id).await?;
        self.store_version(by, fields, &existing, if_match)
            .await
            .map_err(|e| stale(e, if_match.is_some(), CHANGED))
    }

    /// What an organization's patch applies to: its proposal awaiting review
    /// when it has one (so a second patch keeps the first), else the listing.
    async fn patch_base(&self, by: &User, existing: &Asset) -> Result<Value, ServiceError> {
        if reviewed(by)
            && let Some(r) = self.store.revision(existing.id).await?
            && r.by == by.id
            && !is_deletion(&r.feature)
        {
            return Ok(r.feature);
        }
        Ok(feature_value(existing))
    }

    /// Applies an RFC 7396 merge patch to the asset as the API shows it. The
    /// patch is committed only onto the version it was merged with, so two
    /// patches at once never lose one another (409 for the second, or 412
    /// when the client named the version with `If-Match`).
    pub async fn patch(
        &self,
        by: &User,
        id: Uuid,
        patch: &Value,
        if_match: Option<i64>,
    ) -> Result<Written, ServiceError> {
        let existing = self.existing(id).await?;
        self.may_change(by, id).await?;
        if let Some(v) = if_match
            && v != existing.version
        {
            return Err(ServiceError::PreconditionFailed(existing.version));
        }
        let mut current = self.patch_base(by, &existing).await?;
        validate::merge_patch(&mut current, patch);
        let fields = validate::feature(&current)?;
        self.store_version(by, fields, &existing, Some(existing.version))
            .await
            .map_err(|e| stale(e, if_match.is_some(), CHANGED))
    }

    /// Deletes an asset. An organization's own pending listing goes at once;
    /// its published listing only once a reviewer approves the deletion
    /// (`Ok(false)`: the request waits for review).
    pub async fn delete(
        &self,
        by: &User,
        id: Uuid,
        if_match: Option<i64>,
    ) -> Result<bool, ServiceError> {
        let existing = self.existing(id).await?;
        self.may_change(by, id).await?;
        if reviewed(by) && existing.status == Status::Approved {
            if self.store.revision(id).await?.is_none() {
                self.room_for_submission(by).await?;
            }
            let mut request = feature_value(&existing);
            request[DELETION] = Value::Bool(true);
            self.apply(&Change {
                asset: id,
                expected_version: if_match,
                row: RowChange::Keep,
                owner: None,
                revision: RevisionChange::Put {
                    by: by.id,
                    feature: request,
                },
                history: HistoryRecord {
                    user: Some(by.id),
                    action: "deletion requested",
                    changes: Value::Array(Vec::new()),
                },
            })
            .await
            .map_err(|e| stale(e, true, CHANGED))?;
            return Ok(false);
        }
        self.apply(&Change {
            asset: id,
            expected_version: if_match,
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
        .map_err(|e| stale(e, true, CHANGED))?;
        Ok(true)
    }

    /// Commits a new version of an existing asset. An organization's change to
    /// a published listing becomes a proposal; its change to its own pending
    /// listing replaces it (still pending).
    async fn store_version(
        &self,
        by: &User,
        fields: AssetFields,
        existing: &Asset,
        expected: Option<i64>,
    ) -> Result<Written, ServiceError> {
        let mut fields = fields;
        let old = feature_value(existing);
        let pending = reviewed(by);
        if pending {
            // Provenance is the district's: an organization keeps what is there.
            provenance_unchanged(&fields, Some(existing))?;
            fields.source = existing.fields.source.clone();
            fields.source_id = existing.fields.source_id.clone();
        }
        // Moving a listing that waited to be placed places it; until then it
        // stays pending, whoever edits it.
        if fields.location != existing.fields.location {
            fields.extra.remove(crate::domain::asset::LOCATION_NEEDED);
        }
        let status = if pending || crate::domain::asset::location_needed(&fields) {
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
            if self.store.revision(existing.id).await?.is_none() {
                self.room_for_submission(by).await?;
            }
            self.apply(&Change {
                asset: existing.id,
                expected_version: expected,
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
        let committed = self
            .apply(&Change {
                asset: existing.id,
                expected_version: expected,
                row: RowChange::Replace(asset.clone()),
                owner: None,
                revision: RevisionChange::Keep,
                history: history("updated"),
            })
            .await?;
        let asset = Asset {
            version: committed.unwrap_or(asset.version),
            ..asset
        };
        Ok(Written::Stored(Box::new(asset)))
    }
}
