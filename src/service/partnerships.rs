//! Writing schools' partnerships: create, merge-patch, delete and log a
//! contact, each with its field-level history entry in one transaction. School
//! staff keep their own schools' partnerships; editors and admins every school's.

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Service, ServiceError};
use crate::domain::partnership::LogEntry;
use crate::domain::validate::{Violation, merge_patch};
use crate::domain::{Partnership, PartnershipFields, Status, User};
use crate::store::{HistoryRecord, PartnershipChange, PartnershipRow, StoreError};

/// Field-by-field differences of two partnerships' fields, in the shape of an
/// asset's history (`[{"field", "old", "new"}]`); nested contact fields are
/// named `contact.email` and so on.
pub fn fields_diff(old: Option<&PartnershipFields>, new: &PartnershipFields) -> Value {
    fn flat(v: &Value, prefix: &str, out: &mut Vec<(String, Value)>) {
        if let Value::Object(m) = v {
            for (k, v) in m {
                if k == "contact" {
                    flat(v, "contact.", out);
                } else {
                    out.push((format!("{prefix}{k}"), v.clone()));
                }
            }
        }
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    if let Some(o) = old {
        flat(&o.to_json(), "", &mut a);
    }
    flat(&new.to_json(), "", &mut b);
    let get = |l: &[(String, Value)], k: &str| {
        l.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null)
    };
    let mut keys: Vec<String> = a.iter().chain(&b).map(|(k, _)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    Value::Array(
        keys.into_iter()
            .filter_map(|k| {
                let (o, n) = (get(&a, &k), get(&b, &k));
                (o != n).then(|| json!({"field": k, "old": o, "new": n}))
            })
            .collect(),
    )
}

fn invalid(field: &str, detail: &str) -> ServiceError {
    ServiceError::Invalid(vec![Violation {
        field: field.into(),
        detail: detail.into(),
    }])
}

impl Service {
    fn may_keep(by: &User, school: Uuid) -> Result<(), ServiceError> {
        if by.manages_school(school) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(
                "partnerships are kept by the school's staff, editors and admins",
            ))
        }
    }

    /// The partnership `id` of `school` (`NotFound` when it belongs to another).
    async fn partnership_of(&self, school: Uuid, id: Uuid) -> Result<Partnership, ServiceError> {
        let p = self.store.partnership(id).await?;
        if p.school_id != school {
            return Err(StoreError::NotFound.into());
        }
        Ok(p)
    }

    /// The partnerships of a school, for those who keep them.
    pub async fn partnerships(
        &self,
        by: &User,
        school: Uuid,
    ) -> Result<Vec<Partnership>, ServiceError> {
        Self::may_keep(by, school)?;
        Ok(self.store.partnerships(Some(school)).await?)
    }

    /// One partnership of a school with its history, for those who keep it.
    pub async fn partnership(
        &self,
        by: &User,
        school: Uuid,
        id: Uuid,
    ) -> Result<(Partnership, Vec<crate::store::HistoryEntry>), ServiceError> {
        Self::may_keep(by, school)?;
        let p = self.partnership_of(school, id).await?;
        let history = self.store.partnership_history(id).await?;
        Ok((p, history))
    }

    /// A new partnership of `school` with the published asset the body names.
    pub async fn create_partnership(
        &self,
        by: &User,
        school: Uuid,
        body: &Value,
    ) -> Result<Partnership, ServiceError> {
        Self::may_keep(by, school)?;
        let asset = match &body["asset_id"] {
            Value::String(s) => Uuid::parse_str(s.trim())
                .map_err(|_| invalid("asset_id", "must be the id of an asset (a UUID)"))?,
            Value::Null => return Err(invalid("asset_id", "the asset's id is required")),
            _ => return Err(invalid("asset_id", "must be the id of an asset (a UUID)")),
        };
        let fields = PartnershipFields::from_json(body, &["asset_id"])?;
        match self.store.asset(asset).await {
            Ok(a) if a.status == Status::Approved => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(invalid("asset_id", "no published asset has this id"));
            }
            Err(e) => return Err(e.into()),
        }
        let now = Utc::now();
        let p = Partnership {
            id: Uuid::new_v4(),
            school_id: school,
            asset_id: asset,
            fields,
            log: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        let mut changes = fields_diff(None, &p.fields);
        if let Value::Array(items) = &mut changes {
            items.insert(0, json!({"field": "asset_id", "old": null, "new": asset}));
        }
        self.store
            .commit_partnership(&PartnershipChange {
                id: p.id,
                row: PartnershipRow::Insert(p.clone()),
                history: HistoryRecord {
                    user: Some(by.id),
                    action: "created",
                    changes,
                },
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => ServiceError::Conflict(
                    "asset_id: this school already has a partnership with this asset",
                ),
                e => e.into(),
            })?;
        Ok(p)
    }

    /// Merges a patch (RFC 7396) into a partnership's fields.
    pub async fn patch_partnership(
        &self,
        by: &User,
        school: Uuid,
        id: Uuid,
        patch: &Value,
    ) -> Result<Partnership, ServiceError> {
        Self::may_keep(by, school)?;
        if !patch.is_object() {
            return Err(invalid("body", "must be a JSON object (a merge patch)"));
        }
        if patch.get("asset_id").is_some() {
            return Err(invalid(
                "asset_id",
                "a partnership's asset cannot change; delete it and create another",
            ));
        }
        let existing = self.partnership_of(school, id).await?;
        let mut merged = existing.fields.to_json();
        merge_patch(&mut merged, patch);
        let fields = PartnershipFields::from_json(&merged, &[])?;
        let changes = fields_diff(Some(&existing.fields), &fields);
        let p = Partnership {
            fields,
            updated_at: Utc::now(),
            ..existing
        };
        self.store
            .commit_partnership(&PartnershipChange {
                id,
                row: PartnershipRow::Replace(p.clone()),
                history: HistoryRecord {
                    user: Some(by.id),
                    action: "updated",
                    changes,
                },
            })
            .await?;
        Ok(p)
    }

    /// Deletes a partnership and its log; its history stays.
    pub async fn delete_partnership(
        &self,
        by: &User,
        school: Uuid,
        id: Uuid,
    ) -> Result<(), ServiceError> {
        Self::may_keep(by, school)?;
        let existing = self.partnership_of(school, id).await?;
        // Every field goes from its last value to nothing.
        let mut changes = fields_diff(None, &existing.fields);
        if let Value::Array(items) = &mut changes {
            for item in items.iter_mut() {
                item["old"] = item["new"].take();
            }
            items.insert(
                0,
                json!({"field": "asset_id", "old": existing.asset_id, "new": null}),
            );
        }
        self.store
            .commit_partnership(&PartnershipChange {
                id,
                row: PartnershipRow::Delete,
                history: HistoryRecord {
                    user: Some(by.id),
                    action: "deleted",
                    changes,
                },
            })
            .await?;
        Ok(())
    }

    /// Adds a contact or visit to a partnership's log.
    pub async fn log_contact(
        &self,
        by: &User,
        school: Uuid,
        id: Uuid,
        body: &Value,
    ) -> Result<LogEntry, ServiceError> {
        Self::may_keep(by, school)?;
        let entry = LogEntry::from_json(body, by.id, Utc::now())?;
        self.partnership_of(school, id).await?;
        self.store
            .commit_partnership(&PartnershipChange {
                id,
                row: PartnershipRow::Log(entry.clone()),
                history: HistoryRecord {
                    user: Some(by.id),
                    action: "logged",
                    changes: json!([{"field": "log", "old": null, "new": entry}]),
                },
            })
            .await?;
        Ok(entry)
    }
}
