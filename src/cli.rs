//! The command-line subcommands other than `serve`.

use anyhow::Context;

use crate::config::{ImportCommand, UserCommand};
use crate::domain::user::{new_token, token_hash};
use crate::domain::{Role, User};
use crate::import::run::{self, ImportSummary, Stderr};
use crate::import::{AssetFields, SchoolFields};
use crate::store;

async fn open(url: &str) -> anyhow::Result<std::sync::Arc<dyn store::Store>> {
    let s = store::connect(url)
        .await
        .with_context(|| format!("opening the database {url}"))?;
    s.migrate().await.context("migrating the database")?;
    Ok(s)
}

fn print(what: &str, s: &ImportSummary) {
    eprintln!(
        "{what}: {} inserted, {} updated, {} skipped, {} warnings",
        s.inserted, s.updated, s.skipped, s.warnings
    );
}

/// `assetmap import …`
pub async fn import(cmd: ImportCommand) -> anyhow::Result<()> {
    match cmd {
        ImportCommand::Assets {
            file,
            name_field,
            category_field,
            id_field,
            source,
            db,
        } => {
            let text = run::read(&file)?;
            let store = open(&db.database_url).await?;
            let source = source.unwrap_or_else(|| {
                file.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "import".into())
            });
            let fields = AssetFields {
                name: name_field,
                category: category_field,
                id: id_field,
                source,
            };
            let s = run::assets(store.as_ref(), &text, &fields, &mut Stderr, true).await?;
            print("assets", &s);
        }
        ImportCommand::Schools {
            file,
            id_field,
            name_field,
            level_field,
            db,
        } => {
            let text = run::read(&file)?;
            let store = open(&db.database_url).await?;
            let fields = SchoolFields {
                id: id_field,
                name: name_field,
                level: level_field,
            };
            let s = run::schools(store.as_ref(), &text, &fields, &mut Stderr).await?;
            print("schools", &s);
        }
        ImportCommand::Catchments {
            file,
            school_field,
            year,
            db,
        } => {
            let text = run::read(&file)?;
            let store = open(&db.database_url).await?;
            let s =
                run::catchments(store.as_ref(), &text, &school_field, &year, &mut Stderr).await?;
            print("catchments", &s);
        }
    }
    Ok(())
}

/// `assetmap user …`
pub async fn user(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add { role, name, db } => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?}: use admin, editor or organization")
            })?;
            let name = name.trim().to_owned();
            anyhow::ensure!(
                !name.is_empty() && name.chars().count() <= 200,
                "the name must be 1 to 200 characters"
            );
            let store = open(&db.database_url).await?;
            let token =
                new_token().map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
            let user = User {
                id: uuid::Uuid::new_v4(),
                name,
                role,
                created_at: chrono::Utc::now(),
            };
            store.create_user(&user, &token_hash(&token)).await?;
            eprintln!(
                "added {} {:?} ({}); the token is shown once:",
                role.as_str(),
                user.name,
                user.id
            );
            println!("{token}");
        }
    }
    Ok(())
}

/// `assetmap migrate`
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    open(url).await?;
    eprintln!("database is up to date");
    Ok(())
}
