//! `date_floor(granularity, date)`: the first day of the year, quarter, month, week (ISO, from
//! Monday) or day holding a date, as a `DATE`.
//!
//! It is what `CAST(date_trunc('month', d) AS DATE)` means for a date `d`, and an optimizer rule
//! plans that expression as `date_floor`: `date_trunc` must return a timestamp, and arrow casts a
//! timestamp back to a date through a calendar conversion per row. At 291.8 M rows the cast took
//! half of the monthly totals' CPU time (`01`, benches/README.md), where the truncation itself
//! reuses each period while the days stay inside it (see [`super::date_trunc`]).
use std::sync::Arc;

use datafusion::arrow::array::Date32Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{exec_err, DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, LogicalPlan, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::date_trunc::{first_days, shaped_as, Period};

/// The SQL function `date_floor`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DateFloor {
    signature: Signature,
}

impl DateFloor {
    /// The function, to register as `date_floor`.
    pub fn udf() -> ScalarUDF {
        let signature = Signature::exact(vec![DataType::Utf8, DataType::Date32], Volatility::Immutable);
        ScalarUDF::new_from_impl(Self { signature })
    }
}

impl ScalarUDFImpl for DateFloor {
    fn name(&self) -> &str {
        "date_floor"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [granularity, date] = args.args.as_slice() else {
            return exec_err!("date_floor takes a granularity and a date");
        };
        let period = match granularity {
            ColumnarValue::Scalar(s) => s.try_as_str().flatten(),
            ColumnarValue::Array(_) => {
                return exec_err!("date_floor: the granularity must be one text value")
            }
        };
        let Some(period) = period.and_then(Period::parse) else {
            return exec_err!(
                "date_floor: unknown granularity {}; use 'year', 'quarter', 'month', 'week' or 'day'",
                period.map(|p| format!("'{p}'")).unwrap_or_else(|| "NULL".into())
            );
        };
        let dates = date.to_array(1)?;
        let Some((days, nulls)) = first_days(dates.as_ref(), period) else {
            return exec_err!("date_floor: a date lies outside the calendar");
        };
        shaped_as(date, Arc::new(Date32Array::new(days.into(), nulls)))
    }

    /// The first day of a period never decreases as the date grows.
    fn output_ordering(&self, input: &[ExprProperties]) -> Result<SortProperties> {
        Ok(input.get(1).map(|p| p.sort_properties).unwrap_or(SortProperties::Unordered))
    }
}

/// Plans `CAST(date_trunc(g, d) AS DATE)`, for a date `d` and a granularity the fast path knows,
/// as `date_floor(g, d)`; the expression keeps its name, so the plan's columns do not change.
#[derive(Debug, Default)]
pub struct CastTruncatedDates;

