//! `figures` on a cluster. Ballista's plan codec cannot send chiso's `figures` table, so before a
//! plan leaves the client each scan of it is replaced by the plan it stands for
//! ([`crate::engine::figures::logical_plan`]), and the scheduler receives plain SQL operators
//! over the warehouse's tables.
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, Projection};

use crate::engine::figures::{is_figures, logical_plan};

/// `plan` with each scan of `figures` replaced by the optimized plan it stands for.
pub async fn expand(plan: &LogicalPlan, state: &SessionState) -> Result<LogicalPlan> {
    // The plans of the scans, in the order a pre-order walk meets them (the walks below and
    // above visit leaves in the same order).
    let mut scans = Vec::new();
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            if is_figures(scan) {
                scans.push(scan.clone());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    if scans.is_empty() {
        return Ok(plan.clone());
    }
    let mut expanded = Vec::new();
    for scan in &scans {
        // Optimized here (unoptimized, it is too deep for the plan codec), then named.
        let inner = state.optimize(&logical_plan(state, scan.projection.as_ref(), &scan.filters).await?)?;
        expanded.push(LogicalPlanBuilder::from(named(inner)?).alias(scan.table_name.clone())?.build()?);
    }
    let mut next = expanded.into_iter();
    let replaced = plan
        .clone()
        .transform_down_with_subqueries(|node| match node {
            LogicalPlan::TableScan(scan) if is_figures(&scan) => match next.next() {
                Some(p) => Ok(Transformed::yes(p)),
                None => Err(DataFusionError::Internal("a figures scan was not expanded".into())),
            },
            other => Ok(Transformed::no(other)),
        })?
        .data;
    Ok(replaced)
}

/// `plan` with every projected expression aliased to the name its output column has. The
/// optimizer drops aliases it finds redundant (`CAST(indicator AS Utf8) AS indicator` keeps the
/// name `indicator` in memory), but the plan codec sends only expressions, and the scheduler
/// would name such a column after the expression (`reported.indicator`).
fn named(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up(|node| match node {
        LogicalPlan::Projection(p) => {
            let exprs = p
                .expr
                .iter()
                .zip(p.schema.iter())
                .map(|(e, (qualifier, field))| match e {
                    Expr::Alias(_) => e.clone(),
                    Expr::Column(c) if c.name == *field.name() && c.relation.as_ref() == qualifier => {
                        e.clone()
                    }
                    _ => e.clone().alias_qualified(qualifier.cloned(), field.name()),
                })
                .collect();
            Ok(Transformed::yes(LogicalPlan::Projection(Projection::try_new(exprs, p.input)?)))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}
