//! Delta Lake tables: every table chiso writes is one, a directory of Parquet files with a
//! `_delta_log/` of JSON commits saying which files make up each version. The `deltalake` crate
//! writes the files and the commits; a commit is the atomic creation of the next log entry, so a
//! reader (chiso, Spark, DuckDB, Polars, Python `deltalake`) sees a table before or after a
//! change, never a mix, and files a crashed writer left behind belong to no version.
//!
//! Reading goes through [`TableFiles`]: the file list of one version, with what chiso's table
//! provider uses to skip work (the declared sort order, and the columns a file holds one value of,
//! read from the file statistics the log keeps).
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use deltalake::kernel::engine::arrow_conversion::{TryIntoArrow, TryIntoKernel};
use deltalake::kernel::transaction::{CommitBuilder, TransactionError};
use deltalake::kernel::{Action, Add, StructType};
use deltalake::operations::convert_to_delta::ConvertToDeltaBuilder;
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::{DeltaOperation, MergePredicate, SaveMode};
use deltalake::writer::{DeltaWriter, RecordBatchWriter};
use deltalake::{DeltaTable, DeltaTableBuilder, DeltaTableError};
use futures::TryStreamExt;
use url::Url;

use super::files::ParquetSettings;
use super::store::{self, place, Place};
use super::text;
use crate::error::{Error, Result};

/// A loaded version of a Delta table.
pub type Table = DeltaTable;

/// The directory of a Delta table's commits.
pub const LOG_DIR: &str = "_delta_log";

/// The table property naming the columns every file of the table is sorted by (comma-separated).
/// Delta has no sort order of its own; other readers ignore the property.
pub const SORT_ORDER: &str = "chiso.sortOrder";

/// True when the local directory `dir` is a Delta table.
pub fn is_delta(dir: &Path) -> bool {
    dir.join(LOG_DIR).is_dir()
}

/// True when `dir`, a local directory or an object-store URL, is a Delta table.
pub async fn exists(dir: &Path) -> Result<bool> {
    match place(dir)? {
        Place::Local => Ok(is_delta(dir)),
        Place::Remote(url) => store::has_log(&url).await,
    }
}

/// Which version of a table to read: a version number, or the version current at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsOf {
    /// A version number (0 is the table's first).
    Version(u64),
    /// The last version committed at or before this time.
    Time(DateTime<Utc>),
}

impl FromStr for AsOf {
    type Err = String;

    /// `7`, `2026-11-30T08:00:00Z` (RFC 3339) or `2026-11-30` (the end of that day, UTC).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim();
        if let Ok(v) = s.parse::<u64>() {
            return Ok(AsOf::Version(v));
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(AsOf::Time(t.with_timezone(&Utc)));
        }
        if let Some(end) =
            NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(23, 59, 59))
        {
            return Ok(AsOf::Time(end.and_utc()));
        }
        Err("give a version number, a date (2026-11-30) or a time (2026-11-30T08:00:00Z)".into())
    }
}

impl std::fmt::Display for AsOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AsOf::Version(v) => write!(f, "version {v}"),
            AsOf::Time(t) => write!(f, "{}", t.to_rfc3339()),
        }
    }
}

/// The files of one version of a table, as chiso's table provider reads them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableFiles {
    /// Data file paths, relative to the table directory (or absolute URLs).
    pub files: Vec<String>,
    /// Columns every file is sorted by (ascending), declared to the engine so it can skip sorts.
    pub sort_order: Vec<String>,
    /// Text columns that hold one value throughout a file, with no nulls (`indicator` in a
    /// generated warehouse): file → column → value. A filter on such a column reads only the
    /// files it names.
    pub file_values: BTreeMap<String, BTreeMap<String, String>>,
    /// The table's columns as its log declares them (`None` where only the files say).
    pub schema: Option<SchemaRef>,
}

/// A table's location (a local directory or an object-store URL) as the URL deltalake takes.
fn url_of(dir: &Path) -> Result<Url> {
    match place(dir)? {
        Place::Remote(url) => {
            store::register_s3();
            Ok(url)
        }
        Place::Local => {
            let abs = std::path::absolute(dir).map_err(|e| Error::io(dir, "resolve", e))?;
            Url::from_directory_path(&abs)
                .map_err(|_| Error::Internal(format!("{} cannot be written as a URL", abs.display())))
        }
    }
}

/// `action` on table `dir` failed with `e`.
fn failed(dir: &Path, action: &str, e: DeltaTableError) -> Error {
    Error::Invalid { what: format!("table {}", dir.display()), problem: format!("cannot {action}: {e}") }
}

