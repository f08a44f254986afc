//! Finding tables: the default warehouse (built from the embedded datasets on first use, cached),
//! any `--warehouse DIR` of Parquet tables, and one-off `--table NAME=PATH` files.
use std::path::{Path, PathBuf};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::datasource::file_format::options::ReadOptions;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::SortExpr;
use datafusion::prelude::col;
use datafusion::prelude::{CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionContext};

use super::manifest_table::ManifestTable;
use crate::data::build::build_warehouse;
use crate::data::datasets::{Datasets, FINGERPRINT};
use crate::data::manifest::{self, MANIFEST};
use crate::data::text::retype_text;
use crate::error::{Error, Result};

/// The cache directory chiso keeps its default warehouse (and shell history) in:
/// `$CHISO_CACHE_DIR`, else `$XDG_CACHE_HOME/chiso`, else `~/.cache/chiso`, else the temp directory.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHISO_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("chiso");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("chiso");
    }
    std::env::temp_dir().join("chiso")
}

/// The default warehouse: the embedded curated datasets, built to Parquet once per version of
/// the data and kept in the cache directory. Returns its path, building it first if needed.
pub async fn default_warehouse() -> Result<PathBuf> {
    let dir = cache_dir().join(format!("warehouse-{FINGERPRINT}"));
    if dir.is_dir() {
        return Ok(dir);
    }
    match build_warehouse(&Datasets::Embedded, &dir, false).await {
        Ok(_) => Ok(dir),
        // Another chiso process may have built it at the same moment: theirs is as good as ours.
        Err(_) if dir.is_dir() => Ok(dir),
        Err(e) => Err(Error::Data(format!(
            "cannot build the default warehouse in {}: {e}\n\
             Set CHISO_CACHE_DIR to a writable directory, or pass --warehouse DIR.",
            dir.display()
        ))),
    }
}

/// A table found in a warehouse directory.
#[derive(Debug, Clone)]
pub struct FoundTable {
    /// Table name (file stem or directory name).
    pub name: String,
    /// The Parquet file, or the directory of Parquet files.
    pub path: PathBuf,
}

/// The tables of warehouse `dir`: each `NAME.parquet` file, and each `NAME/` directory holding
/// Parquet files or `key=value` partition directories.
/// Hidden entries (names starting with `.` or `_`) are skipped: they are temporary or internal.
pub fn scan_warehouse(dir: &Path) -> Result<Vec<FoundTable>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::Data(format!(
            "cannot read warehouse {}: {e}\nPass --warehouse with a directory of Parquet tables, or leave it out to use the built-in data.",
            dir.display()
        ))
    })?;
    let mut tables = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, "read", e))?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name.starts_with('.') || file_name.starts_with('_') {
            continue;
        }
        if path.is_dir() {
            if holds_parquet(&path) {
                tables.push(FoundTable { name: file_name.to_string(), path });
            }
        } else if let Some(stem) = file_name.strip_suffix(".parquet") {
            tables.push(FoundTable { name: stem.to_string(), path });
        }
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tables)
}

/// True when directory `dir` holds Parquet files or hive-style `key=value` partitions.
fn holds_parquet(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name == MANIFEST || name.ends_with(".parquet") || (name.contains('=') && e.path().is_dir())
    })
}

/// A warehouse directory as a DataFusion schema. Tables are found by listing the directory, and
/// each is opened (its Parquet footers read) only when a query first names it, so start-up costs
/// one directory listing however many tables and files the warehouse holds.
#[derive(Debug)]
pub struct WarehouseSchema {
    found: Vec<FoundTable>,
    state: SessionState,
    portable: bool,
    open: Mutex<HashMap<String, Arc<dyn TableProvider>>>,
}

impl WarehouseSchema {
    /// The schema of warehouse `dir`; `ctx` supplies the Parquet reading options. With `portable`,
    /// every table is a plain [`ListingTable`] (see [`register_warehouse`]).
    pub fn new(dir: &Path, ctx: &SessionContext, portable: bool) -> Result<Self> {
        let found = scan_warehouse(dir)?;
        Ok(Self { found, state: ctx.state(), portable, open: Mutex::new(HashMap::new()) })
    }

    fn opened(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        self.open.lock().ok().and_then(|m| m.get(name).cloned())
    }
}

