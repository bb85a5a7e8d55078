//! `assetmap user …`: add, list, revoke and rotate the people who may write.
//! Tokens are printed once and stored only as their SHA-256; a revocation or
//! rotation takes effect at once on every server (tokens are checked in the
//! database on every request) and is written to the audit log.

use anyhow::Context;
use serde_json::json;

use super::open;
use crate::config::{UserCommand, WhoArgs};
use crate::domain::user::{UserRecord, new_token, parse_lifetime, token_hash};
use crate::domain::{Role, SchoolRef, User};
use crate::store::{AuditRecord, Store};

fn expiry(lifetime: Option<&str>) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    lifetime
        .map(|l| {
            parse_lifetime(l)
                .map(|d| chrono::Utc::now() + d)
                .with_context(|| {
                    format!("--expires-in {l:?}: give a number and d, h or m, e.g. 90d")
                })
        })
        .transpose()
}

/// The one user `who` names.
async fn find(store: &dyn Store, who: &WhoArgs) -> anyhow::Result<UserRecord> {
    let users = store.users().await?;
    let hits: Vec<&UserRecord> = users
        .iter()
        .filter(|u| match (&who.id, &who.name) {
            (Some(id), _) => u.user.id == *id,
            (None, Some(name)) => u.user.name == name.trim(),
            (None, None) => false,
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => anyhow::bail!("no such user"),
        many => anyhow::bail!(
            "{} users have that name; give --id, one of: {}",
            many.len(),
            many.iter()
                .map(|u| u.user.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// `assetmap user …`
pub async fn user(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            role,
            name,
            schools,
            districts,
            expires_in,
            db,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?}: use admin, editor, organization or school")
            })?;
            match role {
                Role::School => anyhow::ensure!(
                    !schools.is_empty(),
                    "a school user needs at least one --school ID"
                ),
                _ => anyhow::ensure!(
                    schools.is_empty(),
                    "--school is only for --role school (editors and admins manage every school)"
                ),
            }
            anyhow::ensure!(
                districts.is_empty() || role == Role::Editor,
                "--district is only for --role editor"
            );
            let name = name.trim().to_owned();
            anyhow::ensure!(
                !name.is_empty() && name.chars().count() <= 200,
                "the name must be 1 to 200 characters"
            );
            let expires_at = expiry(expires_in.as_deref())?;
            let store = open(&db.database_url).await?;
            let known = store.schools().await?;
            let mut school_ids = Vec::new();
            for raw in &schools {
                let r =
                    SchoolRef::parse(raw).map_err(|e| anyhow::anyhow!("--school {raw:?}: {e}"))?;
                let matching: Vec<_> = known
                    .iter()
                    .filter(|s| match &r {
                        SchoolRef::Id(id) => s.id == *id,
                        SchoolRef::District(d) => {
                            s.external_id == *d || format!("{}:{}", s.district, s.external_id) == *d
                        }
                    })
                    .collect();
                anyhow::ensure!(
                    matching.len() < 2,
                    "--school {raw:?}: several districts have this school; name one as DISTRICT:ID"
                );
                let s = matching
                    .first()
                    .with_context(|| format!("--school {raw:?}: no such school"))?;
                if !school_ids.contains(&s.id) {
                    school_ids.push(s.id);
                }
            }
            let token =
                new_token().map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
            let user = User {
                schools: school_ids,
                districts,
                id: uuid::Uuid::new_v4(),
                name,
                role,
                created_at: chrono::Utc::now(),
                expires_at,
            };
            store.create_user(&user, &token_hash(&token)).await?;
            eprintln!(
                "added {} {:?} ({}){}; the token is shown once:",
                role.as_str(),
                user.name,
                user.id,
                expires_at
                    .map(|t| format!(", expires {}", when(Some(t))))
                    .unwrap_or_default()
            );
            println!("{token}");
        }
        UserCommand::List { db } => {
            let store = open(&db.database_url).await?;
            let schools = store.schools().await?;
            println!("id\trole\tname\tschools\tcreated\texpires\trevoked");
            for u in store.users().await? {
                let names: Vec<&str> = u
                    .user
                    .schools
                    .iter()
                    .filter_map(|id| {
                        schools
                            .iter()
                            .find(|s| s.id == *id)
                            .map(|s| s.external_id.as_str())
                    })
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    u.user.id,
                    u.user.role.as_str(),
                    u.user.name.replace(['\t', '\n'], " "),
                    names.join(","),
                    when(Some(u.user.created_at)),
                    when(u.user.expires_at),
                    when(u.revoked_at),
                );
            }
        }
        UserCommand::Revoke { who, db } => {
            let store = open(&db.database_url).await?;
            let u = find(store.as_ref(), &who).await?;
            store
                .revoke_user(
                    u.user.id,
                    &AuditRecord {
                        user: None,
                        action: "token revoked",
                        target: format!("user {}", u.user.id),
                        detail: json!({"name": u.user.name, "role": u.user.role.as_str(), "by": "assetmap user revoke"}),
                    },
                )
                .await?;
            eprintln!(
                "revoked the token of {:?} ({}); it no longer works on any server",
                u.user.name, u.user.id
            );
        }
        UserCommand::Rotate {
            who,
            expires_in,
            db,
        } => {
            let expires_at = expiry(expires_in.as_deref())?;
            let store = open(&db.database_url).await?;
            let u = find(store.as_ref(), &who).await?;
            let token =
                new_token().map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
            store
                .rotate_token(
                    u.user.id,
                    &token_hash(&token),
                    expires_at,
                    &AuditRecord {
                        user: None,
                        action: "token rotated",
                        target: format!("user {}", u.user.id),
                        detail: json!({"name": u.user.name, "role": u.user.role.as_str(), "by": "assetmap user rotate"}),
                    },
                )
                .await?;
            eprintln!(
                "a new token for {:?} ({}); the old one no longer works; shown once:",
                u.user.name, u.user.id
            );
            println!("{token}");
        }
    }
    Ok(())
}
