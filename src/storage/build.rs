//! `build`: compile curated CSV into a warehouse: one Delta table per table (a sorted,
//! zstd-compressed Parquet file with page-level statistics, committed as the table's first
//! version). The warehouse directory appears whole or not at all.
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::csv::ReaderBuilder;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use super::datasets::Datasets;
use super::delta::{self, TableWriter};
use super::files::{IfExists, ParquetSettings};
use super::schema::{schema, TableDef, TABLES};
use super::store::is_remote;
use super::warehouse::NewWarehouse;
use crate::error::{Error, Result};

/// Read every CSV file of one curated table into record batches of its schema.
pub fn read_table(datasets: &Datasets, def: &TableDef) -> Result<Vec<RecordBatch>> {
    let schema = schema(def.name);
    let mut batches = Vec::new();
    for file in datasets.files(def.source)? {
        let reader = ReaderBuilder::new(schema.clone())
            .with_header(true)
            .build(Cursor::new(file.text.as_bytes()))
            .map_err(|e| Error::Invalid { what: file.origin.clone(), problem: e.to_string() })?;
        for batch in reader {
            batches.push(
                batch.map_err(|e| Error::Invalid { what: file.origin.clone(), problem: e.to_string() })?,
            );
        }
    }
    Ok(batches)
}

/// Sort `batches` by the build order of `def`.
pub async fn sort_batches(def: &TableDef, batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>> {
    let schema = schema(def.name);
    let ctx = SessionContext::new();
    ctx.register_table("t", Arc::new(MemTable::try_new(schema, vec![batches])?))?;
    let order = def.sort_by.join(", ");
    Ok(ctx.sql(&format!("SELECT * FROM t ORDER BY {order}")).await?.collect().await?)
}

/// Write table `def` into a new directory `dir`: a Delta table whose first version is one sorted
/// data file.
pub async fn write_table(def: &TableDef, batches: Vec<RecordBatch>, dir: &Path) -> Result<()> {
    if !is_remote(dir) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", e))?;
    }
    let sorted = sort_batches(def, batches).await?;
    let schema = schema(def.name);
    let mut writer = TableWriter::new(dir, &schema, &ParquetSettings::default(), None)?;
    for batch in &sorted {
        writer.write(batch).await?;
    }
    delta::create(dir, &schema, &[], writer.finish().await?).await
}

/// Build every curated table from `datasets` into the warehouse `out`. A local one appears whole
/// when the build succeeds and is left as it was when it fails; an `out` that is already there is
/// replaced, or, with [`IfExists::Keep`], kept (another process built it) and this build dropped.
/// On object storage each table appears whole, and `out` must hold none yet ([`NewWarehouse`]).
pub async fn build_warehouse(
    datasets: &Datasets,
    out: &Path,
    if_exists: IfExists,
) -> Result<Vec<(String, usize)>> {
    let new = NewWarehouse::create(out).await?;
    let mut counts = Vec::new();
    for def in TABLES {
        let batches = read_table(datasets, def)?;
        let rows = batches.iter().map(|b| b.num_rows()).sum();
        write_table(def, batches, &new.path().join(def.name)).await?;
        counts.push((def.name.to_string(), rows));
    }
    new.publish(if_exists)?;
    Ok(counts)
}