#[async_trait]
impl SchemaProvider for WarehouseSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.found.iter().map(|t| t.name.clone()).collect();
        if let Ok(open) = self.open.lock() {
            names.extend(open.keys().filter(|k| !names.contains(k)).cloned().collect::<Vec<_>>());
        }
        names.sort();
        names
    }

    async fn table(&self, name: &str) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        if let Some(table) = self.opened(name) {
            return Ok(Some(table));
        }
        let Some(found) = self.found.iter().find(|t| t.name == name) else {
            return Ok(None);
        };
        let table = open_parquet(&self.state, &found.path, self.portable).await.map_err(|e| {
            DataFusionError::Plan(format!(
                "cannot read table {name} at {}: {}",
                found.path.display(),
                e.find_root()
            ))
        })?;
        if let Ok(mut open) = self.open.lock() {
            open.insert(name.to_string(), table.clone());
        }
        Ok(Some(table))
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        let mut open =
            self.open.lock().map_err(|_| DataFusionError::Internal("table registry poisoned".into()))?;
        Ok(open.insert(name, table))
    }

    fn deregister_table(&self, name: &str) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        let mut open =
            self.open.lock().map_err(|_| DataFusionError::Internal("table registry poisoned".into()))?;
        Ok(open.remove(name))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.found.iter().any(|t| t.name == name) || self.opened(name).is_some()
    }
}

/// A Parquet file or directory as a listing table, read with the session's Parquet options. A
/// directory with a manifest is read as exactly the files the manifest lists.
async fn open_parquet(
    state: &SessionState,
    path: &Path,
    portable: bool,
) -> datafusion::error::Result<Arc<dyn TableProvider>> {
    let options =
        ParquetReadOptions::default().to_listing_options(state.config(), state.default_table_options());
    open_listing(state, path, options, portable).await
}

/// A file or directory as a listing table with `options`; a manifest, where there is one, names
/// the files, and a directory's hive-style `key=value/` partitions become columns. Unless
/// `portable`, a manifest's per-file values become a [`ManifestTable`] that skips files.
async fn open_listing(
    state: &SessionState,
    path: &Path,
    options: ListingOptions,
    portable: bool,
) -> datafusion::error::Result<Arc<dyn TableProvider>> {
    let plan_error = |e: Error| DataFusionError::Plan(e.to_string());
    let parquet = options.file_extension.ends_with("parquet");
    let listed = if path.is_dir() { manifest::read(path).map_err(plan_error)? } else { None };
    let config = match listed {
        Some(m) if m.files.is_empty() => {
            let at = path.join(MANIFEST);
            return Err(DataFusionError::Plan(format!("{} lists no data files", at.display())));
        }
        Some(m) => {
            let urls = m
                .files
                .iter()
                .map(|f| table_url(&path.join(f)))
                .collect::<Result<Vec<_>>>()
                .map_err(plan_error)?;
            let order: Vec<SortExpr> =
                m.sort_order.iter().map(|c| col(c.as_str()).sort(true, false)).collect();
            let options = if order.is_empty() { options } else { options.with_file_sort_order(vec![order]) };
            let config = ListingTableConfig::new_with_multi_paths(urls.clone())
                .with_listing_options(options.clone())
                .infer_schema(state)
                .await?;
            let all = ListingTable::try_new(codes_as_views(config, parquet))?;
            if m.file_values.is_empty() || portable {
                return Ok(Arc::new(all));
            }
            let files = urls.into_iter().zip(m.files.iter().cloned()).collect();
            return Ok(Arc::new(ManifestTable::new(all, files, m, options)));
        }
        None if path.is_dir() => {
            ListingTableConfig::new(table_url(path).map_err(plan_error)?)
                .with_listing_options(options)
                .infer_partitions_from_path(state)
                .await?
        }
        None => ListingTableConfig::new(table_url(path).map_err(plan_error)?).with_listing_options(options),
    };
    let config = config.infer_schema(state).await?;
    Ok(Arc::new(ListingTable::try_new(codes_as_views(config, parquet))?))
}