/// Open the Delta table in `dir` at its latest version, or at `as_of`.
pub async fn open(dir: &Path, as_of: Option<&AsOf>) -> Result<DeltaTable> {
    let builder = DeltaTableBuilder::from_url(url_of(dir)?).map_err(|e| failed(dir, "open it", e))?;
    let builder = match as_of {
        None => builder,
        Some(AsOf::Version(v)) => builder.with_version(*v),
        Some(AsOf::Time(t)) => builder.with_timestamp(*t),
    };
    match builder.load().await {
        // deltalake reads a time before the first commit as the first version: refuse it.
        Ok(table) if matches!(as_of, Some(AsOf::Time(t)) if committed_after(&table, *t)) => {
            let at = as_of.map(ToString::to_string).unwrap_or_default();
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Err(Error::Invalid {
                what: format!("table {}", dir.display()),
                problem: format!("did not exist yet at {at} (`chiso history {name}` lists its versions)"),
            })
        }
        Ok(table) => Ok(table),
        Err(e) => match as_of {
            Some(at) => Err(no_such_version(dir, at, e).await),
            None => Err(failed(dir, "read it", e)),
        },
    }
}

/// Whether `table`'s loaded version was committed after `time`.
fn committed_after(table: &DeltaTable, time: DateTime<Utc>) -> bool {
    let Ok(state) = table.snapshot() else { return false };
    state.version_timestamp(state.version()).is_some_and(|ms| ms > time.timestamp_millis())
}

/// Why table `dir` could not be read `at` a version: the versions it has, when its latest reads.
async fn no_such_version(dir: &Path, at: &AsOf, e: DeltaTableError) -> Error {
    let latest = match Box::pin(open(dir, None)).await {
        Ok(table) => table.version(),
        Err(_) => None,
    };
    let Some(latest) = latest else { return failed(dir, &format!("read it at {at}"), e) };
    let what = format!("table {}", dir.display());
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let problem = match at {
        AsOf::Version(_) => {
            format!("has no {at}: its versions are 0 to {latest} (`chiso history {name}` lists them)")
        }
        AsOf::Time(_) => format!("cannot be read at {at}: {e} (`chiso history {name}` lists its versions)"),
    };
    Error::Invalid { what, problem }
}

/// The files of `table`'s loaded version.
pub fn files_of(table: &DeltaTable, dir: &Path) -> Result<TableFiles> {
    let snapshot = table.snapshot().map_err(|e| failed(dir, "read it", e))?;
    let sort_order = snapshot
        .metadata()
        .configuration()
        .get(SORT_ORDER)
        .map(|v| v.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect())
        .unwrap_or_default();
    let mut files = Vec::new();
    let mut file_values = BTreeMap::new();
    for file in snapshot.log_data().iter() {
        let path = file.path().into_owned();
        let values = file.stats().map(|s| one_value_columns(&s)).unwrap_or_default();
        if !values.is_empty() {
            file_values.insert(path.clone(), values);
        }
        files.push(path);
    }
    files.sort();
    let schema: Schema =
        snapshot.schema().as_ref().try_into_arrow().map_err(|e| failed(dir, "read its schema", e.into()))?;
    Ok(TableFiles { files, sort_order, file_values, schema: Some(Arc::new(schema)) })
}

/// From a file's Delta statistics (`{"numRecords":…,"minValues":{…},"maxValues":{…},"nullCount":{…}}`),
/// the text columns whose minimum equals their maximum and which have no nulls. A writer that
/// truncates long text in statistics makes the maximum differ (arrow's writer rounds it up), so a
/// truncated value is never taken for a whole one.
fn one_value_columns(stats: &str) -> BTreeMap<String, String> {
    let Ok(stats) = serde_json::from_str::<serde_json::Value>(stats) else { return BTreeMap::new() };
    let (Some(min), Some(max), Some(nulls)) =
        (stats["minValues"].as_object(), stats["maxValues"].as_object(), stats["nullCount"].as_object())
    else {
        return BTreeMap::new();
    };
    min.iter()
        .filter_map(|(column, low)| {
            let low = low.as_str()?;
            (max.get(column)?.as_str()? == low && nulls.get(column)?.as_i64()? == 0)
                .then(|| (column.clone(), low.to_string()))
        })
        .collect()
}

/// Data files being written for a table: Parquet with [`ParquetSettings`], text views written as
/// plain `Utf8` (see [`text`]), each file's statistics kept for the commit. Nothing is visible to
/// readers until the files are committed ([`create`], [`merge`], [`replace`]).
pub struct TableWriter {
    writer: RecordBatchWriter,
    schema: SchemaRef,
    rows: usize,
}

/// Files written and not yet committed, and the rows they hold.
#[derive(Debug, Default)]
pub struct Written {
    adds: Vec<Add>,
    /// Rows in the files.
    pub rows: usize,
}

