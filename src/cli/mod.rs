//! The command-line subcommands other than `serve`.

mod backup;
mod users;

pub use backup::{backup, restore};
pub use users::user;

use anyhow::Context;

use crate::config::{ExportCommand, FileArgs, ImportCommand, JoinArgs};
use crate::export::{Export, Format};
use crate::import::job::{self, AreaField, Kind, Prepared};
use crate::import::run::{self, ImportSummary, Stderr};
use crate::import::{AreaKey, AssetProperties, SchoolProperties};
use crate::index::{AssetQuery, Filters};
use crate::service::Service;
use crate::store;

async fn open(url: &str) -> anyhow::Result<std::sync::Arc<dyn store::Store>> {
    let s = store::connect(url)
        .await
        .with_context(|| format!("opening the database {}", crate::store::redact(url)))?;
    s.migrate().await.context("migrating the database")?;
    Ok(s)
}

fn print(what: &str, s: &ImportSummary) {
    eprintln!(
        "{what}: {} inserted, {} updated, {} unchanged, {} skipped, {} warnings",
        s.inserted, s.updated, s.unchanged, s.skipped, s.warnings
    );
}

/// Reads an import's file and says what was found.
async fn read_file(args: &FileArgs) -> anyhow::Result<crate::import::Table> {
    let table = crate::import::read(&args.file, &args.read_options()).await?;
    eprintln!(
        "{}: {} {}s read as {}; coordinates: {}",
        table.file,
        table.rows.len(),
        table.unit,
        table.format.name(),
        table.crs.as_deref().unwrap_or("none")
    );
    Ok(table)
}

/// Reports what reading found, and decides whether to write: never on a dry
/// run, never when nothing can be imported, and not when some rows cannot be
/// unless `--allow-partial` accepts it.
fn decide(what: &str, prepared: &Prepared, args: &FileArgs) -> anyhow::Result<bool> {
    let (skipped, warnings, unit) = prepared.report();
    for note in prepared.notes() {
        eprintln!("{note}");
    }
    for (n, reason) in skipped {
        eprintln!("skipped {unit} {n}: {reason}");
    }
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let skipped = skipped.len();
    let total = prepared.len() + skipped;
    if args.dry_run {
        eprintln!(
            "dry run: {} of {total} {unit}s would be imported as {what}, {skipped} skipped; nothing was written",
            prepared.len(),
        );
        return Ok(false);
    }
    anyhow::ensure!(
        !prepared.is_empty(),
        "nothing to import: none of the {total} {unit}s of {} could be read as {what} (see above); nothing was written",
        args.file.display()
    );
    anyhow::ensure!(
        skipped == 0 || args.allow_partial,
        "{skipped} of {total} {unit}s cannot be imported (see above); nothing was written. Fix them, or pass --allow-partial to import the other {}",
        prepared.len()
    );
    Ok(true)
}

/// Reads a file as `kind`, reports, and (unless it is a dry run or refused)
/// writes it under a new import record.
async fn import_file(
    file: &FileArgs,
    kind: Kind,
    what: &str,
    db: &str,
    geocoder: Option<&crate::geocode::NominatimConfig>,
) -> anyhow::Result<()> {
    let table = read_file(file).await?;
    let store = open(db).await?;
    let prepared = job::prepare(store.as_ref(), table, &kind, geocoder).await?;
    if !decide(what, &prepared, file)? {
        return Ok(());
    }
    let record = run::begin(
        store.as_ref(),
        kind.name(),
        &file.file,
        &who(),
        kind.district(),
    )
    .await?;
    let service = Service::without_index(store);
    let (record, s) = prepared.write(&service, record, &mut Stderr, true).await?;
    print(kind.name(), &s);
    eprintln!(
        "recorded as import {} (undo it with: assetmap import undo {})",
        record.id, record.id
    );
    Ok(())
}

/// Who runs an import from the command line, for its record.
fn who() -> String {
    match std::env::var("USER") {
        Ok(u) if !u.is_empty() => format!("command line ({u})"),
        _ => "command line".to_owned(),
    }
}