/// For Parquet, `config` with its code columns (names ending in `code`: `province_code`,
/// `commune_code`, `legacy_code`, ...) read as `Utf8View`, and its other text as `Utf8`; other
/// formats are left as they are.
///
/// A string of up to 12 bytes, as chiso's codes are, lives inside its view, so grouping and
/// joining on codes compares integers, not strings: 10-30 % faster on the benchmark suite
/// (benches/README.md). Longer text (indicator names, quotes) stays `Utf8`: views of longer
/// strings point into shared buffers, which DataFusion 55 counts once per batch, and a sort of
/// them under `--memory-limit 128M` ran out of memory where the same sort of `Utf8` spilled and
/// finished.
fn codes_as_views(config: ListingTableConfig, parquet: bool) -> ListingTableConfig {
    let Some(schema) = config.file_schema.clone().filter(|_| parquet) else { return config };
    let schema =
        retype_text(
            &schema,
            |f| {
                if f.name().ends_with("code") {
                    DataType::Utf8View
                } else {
                    DataType::Utf8
                }
            },
        );
    config.with_schema(schema)
}

/// Make warehouse `dir` the session's default schema (`datafusion.public`). With `portable`, the
/// tables are plain listing tables, which Ballista can send to a cluster (its codec does not
/// know [`ManifestTable`]); they read the same rows, without the manifest's file skipping.
pub fn register_warehouse(ctx: &SessionContext, dir: &Path, portable: bool) -> Result<()> {
    let schema = WarehouseSchema::new(dir, ctx, portable)?;
    let catalog =
        ctx.catalog("datafusion").ok_or_else(|| Error::Data("the session has no default catalog".into()))?;
    catalog.register_schema("public", Arc::new(schema))?;
    Ok(())
}

/// A local path as a listing-table URL; directories get the trailing `/` that marks them as such.
fn table_url(path: &Path) -> Result<ListingTableUrl> {
    let abs = std::path::absolute(path).map_err(|e| Error::io(path, "resolve", e))?;
    let mut text = abs.to_string_lossy().into_owned();
    if abs.is_dir() && !text.ends_with('/') {
        text.push('/');
    }
    Ok(ListingTableUrl::parse(&text)?)
}

/// Register one extra file or directory as table `name`; the format comes from the file extension
/// (`.parquet`, `.csv`, `.json`/`.ndjson`/`.jsonl`), or from the files inside a directory.
/// `portable` as for [`register_warehouse`].
pub async fn register_file(ctx: &SessionContext, name: &str, path: &Path, portable: bool) -> Result<()> {
    if !path.exists() {
        return Err(Error::Usage(format!("--table {name}={}: no such file or directory", path.display())));
    }
    let ext = format_of(path)?;
    let state = ctx.state();
    let (config, table_options) = (state.config(), state.default_table_options());
    let options = match ext.as_str() {
        "parquet" => ParquetReadOptions::default().to_listing_options(config, table_options),
        "csv" => CsvReadOptions::new().to_listing_options(config, table_options),
        "json" | "ndjson" | "jsonl" => JsonReadOptions::default()
            .file_extension(&format!(".{ext}"))
            .to_listing_options(config, table_options),
        other => {
            return Err(Error::Usage(format!(
                "--table {name}={}: unknown format .{other}; use a .parquet, .csv, .json or .ndjson file",
                path.display()
            )))
        }
    };
    let table = open_listing(&state, path, options, portable).await.map_err(|e| {
        Error::Data(format!("cannot read table {name} at {}: {}", path.display(), e.find_root()))
    })?;
    ctx.register_table(name, table)?;
    Ok(())
}

/// Extensions of the files under `dir`, down to `depth` levels (partition directories).
fn collect_extensions(dir: &Path, depth: usize, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() && depth > 0 {
            collect_extensions(&p, depth - 1, out);
        } else if let Some(ext) = p.extension() {
            out.push(ext.to_string_lossy().to_lowercase());
        }
    }
}

const KNOWN: [&str; 5] = ["parquet", "csv", "json", "ndjson", "jsonl"];

/// The extension that decides how `path` is read: its own, or that of the first file inside it.
fn format_of(path: &Path) -> Result<String> {
    let ext_of = |p: &Path| p.extension().map(|e| e.to_string_lossy().to_lowercase());
    if path.is_dir() {
        let mut exts = Vec::new();
        collect_extensions(path, 3, &mut exts);
        KNOWN
            .iter()
            .find(|k| exts.iter().any(|e| e == *k))
            .map(|k| k.to_string())
            .ok_or_else(|| Error::Usage(format!("{}: the directory holds no data files", path.display())))
    } else {
        Ok(ext_of(path).unwrap_or_default())
    }
}
