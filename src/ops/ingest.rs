//! `ingest`: add rows to a warehouse table safely. Everything is checked before anything is
//! written; then new data files are written and made visible by one Delta commit, under the
//! warehouse write lock. A bad input is rejected whole and leaves the warehouse untouched; files
//! of a writer that dies before its commit belong to no version, so no reader sees them. With
//! `rejects`, rows with problems of their own are set aside, each with its reasons, into a file
//! of their own, and the rest are ingested.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::Array;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use futures::StreamExt;

use super::input::{load, Loaded, Rejected, REJECT_COLUMNS};
use super::reports::ReportDirs;
use super::validate::{validate, Finding, Severity};
use crate::engine::Engine;
use crate::error::{Error, Problem, Result};
use crate::storage::build::sort_batches;
use crate::storage::delta::{self, TableWriter};
use crate::storage::files::{write_file, ParquetSettings};
use crate::storage::lock::WriteLock;
use crate::storage::manifest::MANIFEST;
use crate::storage::schema::{builtin, schema};
use crate::storage::store::is_remote;
use crate::storage::text;

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The input files.
    pub files: Vec<PathBuf>,
    /// Force the target table instead of recognising it from the columns.
    pub into: Option<String>,
    /// Replace rows whose key is already in the warehouse instead of rejecting them.
    pub upsert: bool,
    /// How long to wait for another writer.
    pub wait: Duration,
    /// Report texts to check quotes against (as `validate --sources`).
    pub sources: ReportDirs,
    /// Where to write the rows set aside; `None`: all or nothing.
    pub rejects: Option<PathBuf>,
}

/// What an ingest did.
#[derive(Debug)]
pub struct IngestReport {
    /// The table written.
    pub table: String,
    /// Rows added or replaced.
    pub rows: usize,
    /// Existing rows replaced (with `upsert`).
    pub replaced: usize,
    /// Warnings about the new rows (source disagreements), which do not block.
    pub warnings: Vec<Finding>,
    /// The table's version this ingest committed.
    pub version: u64,
    /// Rows set aside (with `rejects`), written to that file.
    pub rejected: usize,
}

/// The key column of a table (its first column: `obs_id`, `code`, `source_id`, `legacy_code`).
fn key_column(table: &str) -> String {
    schema(table).field(0).name().clone()
}

fn keys(batches: &[RecordBatch], column: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for batch in batches {
        if let Some(text) = text::strings(batch, column) {
            out.extend((0..text.len()).map(|i| (!text.is_null(i)).then(|| text.value(i).to_string())));
        }
    }
    out
}

