//! `export`: a query's result to Parquet, CSV, JSON, NDJSON or a Delta table, streamed (memory
//! stays flat however large the result), optionally partitioned hive-style, and published
//! atomically: the output file or directory appears complete or not at all (through
//! `storage::files`), and a Delta table's new version by its one commit.
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::csv::WriterBuilder as CsvWriterBuilder;
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;

use crate::error::{Error, Result, Thing};
use crate::ops::output::Format;
use crate::progress::{human_bytes, Progress};
use crate::storage::delta::{self, TableWriter};
use crate::storage::files::{check_free, Codec, IfExists, NewDir, NewFile, ParquetFile, ParquetSettings};
use crate::storage::store::is_remote;

/// Compression of Parquet output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    /// zstd, level 3.
    Zstd,
    /// Snappy.
    Snappy,
    /// No compression.
    None,
}

/// Where and how to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Output file, or directory when partitioned.
    pub out: PathBuf,
    /// Parquet, CSV, JSON or NDJSON.
    pub format: Format,
    /// Columns to partition by (hive-style `col=value/` directories).
    pub partition_by: Vec<String>,
    /// Parquet compression.
    pub compression: Compression,
    /// Rows per Parquet row group.
    pub row_group_size: Option<usize>,
    /// Replace an existing output.
    pub overwrite: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy)]
pub struct ExportReport {
    /// Rows written.
    pub rows: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Counts the bytes that pass through to the file.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// chiso's Parquet settings with the export's compression and row groups.
fn parquet_settings(options: &ExportOptions) -> ParquetSettings {
    let codec = match options.compression {
        Compression::Zstd => Codec::Zstd(3),
        Compression::Snappy => Codec::Snappy,
        Compression::None => Codec::Uncompressed,
    };
    ParquetSettings { codec, row_group_rows: options.row_group_size, ..Default::default() }
}

/// Check the request before any work: output free (or `overwrite`), parent present, options fit the format.
pub fn check(options: &ExportOptions, columns: &[String]) -> Result<()> {
    let out = &options.out;
    if is_remote(out) {
        let problem = "export writes to local disk; a warehouse on object storage takes new rows by ingest";
        return Err(Error::setting("out", out.display(), problem));
    }
    check_free(out, options.overwrite)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            let problem = format!("{}: no such directory to write into", parent.display());
            return Err(Error::setting("out", out.display(), problem));
        }
    }
    let format = format!("{:?}", options.format).to_lowercase();
    if options.format == Format::Table || options.format == Format::Markdown {
        return Err(Error::setting("format", format, "export writes parquet, csv, json, ndjson or delta"));
    }
    if options.format == Format::Delta && !options.partition_by.is_empty() {
        let problem = "chiso writes Delta tables unpartitioned (a filter skips files by their statistics); \
                       leave --partition-by out, or export parquet";
        return Err(Error::rule("partition_by", problem));
    }
    if options.format == Format::Delta && out.exists() && !delta::is_delta(out) {
        let problem = format!("{}: is there and is not a Delta table; choose a new directory", out.display());
        return Err(Error::setting("out", out.display(), problem));
    }
    let parquet = matches!(options.format, Format::Parquet | Format::Delta);
    if !parquet && options.compression != Compression::None {
        let compression = format!("{:?}", options.compression).to_lowercase();
        let problem =
            format!("compression applies to Parquet; {format} output is written uncompressed (use none)");
        return Err(Error::setting("compression", compression, problem));
    }
    for col in &options.partition_by {
        if !columns.contains(col) {
            return Err(Error::NotFound {
                kind: Thing::Column,
                name: col.clone(),
                candidates: columns.to_vec(),
                within: "the result".into(),
                setting: Some("partition_by"),
            });
        }
    }
    Ok(())
}

/// Run `df` and write its result as `options` say.
pub async fn export(df: DataFrame, options: &ExportOptions) -> Result<ExportReport> {
    let columns: Vec<String> = df.schema().fields().iter().map(|f| f.name().clone()).collect();
    check(options, &columns)?;
    if options.format == Format::Delta {
        write_delta(df, options).await
    } else if options.partition_by.is_empty() {
        write_file(df, options).await
    } else {
        write_partitioned(df, options).await
    }
}

/// Feed every batch of `stream` to `write` (which returns the bytes written so far, when the writer
/// knows them), keeping the progress line up to date; returns the row count.
async fn each_batch(
    stream: &mut SendableRecordBatchStream,
    mut write: impl FnMut(&RecordBatch) -> Result<Option<u64>>,
) -> Result<u64> {
    let mut progress = Progress::new();
    let mut rows = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        match write(&batch)? {
            Some(bytes) => progress.update(format!("{rows} rows, {} written", human_bytes(bytes))),
            None => progress.update(format!("{rows} rows written")),
        }
    }
    progress.finish();
    Ok(rows)
}