/// Stores an import's counts and says how to undo it.
async fn close(
    store: &dyn store::Store,
    record: crate::store::ImportRecord,
    s: &ImportSummary,
) -> anyhow::Result<()> {
    let record = run::finish(store, record, s).await?;
    eprintln!(
        "recorded as import {} (undo it with: assetmap import undo {})",
        record.id, record.id
    );
    Ok(())
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
            address_field,
            geocoder,
            db,
        } => {
            let source = source.unwrap_or_else(|| {
                file.file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "import".into())
            });
            let fields = AssetProperties {
                name: name_field,
                category: category_field,
                id: id_field,
                source,
                address: address_field,
                unplaced_at: None,
            };
            let kind = Kind::Assets(fields);
            let remote = geocoder.config();
            import_file(&file, kind, "assets", &db.database_url, remote.as_ref()).await?;
        }
        ImportCommand::Addresses { file, db } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file.display().to_string();
            let (points, skipped) = crate::geocode::read_address_points(&name, &bytes)?;
            for (n, reason) in &skipped {
                eprintln!("skipped row {n}: {reason}");
            }
            anyhow::ensure!(
                !points.is_empty(),
                "{name}: no address point could be read; nothing was written"
            );
            let store = open(&db.database_url).await?;
            let mut written = 0;
            for chunk in points.chunks(5_000) {
                written += store.put_address_points(chunk).await?;
            }
            eprintln!(
                "address points: {written} loaded, {} skipped",
                skipped.len()
            );
        }
        ImportCommand::Schools {
            file,
            id_field,
            name_field,
            level_field,
            district,
            db,
        } => {
            let fields = SchoolProperties {
                id: id_field,
                name: name_field,
                level: level_field,
                district: district.code,
            };
            import_file(
                &file,
                Kind::Schools(fields),
                "schools",
                &db.database_url,
                None,
            )
            .await?;
        }
        ImportCommand::Hsds { path, source, db } => {
            let source = source.unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "hsds".into())
            });
            let imported = if path.is_dir() {
                crate::hsds::from_tables(&path, &source)?
            } else {
                let value: serde_json::Value =
                    serde_json::from_str(&run::read(&path)?).map_err(|e| {
                        crate::import::ImportError::NotFeatureCollection(format!(
                            "not HSDS JSON: {e}"
                        ))
                    })?;
                crate::hsds::from_json(&value, &source)
            };
            for (id, reason) in &imported.skipped {
                eprintln!("skipped location {id}: {reason}");
            }
            for w in &imported.warnings {
                eprintln!("warning: {w}");
            }
            if !imported.unmapped.is_empty() {
                let list: Vec<&str> = imported.unmapped.iter().map(String::as_str).collect();
                eprintln!(
                    "not mapped (no place in assetmap's model): {}",
                    list.join(", ")
                );
            }
            let store = open(&db.database_url).await?;
            let record = run::begin(store.as_ref(), "hsds", &path, &who(), "").await?;
            let (_, r) = Service::without_index(store.clone())
                .import_assets(&imported.assets, Some(record.id))
                .await?;
            for k in &r.kept {
                eprintln!("{}", crate::import::run::kept_line(k));
            }
            let s = ImportSummary {
                inserted: r.inserted,
                updated: r.updated,
                skipped: imported.skipped.len() + r.kept.len(),
                warnings: imported.warnings.len(),
                unchanged: r.unchanged,
            };
            print("hsds", &s);
            close(store.as_ref(), record, &s).await?;
        }
        ImportCommand::Catchments {
            file,
            school_field,
            school_name_field,
            school_map,
            year,
            district,
            db,
        } => {
            let key = match (school_field, school_name_field) {
                (Some(field), _) => AreaField::Id(field),
                (None, Some(field)) => AreaField::Name {
                    field,
                    map: match &school_map {
                        Some(path) => Some(run::read(path)?),
                        None => None,
                    },
                },
                (None, None) => anyhow::bail!("give --school-field or --school-name-field"),
            };
            let kind = Kind::Catchments {
                key,
                year,
                district: district.code,
            };
            import_file(&file, kind, "attendance areas", &db.database_url, None).await?;
        }
        ImportCommand::List { db } => {
            let store = open(&db.database_url).await?;
            let imports = store.imports().await?;
            if imports.is_empty() {
                eprintln!("no imports recorded");
            }
            println!(
                "id\tat\tkind\tfile\tby\tinserted\tupdated\tunchanged\tskipped\tundone\tdistrict"
            );
            for r in imports {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.id,
                    r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    r.kind,
                    r.file,
                    r.by,
                    r.inserted,
                    r.updated,
                    r.unchanged,
                    r.skipped,
                    r.undone_at
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_default(),
                    r.district
                );
            }
        }
        ImportCommand::Undo { id, db } => {
            let store = open(&db.database_url).await?;
            let done = match Service::without_index(store).undo_import(id).await {
                Err(crate::store::StoreError::NotFound) => {
                    anyhow::bail!("no import {id} is recorded (see: assetmap import list)")
                }
                other => other?,
            };
            for k in &done.kept {
                eprintln!("kept {k}");
            }
            eprintln!(
                "import {id} undone: {} assets deleted, {} put back, {} kept; {} schools and {} attendance areas deleted or put back",
                done.deleted.len(),
                done.restored.len(),
                done.kept.len(),
                done.schools,
                done.catchments
            );
        }
    }
    Ok(())
}