/// Read and type-check every input file; they must all hold the same table.
fn load_all(options: &IngestOptions) -> Result<Loaded> {
    let mut problems = Vec::new();
    let mut loaded: Vec<Loaded> = Vec::new();
    for path in &options.files {
        if !path.exists() {
            problems.push(Problem {
                file: path.display().to_string(),
                line: None,
                column: None,
                reason: "no such file".into(),
            });
            continue;
        }
        if let Some(l) = load(path, options.into.as_deref(), options.rejects.is_some(), &mut problems) {
            loaded.push(l);
        }
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    let tables: HashSet<&str> = loaded.iter().map(|l| l.table).collect();
    if tables.len() > 1 {
        let mut names: Vec<&str> = tables.into_iter().collect();
        names.sort();
        return Err(Error::Usage(format!(
            "the files hold different tables ({}); ingest one table at a time",
            names.join(", ")
        )));
    }
    let mut all = loaded.into_iter();
    let mut first = all.next().ok_or_else(|| Error::Usage("no input files given".into()))?;
    for more in all {
        first.batches.extend(more.batches);
        first.origins.extend(more.origins);
        first.rejected.extend(more.rejected);
    }
    Ok(first)
}

/// What one round of checks found.
struct Checked {
    /// Problems of one incoming row: (row, column, reason).
    rows: Vec<(usize, String, String)>,
    /// Problems of the table as a whole.
    whole: Vec<Problem>,
    /// Warnings about new rows.
    warnings: Vec<Finding>,
    /// The incoming rows, sorted as the table is.
    sorted: Vec<RecordBatch>,
    /// Keys of existing rows the incoming ones replace.
    replaced: HashSet<String>,
}

/// Check `incoming` against the warehouse as `engine` sees it: keys, then every `validate` check
/// on the table as it would be. Registers `__after` (that table) in the engine's context.
async fn check(
    engine: &Engine,
    table: &'static str,
    incoming: &Loaded,
    old: bool,
    options: &IngestOptions,
) -> Result<Checked> {
    let key = key_column(table);
    let new_keys = keys(&incoming.batches, &key);
    let mut rows = Vec::new();

    // Keys: present, unique within the input, and new to the warehouse unless upserting.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, k) in new_keys.iter().enumerate() {
        let Some(k) = k else { continue };
        if let Some(first) = seen.insert(k, i) {
            rows.push((i, key.clone(), format!("{k:?} is also at {}", incoming.origins[first])));
        }
    }
    let ctx = engine.context();
    let existing_keys: HashSet<String> = if old {
        let sql = format!("SELECT \"{key}\" FROM \"{table}\"");
        let rows = ctx.sql(&sql).await?.collect().await?;
        keys(&rows, &key).into_iter().flatten().collect()
    } else {
        HashSet::new()
    };
    let replaced: HashSet<String> =
        new_keys.iter().flatten().filter(|k| existing_keys.contains(*k)).cloned().collect();
    if !options.upsert {
        for (i, k) in new_keys.iter().enumerate() {
            if let Some(k) = k.as_ref().filter(|k| existing_keys.contains(*k)) {
                rows.push((
                    i,
                    key.clone(),
                    format!("{k:?} is already in the warehouse (an upsert replaces it)"),
                ));
            }
        }
    }

    // The table as it would be: the kept old rows and the new ones; validate checks run on it.
    let def = builtin(table)?;
    let sorted = sort_batches(def, incoming.batches.clone()).await?;
    ctx.register_table("__incoming", Arc::new(MemTable::try_new(schema(table), vec![sorted.clone()])?))?;
    let kept = if old {
        let existing = ctx.table_provider(table).await?;
        ctx.register_table("__existing", existing)?;
        format!(
            "SELECT * FROM __existing WHERE \"{key}\" IS NULL OR \"{key}\" NOT IN (SELECT \"{key}\" FROM __incoming WHERE \"{key}\" IS NOT NULL)"
        )
    } else {
        "SELECT * FROM __incoming WHERE false".to_string()
    };
    let after = ctx.sql(&format!("{kept} UNION ALL SELECT * FROM __incoming")).await?.into_view();
    ctx.register_table("__after", after.clone())?;
    ctx.register_table(table, after)?;

    let findings = validate(engine, &options.sources).await?;
    let row_of: HashMap<&str, usize> =
        new_keys.iter().enumerate().filter_map(|(i, k)| k.as_deref().map(|k| (k, i))).collect();
    let mut whole = Vec::new();
    let mut warnings = Vec::new();
    for f in findings {
        let row = f.obs_id.as_deref().and_then(|id| row_of.get(id).copied());
        let concerns_new = table != "observations" || row.is_some();
        match (f.severity, concerns_new, row) {
            (Severity::Error, true, Some(i)) => rows.push((i, f.column().to_string(), f.message.clone())),
            (Severity::Error, true, None) => {
                whole.push(located("the warehouse after this ingest", f.column(), f.message.clone()))
            }
            (Severity::Warning, true, _) => warnings.push(f),
            _ => {}
        }
    }
    Ok(Checked { rows, whole, warnings, sorted, replaced })
}

/// `loaded` without the rows `out` names, which join its rejected rows with their reasons.
fn set_aside(loaded: &mut Loaded, out: &[(usize, String, String)]) -> Result<()> {
    let mut reasons: HashMap<usize, Vec<String>> = HashMap::new();
    for (i, column, reason) in out {
        reasons.entry(*i).or_default().push(format!("{column}: {reason}"));
    }
    let all = datafusion::arrow::compute::concat_batches(&schema(loaded.table), &loaded.batches)?;
    let keep: datafusion::arrow::array::BooleanArray =
        (0..all.num_rows()).map(|i| Some(!reasons.contains_key(&i))).collect();
    let mut rows: Vec<usize> = reasons.keys().copied().collect();
    rows.sort_unstable();
    let text: Vec<datafusion::arrow::array::ArrayRef> = all
        .columns()
        .iter()
        .map(|c| datafusion::arrow::compute::cast(c, &datafusion::arrow::datatypes::DataType::Utf8))
        .collect::<std::result::Result<_, _>>()?;
    for i in rows {
        let cells = text
            .iter()
            .map(|c| {
                let c = c.as_any().downcast_ref::<datafusion::arrow::array::StringArray>();
                c.filter(|c| !c.is_null(i)).map(|c| c.value(i).to_string())
            })
            .collect();
        let reasons = reasons.remove(&i).unwrap_or_default();
        loaded.rejected.push(Rejected { origin: loaded.origins[i].clone(), cells, reasons });
    }
    loaded.batches = vec![datafusion::arrow::compute::filter_record_batch(&all, &keep)?];
    loaded.origins =
        loaded.origins.iter().enumerate().filter(|(i, _)| keep.value(*i)).map(|(_, o)| o.clone()).collect();
    Ok(())
}

/// Write the rows set aside to `path` as CSV: the table's columns, then where each row was and
/// why it was set aside (columns ingest ignores, so the file can be mended and ingested again).
fn write_rejects(path: &Path, table: &str, rejected: &[Rejected]) -> Result<()> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = schema(table).fields().iter().map(|f| f.name().clone()).collect();
    header.extend(REJECT_COLUMNS.iter().map(|c| c.to_string()));
    let csv_error =
        |e: csv::Error| Error::Invalid { what: path.display().to_string(), problem: e.to_string() };
    out.write_record(&header).map_err(csv_error)?;
    for r in rejected {
        let mut record: Vec<String> = r.cells.iter().map(|c| c.clone().unwrap_or_default()).collect();
        record.push(r.origin.clone());
        record.push(r.reasons.join("; "));
        out.write_record(&record).map_err(csv_error)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::Invalid { what: path.display().to_string(), problem: e.to_string() })?;
    write_file(path, &bytes)
}

