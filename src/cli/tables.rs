//! `chiso tables`: what tables there are, with row and column counts.
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::TableType;

use super::print::print_results;
use super::{Cli, OutputArgs};
use crate::engine::figures;
use crate::engine::QueryResult;
use crate::error::Result;
use crate::storage::schema::table_def;

pub async fn run(cli: &Cli, out: &OutputArgs) -> Result<()> {
    let engine = cli.engine().await?;
    let names = engine.table_names();
    let mut rows = Vec::new();
    let mut columns = Vec::new();
    let mut abouts = Vec::new();
    for name in &names {
        let provider = engine.context().table_provider(name.as_str()).await?;
        // A view's rows are computed when asked for: counting them would run it whole.
        let view = provider.table_type() == TableType::View;
        rows.push(if view { None } else { Some(engine.row_count(name).await?) });
        columns.push(provider.schema().fields().len() as i64);
        let about =
            if name == "figures" { figures::ABOUT } else { table_def(name).map(|d| d.about).unwrap_or("") };
        abouts.push(about);
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("table", DataType::Utf8, false),
        Field::new("rows", DataType::Int64, true),
        Field::new("columns", DataType::Int64, false),
        Field::new("about", DataType::Utf8, false),
    ]));
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(names)),
        Arc::new(Int64Array::from(rows)),
        Arc::new(Int64Array::from(columns)),
        Arc::new(StringArray::from(abouts)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    print_results(out, &[QueryResult { schema, batches: vec![batch] }])
}
