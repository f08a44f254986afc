//! Rendering query results: as a table, CSV, JSON, NDJSON, Markdown or Parquet bytes, for
//! standard output or a file (which `storage::files` writes).
use std::io::Write;
use std::path::Path;

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
use crate::storage::files::ParquetSettings;
use crate::storage::text;

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
    /// A Delta Lake table: a directory (export only).
    Delta,
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
        Format::Delta => {
            return Err(Error::Usage(
                "a Delta table is a directory: write one with `chiso export --format delta --out DIR`".into(),
            ))
        }
        Format::Parquet => {
            let schema = text::plain_schema(&result.schema);
            let mut writer = ArrowWriter::try_new(
                &mut buf,
                schema.clone(),
                Some(ParquetSettings::default().properties()),
            )?;
            for batch in &result.batches {
                writer.write(&text::plain_batch(batch, &schema)?)?;
            }
            writer.close()?;
        }
    }
    Ok(buf)
}