/// Ingest `options.files` into warehouse `warehouse`.
pub async fn ingest(warehouse: &Path, options: &IngestOptions) -> Result<IngestReport> {
    let remote = is_remote(warehouse);
    if !remote && !warehouse.is_dir() {
        return Err(Error::NoWarehouse { path: warehouse.to_path_buf(), source: None });
    }
    let incoming = load_all(options)?;
    let table = incoming.table;
    let dir = warehouse.join(table);
    let is_delta = delta::exists(&dir).await?;
    if warehouse.join(format!("{table}.parquet")).exists() || (dir.exists() && !is_delta) {
        let problem = if dir.join(MANIFEST).is_file() {
            format!(
                "it is in the format of chiso before Delta Lake; `chiso upgrade --warehouse {}` makes it a \
                 Delta table in place",
                warehouse.display()
            )
        } else {
            "it is not a Delta table, which ingest needs; rebuild the warehouse with `chiso build`".into()
        };
        return Err(Error::Invalid { what: format!("table {table} in {}", warehouse.display()), problem });
    }

    // One writer at a time on a local warehouse. On object storage there is no lock: a writer
    // that commits first wins, and the other's commit fails with `Error::Conflict` (see
    // `delta::merge`) instead of adding rows its checks did not see.
    let _lock = if remote { None } else { Some(WriteLock::acquire(warehouse, options.wait)?) };
    let old = if is_delta { Some(delta::open(&dir, None).await?) } else { None };

    // Rounds of checks: with `rejects`, rows with problems of their own are set aside and the
    // rest checked again (a row's problem may have been another row's doing: a key used twice).
    let go_on = options.rejects.is_some();
    let mut incoming = incoming;
    let (engine, checked) = loop {
        let engine = Engine::local(Some(warehouse.to_path_buf())).await?;
        let checked = check(&engine, table, &incoming, old.is_some(), options).await?;
        if checked.rows.is_empty() || !checked.whole.is_empty() || !go_on {
            break (engine, checked);
        }
        set_aside(&mut incoming, &checked.rows)?;
        if incoming.origins.is_empty() {
            break (engine, checked);
        }
    };
    let mut problems = checked.whole;
    if !go_on {
        problems.extend(checked.rows.into_iter().map(|(i, c, r)| located(&incoming.origins[i], &c, r)));
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    if let (Some(path), true) = (&options.rejects, incoming.origins.is_empty()) {
        write_rejects(path, table, &incoming.rejected)?;
        return Err(Error::Invalid {
            what: options.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "),
            problem: format!(
                "no row passed the checks: nothing ingested; the {} rows and their reasons are in {}",
                incoming.rejected.len(),
                path.display()
            ),
        });
    }
    let (sorted, replaced, warnings) = (checked.sorted, checked.replaced, checked.warnings);
    let ctx = engine.context();
    let def = builtin(table)?;
    let key = key_column(table);

    // Write: new files first, then one commit makes them the table's next version.
    if !remote {
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", e))?;
    }
    let rows: usize = sorted.iter().map(|b| b.num_rows()).sum();
    let mut writer = TableWriter::new(&dir, &schema(table), &ParquetSettings::default(), None)?;
    let version = match &old {
        // An upsert that replaces rows rewrites the table, sorted, in one commit.
        Some(old) if options.upsert && !replaced.is_empty() => {
            let order = def.sort_by.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
            let df = ctx.sql(&format!("SELECT * FROM __after ORDER BY {order}")).await?;
            let mut stream = df.execute_stream().await?;
            while let Some(batch) = stream.next().await {
                writer.write(&batch?).await?;
            }
            delta::merge(old, &dir, &key, writer.finish().await?, true).await?
        }
        Some(old) => {
            for batch in &sorted {
                writer.write(batch).await?;
            }
            delta::merge(old, &dir, &key, writer.finish().await?, false).await?
        }
        None => {
            for batch in &sorted {
                writer.write(batch).await?;
            }
            delta::create(&dir, &schema(table), &[], writer.finish().await?).await?;
            0
        }
    };
    // The rows set aside are written once the others are in: a failed commit leaves no file.
    if let Some(path) = &options.rejects {
        write_rejects(path, table, &incoming.rejected)?;
    }
    let rejected = incoming.rejected.len();
    Ok(IngestReport { table: table.to_string(), rows, replaced: replaced.len(), warnings, version, rejected })
}

fn located(origin: &str, column: &str, reason: String) -> Problem {
    // `origin` is `file:line` (or `file:row N`): keep it whole as the place.
    Problem { file: origin.to_string(), line: None, column: Some(column.to_string()), reason }
}
