//! Warehouse tables on a cluster. Ballista's plan codec sends DataFusion's listing tables, not
//! chiso's [`FilesTable`], so before a plan leaves the client each scan of one becomes a scan of
//! the listing table over just the files its filters leave ([`FilesTable::narrowed`]): the
//! executors skip the same files the embedded engine skips (an `indicator = 'x'` filter reads
//! that indicator's files only), and a scan no file can match reads none.
use std::sync::Arc;

use datafusion::catalog::default_table_source::{provider_as_source, source_as_provider};
use datafusion::common::tree_node::Transformed;
use datafusion::error::Result;
use datafusion::logical_expr::{lit, Filter, LogicalPlan, TableScan};

use crate::engine::files_table::FilesTable;

/// `plan` with every scan of a [`FilesTable`] turned into a scan of a plain listing table.
pub fn narrow(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| match node {
        LogicalPlan::TableScan(scan) => narrow_scan(scan),
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}

fn narrow_scan(scan: TableScan) -> Result<Transformed<LogicalPlan>> {
    // A source that is not a table provider is left for Ballista's codec to judge.
    let Ok(provider) = source_as_provider(&scan.source) else {
        return Ok(Transformed::no(LogicalPlan::TableScan(scan)));
    };
    let Some(files) = provider.downcast_ref::<FilesTable>() else {
        return Ok(Transformed::no(LogicalPlan::TableScan(scan)));
    };
    let narrowed = match files.narrowed(&scan.filters)? {
        Some(table) => LogicalPlan::TableScan(TableScan { source: provider_as_source(table), ..scan }),
        // No file can match: the scan of every file under a filter that keeps nothing, which the
        // scheduler's optimizer makes an empty relation. (An empty relation sent as such would
        // lose its columns: the plan codec sends none.)
        None => {
            let source = match files.narrowed(&[])? {
                Some(all) => provider_as_source(all),
                None => scan.source.clone(),
            };
            let all = LogicalPlan::TableScan(TableScan { source, ..scan });
            LogicalPlan::Filter(Filter::try_new(lit(false), Arc::new(all))?)
        }
    };
    Ok(Transformed::yes(narrowed))
}