impl OptimizerRule for CastTruncatedDates {
    fn name(&self) -> &str {
        "chiso_cast_truncated_dates"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        // Most nodes cast nothing to a date: they are passed over before any schema is built.
        let mut casts = false;
        plan.apply_expressions(|e| {
            casts |=
                e.exists(|e| Ok(matches!(e, Expr::Cast(c) if c.field.data_type() == &DataType::Date32)))?;
            Ok(if casts { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
        })?;
        if !casts {
            return Ok(Transformed::no(plan));
        }
        // The expressions of a node read the columns of its inputs.
        let mut schema = DFSchema::empty();
        for input in plan.inputs() {
            schema.merge(input.schema());
        }
        if schema.fields().is_empty() {
            return Ok(Transformed::no(plan));
        }
        let names = NamePreserver::new(&plan);
        plan.map_expressions(|expr| {
            let name = names.save(&expr);
            let rewritten = expr.transform_up(|e| floor_of(e, &schema))?;
            Ok(rewritten.update_data(|e| name.restore(e)))
        })
    }
}

/// `e` as `date_floor`, when it is a cast to `DATE` of `date_trunc` on a date.
fn floor_of(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::Cast(Cast { expr, field }) = &e else { return Ok(Transformed::no(e)) };
    if field.data_type() != &DataType::Date32 {
        return Ok(Transformed::no(e));
    }
    let Expr::ScalarFunction(f) = expr.as_ref() else { return Ok(Transformed::no(e)) };
    let [Expr::Literal(ScalarValue::Utf8(Some(g)), _), date] = f.args.as_slice() else {
        return Ok(Transformed::no(e));
    };
    let is_date = matches!(date.get_type(schema), Ok(DataType::Date32));
    if f.func.name() != "date_trunc" || !is_date || Period::parse(g).is_none() {
        return Ok(Transformed::no(e));
    }
    let floor = Arc::new(DateFloor::udf());
    Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(floor, f.args.clone()))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::prelude::SessionContext;

    fn context() -> SessionContext {
        let ctx = SessionContext::new();
        ctx.register_udf(super::super::date_trunc::DateTrunc::udf());
        ctx.register_udf(DateFloor::udf());
        ctx.add_optimizer_rule(Arc::new(CastTruncatedDates));
        ctx
    }

    /// Every day from 1888 to 2051 and a NULL: `date_floor`, and the cast of `date_trunc` that the
    /// rule rewrites, against DataFusion's own `date_trunc` cast to a date.
    #[tokio::test]
    async fn agrees_with_the_cast_of_datafusions_date_trunc_on_every_day() {
        let ours = context();
        let theirs = SessionContext::new();
        for granularity in ["year", "quarter", "month", "week", "day", "Month"] {
            let days = "SELECT arrow_cast(arrow_cast(value - 30000, 'Int32'), 'Date32') AS d \
                        FROM generate_series(0, 60000) UNION ALL SELECT NULL";
            let cast = format!("CAST(date_trunc('{granularity}', d) AS DATE)");
            let ours_sql = format!(
                "SELECT d, date_floor('{granularity}', d) AS f, {cast} AS c FROM ({days}) ORDER BY d"
            );
            let theirs_sql = format!("SELECT d, {cast} AS f, {cast} AS c FROM ({days}) ORDER BY d");
            let a = ours.sql(&ours_sql).await.unwrap().collect().await.unwrap();
            let b = theirs.sql(&theirs_sql).await.unwrap().collect().await.unwrap();
            let (a, b) = (
                pretty_format_batches(&a).unwrap().to_string(),
                pretty_format_batches(&b).unwrap().to_string(),
            );
            assert_eq!(a.lines().count(), 60002 + 4, "granularity {granularity}");
            assert_eq!(a, b, "granularity {granularity}");
        }
    }

    #[tokio::test]
    async fn the_cast_is_planned_as_date_floor_under_its_own_name() {
        let ctx = context();
        let sql = "SELECT CAST(date_trunc('month', d) AS DATE), count(*) FROM (VALUES (DATE '2024-02-29'), \
                   (DATE '2024-02-03'), (DATE '2024-03-01')) t(d) GROUP BY CAST(date_trunc('month', d) AS DATE)";
        let df = ctx.sql(sql).await.unwrap();
        let name = df.schema().field(0).name().clone();
        let plan = df.clone().explain(false, false).unwrap().collect().await.unwrap();
        let plan = pretty_format_batches(&plan).unwrap().to_string();
        assert!(plan.contains("date_floor(Utf8(\"month\"), t.d)"), "{plan}");
        assert!(!plan.contains("Timestamp"), "{plan}");
        let rows = df.sort_by(vec![datafusion::prelude::col(&name)]).unwrap().collect().await.unwrap();
        let table = pretty_format_batches(&rows).unwrap().to_string();
        assert!(table.contains(&name), "{table}");
        assert!(table.contains("| 2024-02-01 ") && table.contains("| 2024-03-01 "), "{table}");
        let counts: Vec<&str> = table.lines().filter_map(|l| l.split('|').nth(2)).map(str::trim).collect();
        assert_eq!(counts[1..], ["2", "1"], "{table}");
    }

    #[tokio::test]
    async fn a_timestamp_or_a_granularity_column_is_left_to_date_trunc() {
        let ctx = context();
        for sql in [
            "EXPLAIN SELECT CAST(date_trunc('month', t) AS DATE) FROM (VALUES (TIMESTAMP '2024-02-29 10:00')) v(t)",
            "EXPLAIN SELECT CAST(date_trunc(g, d) AS DATE) FROM (VALUES ('month', DATE '2024-02-29')) v(g, d)",
        ] {
            let plan = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            let plan = pretty_format_batches(&plan).unwrap().to_string();
            assert!(!plan.contains("date_floor"), "{plan}");
        }
        let err = ctx.sql("SELECT date_floor('fortnight', DATE '2024-02-29')").await.unwrap().collect().await;
        assert!(err.unwrap_err().to_string().contains("unknown granularity 'fortnight'"));
    }
}
