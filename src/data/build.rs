//! `build`: compile curated CSV into a warehouse: one directory table per table (a sorted,
//! zstd-compressed Parquet file with page-level statistics, and its manifest). The warehouse
//! directory appears whole or not at all.
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::csv::ReaderBuilder;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::prelude::SessionContext;

use super::datasets::Datasets;
use super::manifest::{self, Manifest};
use super::schema::{schema, TableDef, TABLES};
use crate::error::{Error, Result};

/// Read every CSV file of one curated table into record batches of its schema.
pub fn read_table(datasets: &Datasets, def: &TableDef) -> Result<Vec<RecordBatch>> {
    let schema = schema(def.name);
    let mut batches = Vec::new();
    for file in datasets.files(def.source)? {
        let reader = ReaderBuilder::new(schema.clone())
            .with_header(true)
            .build(Cursor::new(file.text.as_bytes()))
            .map_err(|e| Error::Data(format!("{}: {e}", file.origin)))?;
        for batch in reader {
            batches.push(batch.map_err(|e| Error::Data(format!("{}: {e}", file.origin)))?);
        }
    }
    Ok(batches)
}

/// How chiso writes Parquet: zstd, page-level statistics (and so the page index).
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .build()
}

/// Sort `batches` by the build order of `def`.
pub async fn sort_batches(def: &TableDef, batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>> {
    let schema = schema(def.name);
    let ctx = SessionContext::new();
    ctx.register_table("t", Arc::new(MemTable::try_new(schema, vec![batches])?))?;
    let order = def.sort_by.join(", ");
    Ok(ctx.sql(&format!("SELECT * FROM t ORDER BY {order}")).await?.collect().await?)
}

/// Write `batches` as one new data file of table directory `dir` (not yet listed in its manifest);
/// returns the file name.
pub fn write_part(dir: &Path, schema: SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    let name = manifest::new_part_name();
    let tmp = manifest::temp_path(dir, &name);
    let file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, "create", e))?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(writer_properties()))?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.close()?;
    manifest::finish_part(dir, &name)?;
    Ok(name)
}

/// Write table `def` into a new directory `dir`: one sorted data file and its manifest.
pub async fn write_table(def: &TableDef, batches: Vec<RecordBatch>, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", e))?;
    let sorted = sort_batches(def, batches).await?;
    let part = write_part(dir, schema(def.name), &sorted)?;
    manifest::commit(dir, &Manifest::new(vec![part]))
}

/// Build every curated table from `datasets` into the directory `out`.
///
/// The tables are written into a sibling temporary directory that is renamed into place at the end,
/// so a failed build leaves `out` as it was. With `replace`, an existing `out` is replaced; without,
/// an `out` that appeared meanwhile (another process built it) is kept and this build discarded.
pub async fn build_warehouse(datasets: &Datasets, out: &Path, replace: bool) -> Result<Vec<(String, usize)>> {
    let tmp = sibling(out, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, "remove", e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, "create", e))?;
    let result = build_into(datasets, &tmp).await;
    let counts = match result {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    if replace || !out.exists() {
        if let Err(e) = replace_dir(&tmp, out) {
            let _ = std::fs::remove_dir_all(&tmp);
            if replace || !out.is_dir() {
                return Err(e);
            }
        }
    } else {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(counts)
}

async fn build_into(datasets: &Datasets, dir: &Path) -> Result<Vec<(String, usize)>> {
    let mut counts = Vec::new();
    for def in TABLES {
        let batches = read_table(datasets, def)?;
        let rows = batches.iter().map(|b| b.num_rows()).sum();
        write_table(def, batches, &dir.join(def.name)).await?;
        counts.push((def.name.to_string(), rows));
    }
    Ok(counts)
}

/// `dir` with `.tag-<pid>` appended to its last component.
fn sibling(dir: &Path, tag: &str) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dir.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Move the finished directory `new` to `target`, replacing any old one.
fn replace_dir(new: &Path, target: &Path) -> Result<()> {
    if target.exists() {
        let old = sibling(target, "old");
        std::fs::rename(target, &old).map_err(|e| Error::io(target, "replace", e))?;
        std::fs::rename(new, target).map_err(|e| Error::io(target, "write", e))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "create", e))?;
        }
        std::fs::rename(new, target).map_err(|e| Error::io(target, "write", e))?;
    }
    Ok(())
}
