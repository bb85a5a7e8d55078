//! Running an import against a store: batches, progress and the final report.

use std::collections::HashMap;
use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};

use super::{
    AreaKey, AssetProperties, ImportError, Parsed, SchoolProperties, Table, parse_assets,
    parse_catchments, parse_schools,
};
use crate::domain::SchoolYear;
use crate::service::Service;
use crate::store::{ImportRecord, Store, UpsertReport};

/// Rows written per transaction.
const BATCH: usize = 2_000;

/// What an import did.
#[derive(Debug, Default, Clone)]
pub struct ImportSummary {
    pub inserted: usize,
    pub updated: usize,
    pub skipped: usize,
    pub warnings: usize,
    /// Rows matched to what the store already holds, identical, left alone.
    pub unchanged: usize,
}

impl ImportSummary {
    /// Adds what reading the file skipped and warned about to what writing did.
    pub fn and_read<T>(mut self, parsed: &Parsed<T>) -> Self {
        self.skipped += parsed.skipped.len();
        self.warnings += parsed.warnings.len();
        self
    }
}

impl ImportSummary {
    /// Puts these counts on an import's record.
    pub fn onto(&self, record: &mut ImportRecord) {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        record.inserted = n(self.inserted);
        record.updated = n(self.updated);
        record.unchanged = n(self.unchanged);
        record.skipped = n(self.skipped);
        record.warnings = n(self.warnings);
    }
}

/// Records an import as it starts: the record its writes are journalled under.
pub async fn begin(
    store: &dyn Store,
    kind: &str,
    file: &std::path::Path,
    by: &str,
    district: &str,
) -> Result<ImportRecord, ImportError> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    let mut record = ImportRecord::new(kind, &name, by);
    record.district = district.to_owned();
    store.begin_import(&record).await?;
    Ok(record)
}

/// Stores an import's final counts on its record.
pub async fn finish(
    store: &dyn Store,
    mut record: ImportRecord,
    summary: &ImportSummary,
) -> Result<ImportRecord, ImportError> {
    summary.onto(&mut record);
    store.finish_import(&record).await?;
    Ok(record)
}

/// Where an import reports its skipped features and warnings.
pub trait Reporter: Send {
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

/// Reports what reading a file skipped and warned about.
pub fn report<T>(parsed: &Parsed<T>, out: &mut dyn Reporter) -> (usize, usize) {
    for (n, reason) in &parsed.skipped {
        out.line(&format!("skipped {} {n}: {reason}", parsed.unit));
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
    total.unchanged += r.unchanged;
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

/// Imports assets read from a file.
pub async fn assets(
    service: &Service,
    table: Table,
    fields: &AssetProperties,
    out: &mut dyn Reporter,
    show_progress: bool,
) -> Result<ImportSummary, ImportError> {
    let parsed = parse_assets(table, fields);
    report(&parsed, out);
    Ok(
        write_assets(service, &parsed.items, None, out, show_progress)
            .await?
            .and_read(&parsed),
    )
}

/// Writes assets already read; the lines it reports are listings it kept.
pub async fn write_assets(
    service: &Service,
    items: &[crate::domain::Asset],
    journal: Option<uuid::Uuid>,
    out: &mut dyn Reporter,
    show_progress: bool,
) -> Result<ImportSummary, ImportError> {
    let mut total = ImportSummary::default();
    let bar = progress(items.len(), show_progress);
    for chunk in items.chunks(BATCH) {
        let (_, r) = service.import_assets(chunk, journal).await?;
        add(&mut total, r, out);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(total)
}

/// Imports school sites read from a file.
pub async fn schools(
    store: &dyn Store,
    table: Table,
    fields: &SchoolProperties,
    out: &mut dyn Reporter,
) -> Result<ImportSummary, ImportError> {
    let parsed = parse_schools(table, fields);
    report(&parsed, out);
    Ok(write_schools(store, &parsed.items, None, out)
        .await?
        .and_read(&parsed))
}

/// Writes school sites already read.
pub async fn write_schools(
    store: &dyn Store,
    items: &[crate::domain::School],
    journal: Option<uuid::Uuid>,
    out: &mut dyn Reporter,
) -> Result<ImportSummary, ImportError> {
    let mut total = ImportSummary::default();
    let (_, r) = store.upsert_schools(items, journal).await?;
    add(&mut total, r, out);
    Ok(total)
}

/// The schools of one district the store holds, by the district's ids.
pub async fn school_ids(
    store: &dyn Store,
    district: &str,
) -> Result<HashMap<String, uuid::Uuid>, ImportError> {
    Ok(store
        .schools()
        .await?
        .into_iter()
        .filter(|s| s.district == district)
        .map(|s| (s.external_id, s.id))
        .collect())
}

/// Reads attendance areas for one school year against the schools of one
/// district ('' for the default district).
pub async fn read_catchments(
    store: &dyn Store,
    table: Table,
    key: &AreaKey,
    year: &str,
    district: &str,
) -> Result<Parsed<crate::domain::Catchment>, ImportError> {
    let year = SchoolYear::parse(year).ok_or_else(|| ImportError::Year(year.to_owned()))?;
    let schools = school_ids(store, district).await?;
    Ok(parse_catchments(table, key, &year, &schools))
}

/// Imports attendance areas for one school year read from a file.
pub async fn catchments(
    store: &dyn Store,
    table: Table,
    key: &AreaKey,
    year: &str,
    out: &mut dyn Reporter,
) -> Result<ImportSummary, ImportError> {
    let parsed = read_catchments(store, table, key, year, "").await?;
    report(&parsed, out);
    Ok(write_catchments(store, &parsed.items, None, out)
        .await?
        .and_read(&parsed))
}

/// Writes attendance areas already read.
pub async fn write_catchments(
    store: &dyn Store,
    items: &[crate::domain::Catchment],
    journal: Option<uuid::Uuid>,
    out: &mut dyn Reporter,
) -> Result<ImportSummary, ImportError> {
    let mut total = ImportSummary::default();
    add(
        &mut total,
        store.upsert_catchments(items, journal).await?,
        out,
    );
    Ok(total)
}