/// `assetmap export …`
pub async fn export(cmd: ExportCommand) -> anyhow::Result<()> {
    let cmd = match cmd {
        ExportCommand::Hsds { path, db } => {
            let store = open(&db.database_url).await?;
            let assets = store
                .assets_with_status(crate::domain::Status::Approved)
                .await?;
            if path.extension().is_some_and(|e| e == "json") {
                std::fs::write(
                    &path,
                    serde_json::to_vec_pretty(&crate::hsds::to_json(&assets))?,
                )
                .with_context(|| format!("writing {}", path.display()))?;
            } else {
                crate::hsds::write_tables(&assets, &path)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            eprintln!(
                "exported {} assets as HSDS to {}",
                assets.len(),
                path.display()
            );
            return Ok(());
        }
        ExportCommand::Assets {
            file,
            format,
            school,
            year,
            category,
            bbox,
            near,
            radius,
            q,
            open,
            language,
            db,
        } => (
            file, format, school, year, category, bbox, near, radius, q, open, language, db,
        ),
    };
    let (file, format, school, year, category, bbox, near, radius, q, open, language, db) = cmd;
    let format = match format.as_deref() {
        Some(f) => Format::from_name(&format!("x.{f}")).with_context(|| format!("unknown format {f:?}: use geojson, geojsonl or csv"))?,
        None => Format::from_name(&file.to_string_lossy())
            .context("cannot tell the format from the file name: use .geojson, .geojsonl or .csv, or --format")?,
    };
    // The same filters, checked by the same code, as the API's.
    let filters = Filters {
        school: school.as_deref(),
        year: year.as_deref(),
        category: category.as_deref(),
        bbox: bbox.as_deref(),
        near: near.as_deref(),
        radius: radius.as_deref(),
        q: q.as_deref(),
        bbox_crs: None,
        open: open.as_deref(),
        language: language.as_deref(),
    };
    let q = AssetQuery::parse(&filters).map_err(|violations| {
        let each: Vec<String> = violations
            .iter()
            .map(|v| format!("--{}: {}", v.field, v.detail))
            .collect();
        anyhow::anyhow!("{}", each.join("; "))
    })?;
    let (_, index) =
        crate::app::open(&db.database_url, false, crate::domain::sphere::MILE_M).await?;
    let mut export = Export::new(&index, &q, format)?;
    let bar = if export.len() >= 10_000 {
        indicatif::ProgressBar::new(export.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&file).with_context(|| format!("creating {}", file.display()))?,
    );
    while let Some(chunk) = export.next_chunk() {
        std::io::Write::write_all(&mut out, &chunk)?;
        bar.set_position(export.written() as u64);
    }
    std::io::Write::flush(&mut out)?;
    bar.finish_and_clear();
    eprintln!("exported {} assets to {}", export.written(), file.display());
    Ok(())
}

/// `assetmap join …`: one pass over the assets, each looked up in an R-tree of
/// the areas' boxes and tested exactly.
pub fn join(args: JoinArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.catchments.len() == args.school_fields.len()
            && args.catchments.len() == args.years.len(),
        "give one --school-field and one --year for each --catchments"
    );
    let started = std::time::Instant::now();
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut areas = Vec::new();
    for ((file, field), year) in args
        .catchments
        .iter()
        .zip(&args.school_fields)
        .zip(&args.years)
    {
        let year = crate::domain::SchoolYear::parse(year)
            .with_context(|| format!("{year:?} is not a school year like 2020-2021"))?;
        let table =
            crate::import::read_geojson_text(&file.display().to_string(), &run::read(file)?)?;
        let parsed = crate::import::parse_areas(table, &AreaKey::Id(field.clone()));
        for (n, reason) in &parsed.skipped {
            eprintln!("{}: skipped feature {n}: {reason}", file.display());
        }
        for (_, key, mp) in parsed.items {
            keys.push((key, year.to_string()));
            areas.push(mp);
        }
    }
    let fields = AssetProperties {
        id: args.id_field.clone(),
        ..AssetProperties::default()
    };
    let table = crate::import::read_geojson_text(
        &args.assets.display().to_string(),
        &run::read(&args.assets)?,
    )?;
    let assets = crate::import::parse_assets(table, &fields);
    for (n, reason) in &assets.skipped {
        eprintln!("{}: skipped feature {n}: {reason}", args.assets.display());
    }
    let read = started.elapsed();
    let joining = std::time::Instant::now();
    let index = crate::join::AreaIndex::new(&areas);
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&args.out)
            .with_context(|| format!("creating {}", args.out.display()))?,
    );
    std::io::Write::write_all(
        &mut out,
        b"asset_id,name,longitude,latitude,school,year\r\n",
    )?;
    // Blocks of assets are joined on every core; each block's rows are written
    // in file order.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mut rows, mut outside) = (0usize, 0usize);
    let bar = if assets.items.len() >= 10_000 {
        indicatif::ProgressBar::new(assets.items.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    for block in assets.items.chunks(50_000) {
        let part = block.len().div_ceil(threads).max(1);
        let results: Vec<(String, usize, usize)> = std::thread::scope(|scope| {
            let handles: Vec<_> = block
                .chunks(part)
                .map(|slice| {
                    let (index, keys) = (&index, &keys);
                    scope.spawn(move || {
                        let (mut text, mut rows, mut outside, mut found) =
                            (String::new(), 0, 0, Vec::new());
                        for a in slice {
                            let f = &a.fields;
                            index.containing(f.location.lon(), f.location.lat(), &mut found);
                            let id = f.source_id.as_deref().unwrap_or_default();
                            let mut row = |school: &str, year: &str| {
                                text.push_str(&crate::export::csv_cell(id));
                                text.push(',');
                                text.push_str(&crate::export::csv_cell(&f.name));
                                text.push_str(&format!(
                                    ",{},{},",
                                    f.location.lon(),
                                    f.location.lat()
                                ));
                                text.push_str(&crate::export::csv_cell(school));
                                text.push(',');
                                text.push_str(year);
                                text.push_str("\r\n");
                            };
                            if found.is_empty() {
                                outside += 1;
                                row("", "");
                            }
                            for &k in &found {
                                row(&keys[k].0, &keys[k].1);
                                rows += 1;
                            }
                        }
                        (text, rows, outside)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        for (text, r, o) in results {
            std::io::Write::write_all(&mut out, text.as_bytes())?;
            rows += r;
            outside += o;
        }
        bar.inc(block.len() as u64);
    }
    std::io::Write::flush(&mut out)?;
    bar.finish_and_clear();
    eprintln!(
        "joined {} assets with {} areas: {rows} containments, {outside} assets in no area; files read in {:.2} s, joined and written in {:.2} s",
        assets.items.len(),
        areas.len(),
        read.as_secs_f64(),
        joining.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `assetmap migrate`
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    open(url).await?;
    eprintln!("database is up to date");
    Ok(())
}
