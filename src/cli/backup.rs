//! `assetmap backup FILE` and `assetmap restore FILE`: the embedded SQLite
//! database copied whole and consistent while the service runs (`VACUUM
//! INTO`), and put back. PostGIS is backed up with `pg_dump` (README).

use std::path::Path;

use anyhow::Context;

use super::open;
use crate::store::{self, Backend};

/// `assetmap backup FILE`
pub async fn backup(file: &Path, url: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !file.exists(),
        "{} exists already; back up to a new file",
        file.display()
    );
    let store = open(url).await?;
    store
        .backup(file)
        .await
        .with_context(|| format!("backing up to {}", file.display()))?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "backed up {} to {} ({size} bytes)",
        store::redact(url),
        file.display()
    );
    Ok(())
}

/// The file a `sqlite:` URL names.
fn sqlite_path(url: &str) -> anyhow::Result<&Path> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && !p.contains(":memory:"))
        .context("restore puts a backup in place of a SQLite database file (sqlite://PATH)")?;
    Ok(Path::new(path))
}

/// `assetmap restore FILE`: checks the backup is an assetmap database, then
/// copies it into place (to a temporary name first, then renamed, so a failed
/// copy leaves the old database as it was).
pub async fn restore(file: &Path, url: &str, force: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        Backend::of(url)? == Backend::Sqlite,
        "restore is for the SQLite store; restore PostGIS with pg_restore (see the README)"
    );
    let target = sqlite_path(url)?;
    anyhow::ensure!(
        force || !target.exists(),
        "{} exists; stop the service and give --force to replace it",
        target.display()
    );
    // Copied beside the target first; the copy must open as an assetmap
    // database before it replaces anything.
    let partial = target.with_extension("restoring");
    std::fs::copy(file, &partial).with_context(|| format!("copying to {}", partial.display()))?;
    let checked = async {
        let check = store::connect(&format!("sqlite://{}", partial.display())).await?;
        let counts = check.counts().await?;
        check.ping().await?;
        drop(check);
        Ok::<_, store::StoreError>(counts)
    }
    .await;
    let counts = match checked {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(anyhow::Error::new(e)
                .context(format!("{} is not an assetmap database", file.display())));
        }
    };
    // The old database's write-ahead log belongs to the old file.
    for suffix in ["-wal", "-shm"] {
        let mut p = target.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    std::fs::rename(&partial, target)
        .with_context(|| format!("putting {} in place", target.display()))?;
    eprintln!(
        "restored {} to {}: {} assets, {} schools, {} attendance areas",
        file.display(),
        target.display(),
        counts.assets,
        counts.schools,
        counts.catchments
    );
    Ok(())
}
