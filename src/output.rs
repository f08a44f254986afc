//! Writing query results: as a table, CSV, JSON, NDJSON, Markdown or Parquet, to standard output
//! or to a file (written under a temporary name and renamed, so no half-written file is left).
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use comfy_table::{presets::ASCII_MARKDOWN, Table};
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches_with_schema;
use datafusion::parquet::arrow::ArrowWriter;

use crate::engine::QueryResult;
use crate::error::{Error, Result};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned text table.
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Markdown table.
    Markdown,
    /// Apache Parquet (needs --out).
    Parquet,
}

impl Format {
    /// The format a file name implies, from its extension.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            "md" => Some(Self::Markdown),
            "parquet" => Some(Self::Parquet),
            "txt" => Some(Self::Table),
            _ => None,
        }
    }
}

/// Render `result` in `format` into a byte buffer.
pub fn render(result: &QueryResult, format: Format) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    match format {
        Format::Table => {
            let table = pretty_format_batches_with_schema(result.schema.clone(), &result.batches)?;
            writeln!(buf, "{table}").map_err(|e| Error::io("output", "write", e))?;
        }
        Format::Csv => {
            let mut writer = WriterBuilder::new().with_header(true).build(&mut buf);
            if result.batches.is_empty() {
                // The header alone: a zero-row batch still makes the writer emit it.
                writer.write(&RecordBatch::new_empty(result.schema.clone()))?;
            }
            for batch in &result.batches {
                writer.write(batch)?;
            }
        }
        Format::Json => {
            let mut writer = ArrayWriter::new(&mut buf);
            for batch in &result.batches {
                writer.write(batch)?;
            }
            writer.finish()?;
            if result.num_rows() == 0 {
                buf = b"[]".to_vec();
            }
            buf.push(b'\n');
        }
        Format::Ndjson => {
            let mut writer = LineDelimitedWriter::new(&mut buf);
            for batch in &result.batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        Format::Markdown => {
            let mut table = Table::new();
            table.load_preset(ASCII_MARKDOWN);
            table.set_header(result.schema.fields().iter().map(|f| f.name().clone()));
            let options = FormatOptions::default().with_null("");
            for batch in &result.batches {
                let formatters = batch
                    .columns()
                    .iter()
                    .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                    .collect::<Result<Vec<_>, _>>()?;
                for row in 0..batch.num_rows() {
                    table.add_row(formatters.iter().map(|f| f.value(row).to_string().replace('|', "\\|")));
                }
            }
            writeln!(buf, "{table}").map_err(|e| Error::io("output", "write", e))?;
        }
        Format::Parquet => {
            let schema = crate::data::text::plain_schema(&result.schema);
            let mut writer = ArrowWriter::try_new(&mut buf, schema.clone(), None)?;
            for batch in &result.batches {
                writer.write(&crate::data::text::plain_batch(batch, &schema)?)?;
            }
            writer.close()?;
        }
    }
    Ok(buf)
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, then a rename.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = temp_beside(path, ".tmp")?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, "write", e))?;
    publish(tmp, path)
}

/// A temporary file in `path`'s directory, named with `suffix`, to be [`publish`]ed as `path` when complete.
pub fn temp_beside(path: &Path, suffix: &str) -> Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if path.is_dir() {
        return Err(Error::Usage(format!("--out {}: is a directory; give a file name", path.display())));
    }
    tempfile::Builder::new()
        .prefix(".chiso-")
        .suffix(suffix)
        .tempfile_in(&dir)
        .map_err(|e| Error::io(&dir, "write to", e))
}

/// Make a complete temporary file `path`: usual permissions, synced, renamed over any old file.
pub fn publish(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    public(tmp.as_file()).map_err(|e| Error::io(path, "write", e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, "write", e))?;
    tmp.persist(path).map_err(|e| Error::io(path, "write", e.error))?;
    Ok(())
}

/// Give a finished output file the usual permissions (the temporary file it starts as is private).
fn public(file: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}
