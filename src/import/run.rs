//! Running an import against a store: batches, progress and the final report.

use std::collections::HashMap;
use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};

use super::{
    AssetProperties, ImportError, Parsed, SchoolProperties, parse_assets, parse_catchments,
    parse_schools,
};
use crate::domain::SchoolYear;
use crate::service::Service;
use crate::store::{Store, UpsertReport};

/// Rows written per transaction.
const BATCH: usize = 2_000;

/// What an import did.
#[derive(Debug, Default, Clone)]
pub struct ImportSummary {
    pub inserted: usize,
    pub updated: usize,
    pub skipped: usize,
    pub warnings: usize,
}

/// Where an import reports its skipped features and warnings.
pub trait Reporter {
    fn line(&mut self, line: &str);
}

/// Reports nothing (the demo loader logs a summary instead).
pub struct Quiet;
impl Reporter for Quiet {
    fn line(&mut self, _: &str) {}
}

/// Reports on standard error, one line each.
pub struct Stderr;
impl Reporter for Stderr {
    fn line(&mut self, line: &str) {
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

fn report<T>(parsed: &Parsed<T>, out: &mut dyn Reporter) -> (usize, usize) {
    for (n, reason) in &parsed.skipped {
        out.line(&format!("skipped feature {n}: {reason}"));
    }
    for w in &parsed.warnings {
        out.line(&format!("warning: {w}"));
    }
    (parsed.skipped.len(), parsed.warnings.len())
}

fn progress(len: usize, show: bool) -> ProgressBar {
    if !show || len < 10_000 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} features ({per_sec}, {eta} left)")
    {
        bar.set_style(style);
    }
    bar
}

/// The message for a listing an import matched but left alone.
pub fn kept_line(provenance: &str) -> String {
    format!(
        "skipped {provenance}: an organization owns this listing; an import never overwrites it (an editor can change it in the API)"
    )
}

fn add(total: &mut ImportSummary, r: UpsertReport, out: &mut dyn Reporter) {
    total.inserted += r.inserted;
    total.updated += r.updated;
    total.skipped += r.kept.len();
    for k in &r.kept {
        out.line(&kept_line(k));
    }
}

/// Reads a file into a string, naming the path on failure.
pub fn read(path: &std::path::Path) -> Result<String, ImportError> {
    std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Imports assets from GeoJSON text.
pub async fn assets(
    service: &Service,
    text: &str,
    fields: &AssetProperties,
    out: &mut dyn Reporter,
    show_progress: bool,
) -> Result<ImportSummary, ImportError> {
    let parsed = parse_assets(text, fields)?;
    let mut total = ImportSummary::default();
    (total.skipped, total.warnings) = report(&parsed, out);
    let bar = progress(parsed.items.len(), show_progress);
    for chunk in parsed.items.chunks(BATCH) {
        let (_, r) = service.import_assets(chunk).await?;
        add(&mut total, r, out);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(total)
}

/// Imports school sites from GeoJSON text.
pub async fn schools(
    store: &dyn Store,
    text: &str,
    fields: &SchoolProperties,
    out: &mut dyn Reporter,
) -> Result<ImportSummary, ImportError> {
    let parsed = parse_schools(text, fields)?;
    let mut total = ImportSummary::default();
    (total.skipped, total.warnings) = report(&parsed, out);
    let (_, r) = store.upsert_schools(&parsed.items).await?;
    add(&mut total, r, out);
    Ok(total)
}

/// Imports attendance areas for one school year from GeoJSON text.
pub async fn catchments(
    store: &dyn Store,
    text: &str,
    school_field: &str,
    year: &str,
    out: &mut dyn Reporter,
) -> Result<ImportSummary, ImportError> {
    let year = SchoolYear::parse(year).ok_or_else(|| ImportError::Year(year.to_owned()))?;
    let schools: HashMap<String, uuid::Uuid> = store
        .schools()
        .await?
        .into_iter()
        .map(|s| (s.external_id, s.id))
        .collect();
    let parsed = parse_catchments(text, school_field, &year, &schools)?;
    let mut total = ImportSummary::default();
    (total.skipped, total.warnings) = report(&parsed, out);
    add(
        &mut total,
        store.upsert_catchments(&parsed.items).await?,
        out,
    );
    Ok(total)
}
