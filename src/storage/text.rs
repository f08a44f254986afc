//! Text columns across Arrow's string types. The engine reads code columns as `Utf8View` (faster
//! to group and join on, see `engine::catalog`); chiso reads any text type back as `Utf8`, and
//! writes `Utf8` to the Parquet files it makes, so readers without string-view support read them.
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use crate::error::Result;

/// The text column `name` of `batch` as `Utf8`, if it has a text column of that name.
pub fn strings(batch: &RecordBatch, name: &str) -> Option<StringArray> {
    let column = batch.column_by_name(name)?;
    match column.data_type() {
        DataType::Utf8 => column.as_string_opt::<i32>().cloned(),
        DataType::Utf8View | DataType::LargeUtf8 => {
            cast(column, &DataType::Utf8).ok()?.as_string_opt::<i32>().cloned()
        }
        _ => None,
    }
}

/// `schema` with each `Utf8` or `Utf8View` field given the type `choose` names for it.
pub fn retype_text(schema: &Schema, choose: impl Fn(&Field) -> DataType) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 | DataType::Utf8View => f.as_ref().clone().with_data_type(choose(f)),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `schema` with its `Utf8View` fields made `Utf8`.
pub fn plain_schema(schema: &Schema) -> SchemaRef {
    retype_text(schema, |_| DataType::Utf8)
}

/// `batch` with its `Utf8View` columns cast to `Utf8`; `schema` is [`plain_schema`] of its schema.
pub fn plain_batch(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Utf8View => cast(c, &DataType::Utf8),
            _ => Ok(Arc::clone(c)),
        })
        .collect::<std::result::Result<Vec<ArrayRef>, _>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
