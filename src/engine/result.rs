//! The result of one statement, collected: what the output formats, charts and reports take.
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;

/// The result of one statement: its schema and rows.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// Column names and types (kept even when there are no rows).
    pub schema: SchemaRef,
    /// The rows.
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}
