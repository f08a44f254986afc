//! `export`: a query's result to Parquet, CSV, JSON or NDJSON, streamed (memory stays flat however
//! large the result), optionally partitioned hive-style, and published atomically: the output
//! file or directory appears complete or not at all.
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::csv::WriterBuilder as CsvWriterBuilder;
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::TableParquetOptions;
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression as ParquetCompression, ZstdLevel};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use futures::StreamExt;

use crate::data::text;
use crate::error::{Error, Result};
use crate::output::Format;
use crate::progress::{human_bytes, Progress};

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

fn parquet_properties(options: &ExportOptions) -> WriterProperties {
    let compression = match options.compression {
        Compression::Zstd => ParquetCompression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()),
        Compression::Snappy => ParquetCompression::SNAPPY,
        Compression::None => ParquetCompression::UNCOMPRESSED,
    };
    let mut builder = WriterProperties::builder()
        .set_compression(compression)
        .set_statistics_enabled(EnabledStatistics::Page);
    if let Some(n) = options.row_group_size {
        builder = builder.set_max_row_group_row_count(Some(n));
    }
    builder.build()
}

/// Check the request before any work: output free (or `overwrite`), parent present, options fit the format.
pub fn check(options: &ExportOptions, columns: &[String]) -> Result<()> {
    let out = &options.out;
    if out.exists() && !options.overwrite {
        return Err(Error::Usage(format!(
            "{} already exists; pass --overwrite to replace it",
            out.display()
        )));
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            return Err(Error::Usage(format!("{}: no such directory to write into", parent.display())));
        }
    }
    if options.format == Format::Table || options.format == Format::Markdown {
        return Err(Error::Usage("export writes parquet, csv, json or ndjson".into()));
    }
    if options.format != Format::Parquet && options.compression != Compression::None {
        return Err(Error::Usage(format!(
            "--compression applies to Parquet; {} output is written uncompressed (pass --compression none)",
            format!("{:?}", options.format).to_lowercase()
        )));
    }
    for col in &options.partition_by {
        if !columns.contains(col) {
            return Err(Error::Usage(format!(
                "--partition-by {col}: the result has no such column; it has {}",
                columns.join(", ")
            )));
        }
    }
    Ok(())
}

/// Run `df` and write its result as `options` say.
pub async fn export(df: DataFrame, options: &ExportOptions) -> Result<ExportReport> {
    let columns: Vec<String> = df.schema().fields().iter().map(|f| f.name().clone()).collect();
    check(options, &columns)?;
    let out = &options.out;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
    let tmp = out.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = if options.partition_by.is_empty() {
        write_file(df, options, &tmp).await
    } else {
        write_partitioned(df, options, &tmp).await
    };
    match result {
        Ok(report) => {
            publish(&tmp, out)?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            let _ = std::fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

/// Move the finished `tmp` to `out`, replacing an old output (a file in one rename; a directory
/// by moving the old one aside first).
fn publish(tmp: &Path, out: &Path) -> Result<()> {
    if out.is_dir() {
        let old = out.with_file_name(format!(
            ".{}.old-{}",
            out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            std::process::id()
        ));
        std::fs::rename(out, &old).map_err(|e| Error::io(out, "replace", e))?;
        std::fs::rename(tmp, out).map_err(|e| Error::io(out, "write", e))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(tmp, out).map_err(|e| Error::io(out, "write", e))?;
    }
    Ok(())
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

async fn write_file(df: DataFrame, options: &ExportOptions, tmp: &Path) -> Result<ExportReport> {
    let schema = df.schema().inner().clone();
    let file = File::create(tmp).map_err(|e| Error::io(tmp, "create", e))?;
    let sink = Counting { inner: BufWriter::new(file), bytes: 0 };
    let mut stream = df.execute_stream().await?;
    let (rows, bytes) = match options.format {
        Format::Parquet => {
            let schema = text::plain_schema(&schema);
            let mut writer = ArrowWriter::try_new(sink, schema.clone(), Some(parquet_properties(options)))?;
            let rows = each_batch(&mut stream, |b| {
                writer.write(&text::plain_batch(b, &schema)?)?;
                Ok(Some(writer.bytes_written() as u64))
            })
            .await?;
            (rows, finish(writer.into_inner()?, tmp)?)
        }
        Format::Csv => {
            let mut writer = CsvWriterBuilder::new().with_header(true).build(sink);
            let rows = each_batch(&mut stream, |b| Ok(writer.write(b).map(|_| None)?)).await?;
            if rows == 0 {
                // The header alone: a zero-row batch still makes the writer emit it.
                writer.write(&RecordBatch::new_empty(schema))?;
            }
            (rows, finish(writer.into_inner(), tmp)?)
        }
        Format::Json => {
            let mut writer = ArrayWriter::new(sink);
            let rows = each_batch(&mut stream, |b| Ok(writer.write(b).map(|_| None)?)).await?;
            writer.finish()?;
            let mut sink = writer.into_inner();
            let tail: &[u8] = if rows == 0 { b"[]\n" } else { b"\n" };
            sink.write_all(tail).map_err(|e| Error::io(tmp, "write", e))?;
            (rows, finish(sink, tmp)?)
        }
        _ => {
            let mut writer = LineDelimitedWriter::new(sink);
            let rows = each_batch(&mut stream, |b| Ok(writer.write(b).map(|_| None)?)).await?;
            writer.finish()?;
            (rows, finish(writer.into_inner(), tmp)?)
        }
    };
    Ok(ExportReport { rows, bytes })
}

/// Flush and fsync the output file; returns its size.
fn finish(mut sink: Counting<BufWriter<File>>, tmp: &Path) -> Result<u64> {
    sink.flush().map_err(|e| Error::io(tmp, "write", e))?;
    let file = sink.inner.into_inner().map_err(|e| Error::io(tmp, "write", e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(tmp, "write", e))?;
    Ok(sink.bytes)
}

/// Partitioned output through DataFusion's own writers (hive-style `col=value/` directories).
async fn write_partitioned(df: DataFrame, options: &ExportOptions, tmp: &Path) -> Result<ExportReport> {
    std::fs::create_dir_all(tmp).map_err(|e| Error::io(tmp, "create", e))?;
    let mut progress = Progress::new();
    progress.update("writing partitions".into());
    let path = format!("{}/", tmp.display());
    let write = DataFrameWriteOptions::new().with_partition_by(options.partition_by.clone());
    let counts = match options.format {
        Format::Parquet => {
            let mut parquet = TableParquetOptions::default();
            parquet.global.compression = Some(
                match options.compression {
                    Compression::Zstd => "zstd(3)",
                    Compression::Snappy => "snappy",
                    Compression::None => "uncompressed",
                }
                .to_string(),
            );
            parquet.global.statistics_enabled = Some("page".into());
            // Without the Arrow schema, readers take the text as Parquet declares it (plain
            // strings) rather than as the `Utf8View` the engine held it in.
            parquet.global.skip_arrow_metadata = true;
            if let Some(n) = options.row_group_size {
                parquet.global.max_row_group_size = n;
            }
            df.write_parquet(&path, write, Some(parquet)).await?
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
    Ok(ExportReport { rows, bytes: dir_size(tmp) })
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
