//! `ingest`: add rows to a warehouse table safely. Everything is checked before anything is
//! written; then new data files are written and made visible by one Delta commit, under the
//! warehouse write lock. A bad input is rejected whole and leaves the warehouse untouched; files
//! of a writer that dies before its commit belong to no version, so no reader sees them.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::Array;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use futures::StreamExt;

use super::input::{load, Loaded};
use super::reports::ReportDirs;
use super::validate::{validate, Finding, Severity};
use crate::engine::Engine;
use crate::error::{Error, Problem, Result};
use crate::storage::build::sort_batches;
use crate::storage::delta::{self, TableWriter};
use crate::storage::files::ParquetSettings;
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
        if let Some(l) = load(path, options.into.as_deref(), &mut problems) {
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
    }
    Ok(first)
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

    let engine = Engine::local(Some(warehouse.to_path_buf())).await?;
    let key = key_column(table);
    let new_keys = keys(&incoming.batches, &key);
    let mut problems = Vec::new();

    // Keys: present, unique within the input, and new to the warehouse unless upserting.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, k) in new_keys.iter().enumerate() {
        let Some(k) = k else { continue };
        if let Some(first) = seen.insert(k, i) {
            problems.push(located(
                &incoming.origins[i],
                &key,
                format!("{k:?} is also at {}", incoming.origins[first]),
            ));
        }
    }
    let ctx = engine.context();
    let existing_keys: HashSet<String> = if old.is_some() {
        let sql = format!("SELECT \"{key}\" FROM \"{table}\"");
        let rows = ctx.sql(&sql).await?.collect().await?;
        keys(&rows, &key).into_iter().flatten().collect()
    } else {
        HashSet::new()
    };
    let replaced: HashSet<&str> =
        new_keys.iter().flatten().filter(|k| existing_keys.contains(*k)).map(|k| k.as_str()).collect();
    if !options.upsert {
        for (i, k) in new_keys.iter().enumerate() {
            if let Some(k) = k.as_ref().filter(|k| existing_keys.contains(*k)) {
                problems.push(located(
                    &incoming.origins[i],
                    &key,
                    format!("{k:?} is already in the warehouse (an upsert replaces it)"),
                ));
            }
        }
    }

    // The table as it would be: the kept old rows and the new ones; validate checks run on it.
    let def = builtin(table)?;
    let sorted = sort_batches(def, incoming.batches.clone()).await?;
    ctx.register_table("__incoming", Arc::new(MemTable::try_new(schema(table), vec![sorted.clone()])?))?;
    let kept = if old.is_some() {
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

    let findings = validate(&engine, &options.sources).await?;
    let origin_of: HashMap<&str, &str> = new_keys
        .iter()
        .zip(&incoming.origins)
        .filter_map(|(k, o)| k.as_deref().map(|k| (k, o.as_str())))
        .collect();
    let mut warnings = Vec::new();
    for f in findings {
        let origin = f.obs_id.as_deref().and_then(|id| origin_of.get(id).copied());
        let concerns_new = table != "observations" || origin.is_some();
        match (f.severity, concerns_new) {
            (Severity::Error, true) => {
                let at = origin.unwrap_or("the warehouse after this ingest");
                problems.push(located(at, f.column(), f.message.clone()));
            }
            (Severity::Warning, true) => warnings.push(f),
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }

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
    Ok(IngestReport { table: table.to_string(), rows, replaced: replaced.len(), warnings, version })
}

fn located(origin: &str, column: &str, reason: String) -> Problem {
    // `origin` is `file:line` (or `file:row N`): keep it whole as the place.
    Problem { file: origin.to_string(), line: None, column: Some(column.to_string()), reason }
}
