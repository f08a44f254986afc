//! Saved queries as SQL table functions: `select * from latest_by_province('eid_accounts')` runs
//! the saved query `latest_by_province` with its parameters given in header order (those left
//! out take their defaults). The command line and the servers reach them the same way.
use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::ViewTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;

use super::saved::SavedQuery;

/// One saved query, callable as a table function.
#[derive(Debug)]
struct SavedTable {
    query: SavedQuery,
}

/// Register every query of `saved` as a table function of its own name.
pub fn register(ctx: &SessionContext, saved: &[SavedQuery]) {
    for query in saved {
        ctx.register_udtf(&query.name, Arc::new(SavedTable { query: query.clone() }));
    }
}

/// The text of a constant argument, as `--param NAME=VALUE` would give it.
fn constant(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)), _) => Some(s.clone()),
        Expr::Literal(value, _) if !value.is_null() => Some(value.to_string()),
        Expr::Negative(inner) => constant(inner).map(|v| format!("-{v}")),
        _ => None,
    }
}

impl TableFunctionImpl for SavedTable {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let q = &self.query;
        let usage = || {
            let names: Vec<&str> = q.params.iter().map(|p| p.name.as_str()).collect();
            format!("{}({})", q.name, names.join(", "))
        };
        if args.exprs().len() > q.params.len() {
            return Err(DataFusionError::Plan(format!(
                "saved query {} takes at most {} arguments, in this order: {}",
                q.name,
                q.params.len(),
                usage()
            )));
        }
        let mut given = Vec::new();
        for (param, expr) in q.params.iter().zip(args.exprs()) {
            let value = constant(expr).ok_or_else(|| {
                DataFusionError::Plan(format!(
                    "argument {} of {} must be a constant, not {expr}",
                    param.name,
                    usage()
                ))
            })?;
            given.push((param.name.clone(), value));
        }
        let values =
            q.bind(&given).map_err(|e| DataFusionError::Plan(e.worded(&|_| "argument".to_string())))?;
        let state = args
            .session()
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| DataFusionError::Internal("saved queries need a SessionState".into()))?;
        // A table function is called while a statement is planned, synchronously; planning the
        // saved query's SQL is async only to look tables up, which the warehouse answers from
        // its own files without waiting on this thread's runtime.
        let plan = futures::executor::block_on(state.create_logical_plan(&q.sql))?;
        let values: Vec<(&str, ScalarValue)> = values.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let plan = plan.with_param_values(values)?;
        Ok(Arc::new(ViewTable::new(plan, Some(q.sql.clone()))))
    }
}
