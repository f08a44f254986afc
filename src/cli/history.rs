//! `chiso history TABLE`: the versions of a warehouse table, newest first, for `--as-of`.
use std::sync::Arc;

use clap::Args;
use datafusion::arrow::array::{ArrayRef, StringArray, TimestampMillisecondArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;

use super::print::print_results;
use super::{Cli, OutputArgs};
use crate::engine::QueryResult;
use crate::error::{Error, Result, Thing};
use crate::storage::delta;
use crate::storage::warehouse::{default_warehouse, tables};

/// Arguments of `chiso history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The table (`chiso tables` lists them).
    table: String,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(cli: &Cli, args: &HistoryArgs) -> Result<()> {
    let warehouse = match &cli.warehouse {
        Some(dir) => dir.clone(),
        None => default_warehouse().await?,
    };
    let found = tables(&warehouse).await?;
    let Some(table) = found.iter().find(|t| t.name == args.table) else {
        return Err(Error::NotFound {
            kind: Thing::Table,
            name: args.table.clone(),
            candidates: found.iter().map(|t| t.name.clone()).collect(),
            within: format!("the warehouse {}", warehouse.display()),
            setting: None,
        });
    };
    if !delta::exists(&table.path).await? {
        return Err(Error::Usage(format!(
            "table {} at {} is not a Delta table, so it has no history (`chiso upgrade` converts a \
             warehouse written by an older chiso)",
            args.table,
            table.path.display()
        )));
    }
    let versions = delta::history(&table.path).await?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("version", DataType::UInt64, false),
        Field::new("committed", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), true),
        Field::new("operation", DataType::Utf8, false),
        Field::new("rows", DataType::UInt64, true),
        Field::new("files", DataType::UInt64, false),
    ]));
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(versions.iter().map(|v| v.version))),
        Arc::new(
            TimestampMillisecondArray::from(
                versions.iter().map(|v| v.time.map(|t| t.timestamp_millis())).collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        ),
        Arc::new(StringArray::from_iter_values(versions.iter().map(|v| v.operation.as_str()))),
        Arc::new(UInt64Array::from(versions.iter().map(|v| v.rows).collect::<Vec<_>>())),
        Arc::new(UInt64Array::from_iter_values(versions.iter().map(|v| v.files as u64))),
    ];
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    print_results(&args.out, &[QueryResult { schema, batches: vec![batch] }])
}
