//! A table made of a known list of files (a Delta table's version, or an old manifest's list),
//! some of whose files each hold one value of some columns (see [`TableFiles::file_values`]): a
//! scan filtered on such a column (`indicator = 'x'`, `IN (...)`) reads only the files that can match. The files left are split among the cores by DataFusion
//! as usual, so a selective query is no longer confined to the one partition its file fell into.
//! When every file records the column, choosing the files *is* the filter: it is reported as
//! exact, so DataFusion neither reads the column nor compares it row by row.
//!
//! The scan is then shared among the cores by [`super::ranges`].
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Result, Statistics};
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::ExecutionPlan;

use crate::storage::delta::TableFiles;

/// A listing table that skips files by the one value each holds of some columns.
#[derive(Debug)]
pub struct FilesTable {
    all: Arc<ListingTable>,
    files: Vec<(ListingTableUrl, String)>,
    listed: TableFiles,
    options: ListingOptions,
    schema: SchemaRef,
}

impl FilesTable {
    /// Wrap `all` (the table over every file); `files` pairs each file's URL with its name in `listed`.
    pub fn new(
        all: ListingTable,
        files: Vec<(ListingTableUrl, String)>,
        listed: TableFiles,
        options: ListingOptions,
    ) -> Self {
        let schema = all.schema();
        Self { all: Arc::new(all), files, listed, options, schema }
    }

    /// The values a filter allows for a column, when it is `col = 'v'` or `col IN ('v', ...)`.
    fn allowed(filter: &Expr) -> Option<(String, Vec<String>)> {
        let literal = |e: &Expr| match e {
            Expr::Literal(v, _) => v.try_as_str().flatten().map(str::to_string),
            _ => None,
        };
        match filter {
            Expr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right }) => {
                match (left.as_ref(), right.as_ref()) {
                    (Expr::Column(c), other) | (other, Expr::Column(c)) => {
                        Some((c.name.clone(), vec![literal(other)?]))
                    }
                    _ => None,
                }
            }
            Expr::InList(list) if !list.negated => match list.expr.as_ref() {
                Expr::Column(c) => {
                    Some((c.name.clone(), list.list.iter().map(literal).collect::<Option<Vec<_>>>()?))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether every file records its value of `column`, so choosing files applies a filter on it fully.
    fn every_file_records(&self, column: &str) -> bool {
        self.files.iter().all(|(_, name)| {
            self.listed.file_values.get(name).is_some_and(|values| values.contains_key(column))
        })
    }

    /// The files a set of filters leaves.
    fn keep(&self, filters: &[Expr]) -> Vec<ListingTableUrl> {
        let limits: Vec<(String, Vec<String>)> = filters.iter().filter_map(Self::allowed).collect();
        self.files
            .iter()
            .filter(|(_, name)| {
                let values = self.listed.file_values.get(name);
                limits.iter().all(|(column, allowed)| match values.and_then(|v| v.get(column)) {
                    Some(value) => allowed.contains(value),
                    None => true,
                })
            })
            .map(|(url, _)| url.clone())
            .collect()
    }

    /// The plain listing table a scan with `filters` reads: over every file, over the files the
    /// filters leave, or none when they leave no file. A cluster sends this table instead (its
    /// plan codec knows listing tables), so its scans skip the same files.
    pub fn narrowed(&self, filters: &[Expr]) -> Result<Option<Arc<ListingTable>>> {
        let keep = self.keep(filters);
        if keep.len() == self.files.len() {
            return Ok(Some(self.all.clone()));
        }
        if keep.is_empty() {
            return Ok(None);
        }
        let config = ListingTableConfig::new_with_multi_paths(keep)
            .with_listing_options(self.options.clone())
            .with_schema(self.schema.clone());
        Ok(Some(Arc::new(ListingTable::try_new(config)?)))
    }
}

#[async_trait]
impl TableProvider for FilesTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        let mut support = self.all.supports_filters_pushdown(filters)?;
        for (support, filter) in support.iter_mut().zip(filters) {
            if Self::allowed(filter).is_some_and(|(column, _)| self.every_file_records(&column)) {
                *support = TableProviderFilterPushDown::Exact;
            }
        }
        Ok(support)
    }

    fn statistics(&self) -> Option<Statistics> {
        self.all.statistics()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(table) = self.narrowed(filters)? else {
            let schema = datafusion::physical_plan::project_schema(&self.schema, projection)?;
            return Ok(Arc::new(EmptyExec::new(schema)));
        };
        let plan = table.scan(state, projection, filters, limit).await?;
        super::ranges::share(plan, state, filters).await
    }
}