impl Written {
    /// Bytes in the files.
    pub fn bytes(&self) -> u64 {
        self.adds.iter().map(|a| a.size.max(0) as u64).sum()
    }

    /// The files of both, to commit together.
    pub fn join(mut self, other: Written) -> Written {
        self.adds.extend(other.adds);
        self.rows += other.rows;
        self
    }
}

impl TableWriter {
    /// Start writing files of rows of `schema` into table directory `dir` (which need not be a
    /// table yet). Files are cut at `file_bytes` (one file per [`TableWriter::cut`] when `None`).
    pub fn new(
        dir: &Path,
        schema: &Schema,
        settings: &ParquetSettings,
        file_bytes: Option<u64>,
    ) -> Result<Self> {
        let schema = text::plain_schema(schema);
        let writer = RecordBatchWriter::try_new(url_of(dir)?, schema.clone(), None, None)
            .map_err(|e| failed(dir, "write to it", e))?
            .with_writer_properties(settings.properties())
            .with_target_file_size(file_bytes.unwrap_or(u64::MAX));
        Ok(Self { writer, schema, rows: 0 })
    }

    /// Append one batch.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows();
        let batch = text::plain_batch(batch, &self.schema)?;
        self.writer.write(batch).await.map_err(|e| Error::Invalid {
            what: "a data file".into(),
            problem: format!("cannot be written: {e}"),
        })
    }

    /// Finish the files written so far.
    pub async fn finish(mut self) -> Result<Written> {
        let adds = self.writer.flush().await.map_err(|e| Error::Invalid {
            what: "a data file".into(),
            problem: format!("cannot be written: {e}"),
        })?;
        Ok(Written { adds, rows: self.rows })
    }
}

/// Create the Delta table `dir` whose first version holds the files `written`; `sort_order`
/// names the columns they are sorted by.
pub async fn create(dir: &Path, schema: &Schema, sort_order: &[String], written: Written) -> Result<()> {
    let plain = text::plain_schema(schema);
    let fields: StructType = plain.as_ref().try_into_kernel().map_err(|e| Error::Internal(e.to_string()))?;
    let mut builder = CreateBuilder::new()
        .with_location(url_of(dir)?.as_str())
        .with_columns(fields.fields().cloned())
        .with_save_mode(SaveMode::ErrorIfExists)
        .with_raise_if_key_not_exists(false)
        .with_actions(written.adds.into_iter().map(Action::Add));
    if !sort_order.is_empty() {
        builder = builder.with_configuration([(SORT_ORDER, Some(sort_order.join(",")))]);
    }
    builder.await.map_err(|e| failed(dir, "create it", e))?;
    Ok(())
}

/// Make the directory of Parquet files `dir` a Delta table whose first version is those files
/// (their statistics read from their footers); `sort_order` as for [`create`].
pub async fn convert(dir: &Path, sort_order: &[String]) -> Result<()> {
    let table = ConvertToDeltaBuilder::new()
        .with_location(url_of(dir)?.as_str())
        .await
        .map_err(|e| failed(dir, "make it a Delta table", e))?;
    // The conversion takes only Delta's own properties; chiso's is set in a second commit.
    if !sort_order.is_empty() {
        table
            .set_tbl_properties()
            .with_properties([(SORT_ORDER.to_string(), sort_order.join(","))].into())
            .with_raise_if_not_exists(false)
            .await
            .map_err(|e| failed(dir, "record its sort order", e))?;
    }
    Ok(())
}

/// Commit the files `written` to `table` as the insert of a merge on `key` (`MERGE INTO table
/// USING new ON key`): rows whose key is new are inserted and, with `replace_all`, the table's
/// files are all replaced by `written`, which then holds the table's kept rows too. Recorded as
/// a merge that read the whole table, so a commit by another writer since `table` was read (whose
/// rows this one's key checks did not see) makes this one fail rather than add doubles; returns
/// the version.
pub async fn merge(
    table: &DeltaTable,
    dir: &Path,
    key: &str,
    written: Written,
    replace_all: bool,
) -> Result<u64> {
    let snapshot = table.snapshot().map_err(|e| failed(dir, "read it", e))?;
    let mut actions: Vec<Action> = Vec::new();
    if replace_all {
        actions.extend(snapshot.log_data().iter().map(|f| Action::Remove(f.remove_action(true))));
    }
    actions.extend(written.adds.into_iter().map(Action::Add));
    let clause = |action: &str| MergePredicate { action_type: action.into(), predicate: None };
    let operation = DeltaOperation::Merge {
        predicate: None,
        merge_predicate: Some(format!("target.{key} = source.{key}")),
        matched_predicates: if replace_all { vec![clause("update")] } else { Vec::new() },
        not_matched_predicates: vec![clause("insert")],
        not_matched_by_source_predicates: Vec::new(),
    };
    commit(table, dir, actions, operation).await
}