async fn write_file(df: DataFrame, options: &ExportOptions) -> Result<ExportReport> {
    let out = &options.out;
    let schema = df.schema().inner().clone();
    let mut stream = df.execute_stream().await?;
    if options.format == Format::Parquet {
        let mut file = ParquetFile::create(out, &schema, &parquet_settings(options))?;
        let rows = each_batch(&mut stream, |b| {
            file.write(b)?;
            Ok(Some(file.bytes_written()))
        })
        .await?;
        return Ok(ExportReport { rows, bytes: file.finish()? });
    }
    let new = NewFile::create(out)?;
    let sink = Counting { inner: BufWriter::new(new.handle()?), bytes: 0 };
    let (rows, sink) = match options.format {
        Format::Csv => {
            let mut writer = CsvWriterBuilder::new().with_header(true).build(sink);
            let rows = each_batch(&mut stream, |b| Ok(writer.write(b).map(|_| None)?)).await?;
            if rows == 0 {
                // The header alone: a zero-row batch still makes the writer emit it.
                writer.write(&RecordBatch::new_empty(schema))?;
            }
            (rows, writer.into_inner())
        }
        Format::Json => {
            let mut writer = ArrayWriter::new(sink);
            let rows = each_batch(&mut stream, |b| Ok(writer.write(b).map(|_| None)?)).await?;
            writer.finish()?;
            let mut sink = writer.into_inner();
            let tail: &[u8] = if rows == 0 { b"[]\n" } else { b"\n" };
            sink.write_all(tail).map_err(|e| Error::io(out, "write", e))?;
            (rows, sink)
        }
        _ => {
            let mut writer = LineDelimitedWriter::new(sink);
            let rows = each_batch(&mut stream, |b| Ok(writer.write(b).map(|_| None)?)).await?;
            writer.finish()?;
            (rows, writer.into_inner())
        }
    };
    let bytes = flush(sink, out)?;
    new.publish()?;
    Ok(ExportReport { rows, bytes })
}

/// Largest data file of an exported Delta table (more rows go to further files).
const DELTA_FILE_BYTES: u64 = 512 << 20;

/// Where a Delta export goes: a new version of the table there, or a new table.
enum DeltaTarget {
    Version(delta::Table),
    New(NewDir),
}

/// Write the result as a Delta table: a new table appears whole (built beside its target and
/// renamed into place); an existing one gets a new version holding only the result.
async fn write_delta(df: DataFrame, options: &ExportOptions) -> Result<ExportReport> {
    let out = &options.out;
    let target = if delta::is_delta(out) {
        DeltaTarget::Version(delta::open(out, None).await?)
    } else {
        DeltaTarget::New(NewDir::create(out)?)
    };
    let dir = match &target {
        DeltaTarget::Version(_) => out.clone(),
        DeltaTarget::New(new) => new.path().to_path_buf(),
    };
    let schema = df.schema().inner().clone();
    let mut writer = TableWriter::new(&dir, &schema, &parquet_settings(options), Some(DELTA_FILE_BYTES))?;
    let mut stream = df.execute_stream().await?;
    let mut progress = Progress::new();
    let mut rows = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        writer.write(&batch).await?;
        progress.update(format!("{rows} rows written"));
    }
    progress.finish();
    let written = writer.finish().await?;
    let bytes = written.bytes();
    match target {
        DeltaTarget::Version(table) => {
            delta::replace(&table, out, written).await?;
        }
        DeltaTarget::New(new) => {
            delta::create(&dir, &schema, &[], written).await?;
            new.publish(IfExists::Replace)?;
        }
    }
    Ok(ExportReport { rows, bytes })
}

/// Flush the buffered output; returns the bytes written.
fn flush(mut sink: Counting<BufWriter<File>>, out: &Path) -> Result<u64> {
    sink.flush().map_err(|e| Error::io(out, "write", e))?;
    Ok(sink.bytes)
}

/// Partitioned output through DataFusion's own writers (hive-style `col=value/` directories).
async fn write_partitioned(df: DataFrame, options: &ExportOptions) -> Result<ExportReport> {
    let new = NewDir::create(&options.out)?;
    let mut progress = Progress::new();
    progress.update("writing partitions".into());
    let path = format!("{}/", new.path().display());
    let write = DataFrameWriteOptions::new().with_partition_by(options.partition_by.clone());
    let counts = match options.format {
        Format::Parquet => {
            df.write_parquet(&path, write, Some(parquet_settings(options).table_options())).await?
        }
        Format::Csv => df.write_csv(&path, write, None).await?,
        _ => df.write_json(&path, write, None).await?,
    };
    progress.finish();
    let rows = counts
        .first()
        .and_then(|b| b.column(0).as_any().downcast_ref::<datafusion::arrow::array::UInt64Array>())
        .map(|a| a.value(0))
        .unwrap_or(0);
    let bytes = dir_size(new.path());
    new.publish(IfExists::Replace)?;
    Ok(ExportReport { rows, bytes })
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
