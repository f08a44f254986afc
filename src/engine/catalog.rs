//! The session's tables: a warehouse directory as the default schema (its tables opened when a
//! query first names them, at their latest version or at one moment of their history), and extra
//! tables from single files or directories.
use std::path::Path;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::file_format::options::ReadOptions;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::SortExpr;
use datafusion::prelude::col;
use datafusion::prelude::{CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionContext};

use super::files_table::FilesTable;
use crate::error::{Error, Result};
use crate::storage::delta::AsOf;
use crate::storage::store::{is_remote, place, s3_store, Place};
use crate::storage::text::retype_text;
use crate::storage::warehouse::{table_files, tables, FoundTable};

/// A warehouse directory as a DataFusion schema. Tables are found by listing the directory, and
/// each is opened (its Parquet footers read) only when a query first names it, so start-up costs
/// one directory listing however many tables and files the warehouse holds.
#[derive(Debug)]
pub struct WarehouseSchema {
    found: Vec<FoundTable>,
    state: SessionState,
    as_of: Option<AsOf>,
    open: Mutex<HashMap<String, Arc<dyn TableProvider>>>,
}

impl WarehouseSchema {
    /// The schema of warehouse `dir`; `ctx` supplies the Parquet reading options, `as_of` the
    /// version of each table read.
    pub async fn new(dir: &Path, ctx: &SessionContext, as_of: Option<AsOf>) -> Result<Self> {
        let found = tables(dir).await?;
        Ok(Self { found, state: ctx.state(), as_of, open: Mutex::new(HashMap::new()) })
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
        let opened = open_parquet(&self.state, &found.path, self.as_of.as_ref()).await;
        let table = opened.map_err(|e| match e {
            // chiso's own errors say what and where already; they travel inside DataFusion's.
            DataFusionError::External(inner) => match inner.downcast::<Error>() {
                Ok(ours) => {
                    DataFusionError::External(Box::new(ours.context(format!("cannot read table {name}"))))
                }
                Err(other) => DataFusionError::External(other),
            },
            e => DataFusionError::Plan(format!(
                "cannot read table {name} at {}: {}",
                found.path.display(),
                e.find_root()
            )),
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
/// Delta table (or a table with an old manifest) is read as exactly the files of its version.
async fn open_parquet(
    state: &SessionState,
    path: &Path,
    as_of: Option<&AsOf>,
) -> datafusion::error::Result<Arc<dyn TableProvider>> {
    let options =
        ParquetReadOptions::default().to_listing_options(state.config(), state.default_table_options());
    open_listing(state, path, options, as_of).await
}

/// A file or directory as a listing table with `options`; a Delta log (or an old manifest), where
/// there is one, names the files, and a directory's hive-style `key=value/` partitions become
/// columns. Files that hold one value of a column make a [`FilesTable`], which skips files.
async fn open_listing(
    state: &SessionState,
    path: &Path,
    options: ListingOptions,
    as_of: Option<&AsOf>,
) -> datafusion::error::Result<Arc<dyn TableProvider>> {
    let plan_error = |e: Error| DataFusionError::External(Box::new(e));
    let parquet = options.file_extension.ends_with("parquet");
    let is_table_dir = path.is_dir() || is_remote(path);
    let listed = if is_table_dir { table_files(path, as_of).await.map_err(plan_error)? } else { None };
    let config = match listed {
        Some(m) if m.files.is_empty() => {
            let Some(schema) = m.schema.clone() else {
                return Err(DataFusionError::Plan(format!("{} lists no data files", path.display())));
            };
            let empty = ListingTableConfig::new_with_multi_paths(vec![]).with_schema(schema.clone());
            let schema = codes_as_views(empty, parquet).file_schema.unwrap_or(schema);
            return Ok(Arc::new(EmptyTable::new(schema)));
        }
        Some(m) => {
            let urls = m
                .files
                .iter()
                // A Delta log may name a file by its full URL (a table cloned from another).
                .map(|f| match f.contains("://") {
                    true => ListingTableUrl::parse(f).map_err(Error::from),
                    false => table_url(&path.join(f)),
                })
                .collect::<Result<Vec<_>>>()
                .map_err(plan_error)?;
            let order: Vec<SortExpr> =
                m.sort_order.iter().map(|c| col(c.as_str()).sort(true, false)).collect();
            let options = if order.is_empty() { options } else { options.with_file_sort_order(vec![order]) };
            let config =
                ListingTableConfig::new_with_multi_paths(urls.clone()).with_listing_options(options.clone());
            // The log declares the columns; only an old manifest's files are asked.
            let config = match m.schema.clone() {
                Some(schema) => config.with_schema(schema),
                None => config.infer_schema(state).await?,
            };
            let all = ListingTable::try_new(codes_as_views(config, parquet))?;
            if m.file_values.is_empty() {
                return Ok(Arc::new(all));
            }
            let files = urls.into_iter().zip(m.files.iter().cloned()).collect();
            return Ok(Arc::new(FilesTable::new(all, files, m, options)));
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

/// Make warehouse `dir` the session's default schema (`datafusion.public`).
/// A warehouse on object storage has its store registered with the session, which reads its files.
pub async fn register_warehouse(ctx: &SessionContext, dir: &Path, as_of: Option<AsOf>) -> Result<()> {
    if let Place::Remote(url) = place(dir)? {
        ctx.register_object_store(&url, s3_store(&url)?);
    }
    let schema = WarehouseSchema::new(dir, ctx, as_of).await?;
    let catalog = ctx
        .catalog("datafusion")
        .ok_or_else(|| Error::Internal("the session has no default catalog".into()))?;
    catalog.register_schema("public", Arc::new(schema))?;
    Ok(())
}

/// A local path or object-store URL as a listing-table URL; local directories get the trailing
/// `/` that marks them as such.
fn table_url(path: &Path) -> Result<ListingTableUrl> {
    if let Place::Remote(url) = place(path)? {
        // A data file, not a directory: no trailing slash.
        return Ok(ListingTableUrl::parse(url.as_str().trim_end_matches('/'))?);
    }
    let abs = std::path::absolute(path).map_err(|e| Error::io(path, "resolve", e))?;
    let mut text = abs.to_string_lossy().into_owned();
    if abs.is_dir() && !text.ends_with('/') {
        text.push('/');
    }
    Ok(ListingTableUrl::parse(&text)?)
}

/// Register one extra file or directory as table `name`; the format comes from the file extension
/// (`.parquet`, `.csv`, `.json`/`.ndjson`/`.jsonl`), or from the files inside a directory.
pub async fn register_file(ctx: &SessionContext, name: &str, path: &Path) -> Result<()> {
    let bad = |problem: String| Error::setting("table", format!("{name}={}", path.display()), problem);
    if !path.exists() {
        return Err(bad("no such file or directory".into()));
    }
    let ext = format_of(path).map_err(bad)?;
    let state = ctx.state();
    let (config, table_options) = (state.config(), state.default_table_options());
    let options = match ext.as_str() {
        "parquet" => ParquetReadOptions::default().to_listing_options(config, table_options),
        "csv" => CsvReadOptions::new().to_listing_options(config, table_options),
        "json" | "ndjson" | "jsonl" => JsonReadOptions::default()
            .file_extension(&format!(".{ext}"))
            .to_listing_options(config, table_options),
        other => {
            return Err(bad(format!("unknown format .{other}; use a .parquet, .csv, .json or .ndjson file")))
        }
    };
    let table = open_listing(&state, path, options, None)
        .await
        .map_err(|e| Error::Query(e).context(format!("cannot read table {name} at {}", path.display())))?;
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
fn format_of(path: &Path) -> std::result::Result<String, String> {
    let ext_of = |p: &Path| p.extension().map(|e| e.to_string_lossy().to_lowercase());
    if path.is_dir() {
        let mut exts = Vec::new();
        collect_extensions(path, 3, &mut exts);
        KNOWN
            .iter()
            .find(|k| exts.iter().any(|e| e == *k))
            .map(|k| k.to_string())
            .ok_or_else(|| "the directory holds no data files".to_string())
    } else {
        Ok(ext_of(path).unwrap_or_default())
    }
}