/// Commit the files `written` as `table`'s whole content in a new version (the files of the
/// version before stay on disk for time travel); returns the version.
pub async fn replace(table: &DeltaTable, dir: &Path, written: Written) -> Result<u64> {
    let snapshot = table.snapshot().map_err(|e| failed(dir, "read it", e))?;
    let mut actions: Vec<Action> =
        snapshot.log_data().iter().map(|f| Action::Remove(f.remove_action(true))).collect();
    actions.extend(written.adds.into_iter().map(Action::Add));
    let operation = DeltaOperation::Write { mode: SaveMode::Overwrite, partition_by: None, predicate: None };
    commit(table, dir, actions, operation).await
}

async fn commit(
    table: &DeltaTable,
    dir: &Path,
    actions: Vec<Action>,
    operation: DeltaOperation,
) -> Result<u64> {
    let snapshot = table.snapshot().map_err(|e| failed(dir, "read it", e))?;
    let done = CommitBuilder::default()
        .with_actions(actions)
        .build(Some(snapshot), table.log_store(), operation)
        .await
        .map_err(|e| match e {
            DeltaTableError::Transaction { source: TransactionError::CommitConflict(conflict) } => {
                // The first line says what happened; deltalake's help that follows is about its API.
                let detail = conflict.to_string().lines().next().unwrap_or_default().to_string();
                Error::Conflict { table: dir.display().to_string(), detail }
            }
            e => failed(dir, "commit to it", e),
        })?;
    Ok(done.version())
}

/// One version of a table, as `chiso history` lists it.
#[derive(Debug, Clone)]
pub struct Version {
    /// The version number.
    pub version: u64,
    /// When it was committed, as `--as-of` reads times.
    pub time: Option<DateTime<Utc>>,
    /// The operation that made it (`CREATE TABLE`, `WRITE`, `MERGE`...).
    pub operation: String,
    /// The table's rows at this version.
    pub rows: Option<u64>,
    /// The table's data files at this version.
    pub files: usize,
}

/// The versions of the Delta table in `dir`, newest first.
pub async fn history(dir: &Path) -> Result<Vec<Version>> {
    let table = open(dir, None).await?;
    let latest = table.version().unwrap_or_default();
    let infos: Vec<_> =
        table.history(None).try_collect().await.map_err(|e| failed(dir, "read its log", e))?;
    let mut versions = Vec::new();
    for (i, info) in infos.into_iter().enumerate() {
        let version = latest.saturating_sub(i as u64);
        let at = open(dir, Some(&AsOf::Version(version))).await?;
        let snapshot = at.snapshot().map_err(|e| failed(dir, "read it", e))?;
        let (mut rows, mut files) = (Some(0u64), 0);
        for file in snapshot.log_data().iter() {
            files += 1;
            rows = rows.zip(file.num_records()).map(|(a, b)| a + b as u64);
        }
        versions.push(Version {
            version,
            // The time `--as-of` goes by (deltalake's: the log entry's own), which can be a few
            // milliseconds after the committer's clock in the entry.
            time: snapshot
                .version_timestamp(version)
                .or(info.timestamp)
                .and_then(DateTime::from_timestamp_millis),
            operation: info.operation.unwrap_or_default(),
            rows,
            files,
        });
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_reads_versions_dates_and_times() {
        assert_eq!("3".parse::<AsOf>(), Ok(AsOf::Version(3)));
        let day: AsOf = "2026-11-30".parse().unwrap();
        assert_eq!(day.to_string(), "2026-11-30T23:59:59+00:00");
        let time: AsOf = "2026-11-30T08:00:00+07:00".parse().unwrap();
        assert_eq!(time.to_string(), "2026-11-30T01:00:00+00:00");
        assert!("-1".parse::<AsOf>().is_err());
        assert!("yesterday".parse::<AsOf>().unwrap_err().contains("version number"));
    }

    #[test]
    fn a_file_holds_one_value_only_where_min_is_max_without_nulls() {
        let stats = r#"{"numRecords":3,"minValues":{"indicator":"eid","province_code":"01","value":1.0,"note":"a"},
            "maxValues":{"indicator":"eid","province_code":"40","value":9.0,"note":"a"},
            "nullCount":{"indicator":0,"province_code":0,"value":0,"note":1}}"#;
        let values = one_value_columns(stats);
        assert_eq!(
            values.into_iter().collect::<Vec<_>>(),
            vec![("indicator".to_string(), "eid".to_string())]
        );
        assert!(one_value_columns("not json").is_empty());
    }
}
