//! The table `figures`: every indicator at every level and grain ([`super::levels`]), planned for
//! what a query asks. Its filters on `geo_level`, `grain`, `indicator` and `derived` choose the
//! SQL that is planned (an unfiltered column means all its values), and those on `province_code`
//! and `code` choose the rows read, so a query over one indicator, level, grain and place reads
//! only what that needs. `grain = 'auto'` stands for the grain that suits the rows read (see
//! [`survey`]).
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use chrono::Datelike;
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::cast::as_date32_array;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::SessionState;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    col, lit, BinaryExpr, Expr, LogicalPlan, Operator, TableProviderFilterPushDown, TableScan,
};
use datafusion::physical_plan::ExecutionPlan;

use super::levels::{dates, probe, quoted, sql, Grain, Level, Request, GRAINS, LEVELS};
use crate::error::did_you_mean;
use crate::storage::reference::commune_targets;
use crate::storage::text::strings;

/// What `chiso tables` says of `figures`.
pub const ABOUT: &str =
    "every indicator at every level and grain, reported or derived (filter geo_level, grain or 'auto', indicator)";

/// The columns of `figures`.
static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let code = |name: &str| Field::new(name, DataType::Utf8View, true);
    let date = |name: &str| Field::new(name, DataType::Date32, true);
    let number = |name: &str| Field::new(name, DataType::Float64, true);
    let count = |name: &str| Field::new(name, DataType::Int64, true);
    Arc::new(Schema::new(vec![
        text("indicator"),
        text("geo_level"),
        code("code"),
        code("province_code"),
        code("district_code"),
        code("commune_code"),
        text("grain"),
        date("period_start"),
        date("period_end"),
        text("period"),
        number("value"),
        number("numerator"),
        number("denominator"),
        number("target"),
        text("qualifier"),
        Field::new("derived", DataType::Boolean, true),
        count("reporting"),
        count("expected"),
        text("source_id"),
        text("quote"),
        text("obs_id"),
    ]))
});

/// The table `figures` of a session.
#[derive(Debug, Default)]
pub struct Figures;

/// The text values an equality (or `IN` list) filter gives column `name`, if `expr` is one.
fn values_of(expr: &Expr, name: &str) -> Option<Vec<String>> {
    let is_col = |e: &Expr| matches!(e, Expr::Column(Column { name: n, .. }) if n == name);
    let text = |e: &Expr| match e {
        Expr::Literal(
            ScalarValue::Utf8(Some(v)) | ScalarValue::Utf8View(Some(v)) | ScalarValue::LargeUtf8(Some(v)),
            _,
        ) => Some(v.clone()),
        Expr::Literal(ScalarValue::Boolean(Some(b)), _) => Some(b.to_string()),
        _ => None,
    };
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right }) if is_col(left) => {
            Some(vec![text(right)?])
        }
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right }) if is_col(right) => {
            Some(vec![text(left)?])
        }
        Expr::InList(list) if !list.negated && is_col(&list.expr) => list.list.iter().map(text).collect(),
        // DataFusion writes a short `IN` list as equalities joined by OR.
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => {
            let mut values = values_of(left, name)?;
            values.extend(values_of(right, name)?);
            Some(values)
        }
        Expr::Column(_) if is_col(expr) => Some(vec!["true".into()]),
        _ => None,
    }
}

/// The values the filters allow column `name`: `None` when no filter names it.
fn allowed(filters: &[Expr], name: &str) -> Option<Vec<String>> {
    filters
        .iter()
        .filter_map(|f| values_of(f, name))
        .reduce(|a, b| a.into_iter().filter(|v| b.contains(v)).collect())
}

/// The values the filters allow column `name`, parsed; all of `every` when no filter names it.
/// A value that does not parse is an error naming the `kinds` there are.
fn chosen<T: Copy>(
    filters: &[Expr],
    (name, kinds): (&str, &str),
    every: &[T],
    parse: fn(&str) -> Option<T>,
    label: fn(T) -> &'static str,
) -> Result<Vec<T>> {
    let Some(values) = allowed(filters, name) else { return Ok(every.to_vec()) };
    values
        .iter()
        .map(|v| {
            parse(v).ok_or_else(|| {
                let known: Vec<&str> = every.iter().map(|t| label(*t)).collect();
                DataFusionError::Plan(format!(
                    "figures has no {name} {v:?}; its {kinds} are {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

/// The plans a scan with `filters` needs, for `indicators` (all when empty) as the catalog has them.
fn requests(filters: &[Expr], indicators: &[String], catalog: &Catalog) -> Result<Vec<Request>> {
    let levels = chosen(filters, ("geo_level", "levels"), &LEVELS, Level::parse, Level::name)?;
    let grains = chosen(filters, ("grain", "grains, besides auto,"), &GRAINS, Grain::parse, Grain::name)?;
    let derived_only = allowed(filters, "derived").is_some_and(|v| v == ["true"]);
    let mut out = Vec::new();
    for level in &levels {
        let within = within(*level, filters);
        for grain in &grains {
            out.push(Request {
                level: *level,
                grain: *grain,
                indicators: indicators.to_vec(),
                derived_only,
                rules: catalog.rules.clone(),
                within: within.clone(),
                kinds: catalog.kinds.clone(),
                stored: None,
            });
        }
    }
    Ok(out)
}

/// The columns of `observations` and the values they may have, by `filters`, for rows of units
/// of `level`: a `province_code` filter narrows every level, and a `code` filter the levels whose
/// units are named in a column of their own.
fn within(level: Level, filters: &[Expr]) -> Vec<(&'static str, Vec<String>)> {
    let mut within = Vec::new();
    if let Some(p) = allowed(filters, "province_code") {
        within.push(("province_code", p));
    }
    let column = match level {
        Level::Commune => Some("commune_code"),
        Level::District => Some("district_code"),
        Level::Province => Some("province_code"),
        _ => None,
    };
    if let (Some(column), Some(codes)) = (column, allowed(filters, "code")) {
        within.push((column, codes));
    }
    if let (Level::Commune2025, Some(codes)) = (level, allowed(filters, "code")) {
        // A 2025 commune's own rows and those of the legacy communes with a part in it.
        let mut rows = codes.clone();
        let parts = commune_targets().iter().filter(|(_, to)| to.iter().any(|t| codes.contains(t)));
        rows.extend(parts.map(|(legacy, _)| legacy.clone()));
        rows.sort();
        rows.dedup();
        within.push(("commune_code", rows));
    }
    within
}

/// What the catalog says of the indicators a scan asks for.
#[derive(Default)]
struct Catalog {
    /// `(code, aggregation)` of those that can be derived (`sum` or `recompute`).
    rules: Vec<(String, String)>,
    /// `(code, kind)` of each.
    kinds: Vec<(String, String)>,
}

/// The catalog's rules and kinds of `indicators` (all when empty).
async fn catalog(state: &SessionState, indicators: &[String]) -> Result<Catalog> {
    let mut sql = String::from("SELECT code, aggregation, kind FROM indicators");
    if !indicators.is_empty() {
        let list: Vec<String> = indicators.iter().map(|i| quoted(i)).collect();
        sql.push_str(&format!(" WHERE code IN ({})", list.join(", ")));
    }
    let mut out = Catalog::default();
    for batch in collect(state, sql).await? {
        let (Some(code), Some(rule), Some(kind)) =
            (strings(&batch, "code"), strings(&batch, "aggregation"), strings(&batch, "kind"))
        else {
            continue;
        };
        for i in 0..batch.num_rows() {
            let code = code.value(i).to_string();
            if ["sum", "recompute"].contains(&rule.value(i)) {
                out.rules.push((code.clone(), rule.value(i).to_string()));
            }
            out.kinds.push((code, kind.value(i).to_string()));
        }
    }
    if let Some(missing) = indicators.iter().find(|i| !out.kinds.iter().any(|(code, _)| code == *i)) {
        return Err(unknown_indicator(state, missing).await);
    }
    Ok(out)
}

/// The error for a filter naming `indicator`, which the catalog does not have: a value that names
/// nothing is a mistake to point out, not a question with an empty answer.
async fn unknown_indicator(state: &SessionState, indicator: &str) -> DataFusionError {
    let mut codes = Vec::new();
    match collect(state, "SELECT code FROM indicators".into()).await {
        Ok(batches) => {
            for batch in &batches {
                if let Some(code) = strings(batch, "code") {
                    codes.extend((0..batch.num_rows()).map(|i| code.value(i).to_string()));
                }
            }
        }
        Err(e) => return e,
    }
    DataFusionError::Plan(format!(
        "figures has no indicator {indicator:?}: the indicators table has no such code.{} \
         `chiso query \"select code, name_en from indicators\"` lists them",
        did_you_mean(indicator, &codes)
    ))
}

/// The grain a filter `grain = 'auto'` stands for (see [`settle`]).
const AUTO: &str = "auto";

/// Whether filter `f` asks for grain `auto`.
fn asks_auto(f: &Expr) -> bool {
    values_of(f, "grain").is_some_and(|v| v.iter().any(|v| v == AUTO))
}

/// What the rows a scan may read hold.
struct Survey {
    /// The levels, of those the scan reads, that hold rows.
    stored: Vec<Level>,
    /// The grain `auto` stands for, when the filters ask for it.
    auto: Option<Grain>,
}

/// Which of the levels a scan with `filters` reads (each level asked for and the levels it is
/// derived from) hold rows of `indicators`, and, when the filters ask for grain `auto`, which
/// grain it is: `month` when the unit's rows (at any level) end on more than twice as many dates
/// as months, else `reported`. The two questions are asked at once.
async fn survey(state: &SessionState, filters: &[Expr], indicators: &[String]) -> Result<Survey> {
    let asked = chosen(filters, ("geo_level", "levels"), &LEVELS, Level::parse, Level::name)?;
    let mut levels: Vec<Level> = Vec::new();
    for l in asked.iter().flat_map(|l| std::iter::once(l).chain(l.sources())) {
        if !levels.contains(l) {
            levels.push(*l);
        }
    }
    // The rows of one unit's sources lie in the unit's own column, so one level's filters
    // narrow the questions to that unit.
    let within = match asked.as_slice() {
        [one] => within(*one, filters),
        _ => allowed(filters, "province_code").map(|p| ("province_code", p)).into_iter().collect(),
    };
    let auto = filters.iter().any(asks_auto);
    if levels.is_empty() {
        return Ok(Survey { stored: levels, auto: auto.then_some(Grain::Reported) });
    }
    let stored = async {
        let mut out = Vec::new();
        for batch in collect(state, probe(indicators, &within, &levels)).await? {
            if let Some(names) = strings(&batch, "level") {
                out.extend((0..batch.num_rows()).filter_map(|i| Level::parse(names.value(i))));
            }
        }
        Ok::<_, DataFusionError>(out)
    };
    let grain = async {
        if !auto {
            return Ok::<_, DataFusionError>(None);
        }
        let (mut days, mut months) = (0, std::collections::BTreeSet::new());
        for batch in collect(state, dates(indicators, &within)).await? {
            let column = batch
                .column_by_name("period_end")
                .ok_or_else(|| DataFusionError::Internal("the dates of figures have no period_end".into()))?;
            let ends = as_date32_array(column)?;
            for i in (0..ends.len()).filter(|&i| ends.is_valid(i)) {
                days += 1;
                months.extend(ends.value_as_date(i).map(|d| (d.year(), d.month())));
            }
        }
        Ok(Some(if days > 2 * months.len() { Grain::Month } else { Grain::Reported }))
    };
    let (stored, auto) = tokio::join!(stored, grain);
    let (stored, auto) = (stored?, auto?);
    Ok(Survey { stored, auto })
}

/// The rows of `sql`, run on `state` in a task of its own: the questions a scan asks before it
/// is planned run on every core at once (planning them is most of their cost).
async fn collect(state: &SessionState, sql: String) -> Result<Vec<RecordBatch>> {
    let state = state.clone();
    tokio::spawn(async move {
        DataFrame::new(state.clone(), state.create_logical_plan(&sql).await?).collect().await
    })
    .await
    .map_err(|e| DataFusionError::External(Box::new(e)))?
}

/// `filters` with grain `auto` (alone or in an `IN` list) replaced by the grain it stands for.
fn settle(filters: &[Expr], auto: Option<Grain>) -> Result<Vec<Expr>> {
    let Some(grain) = auto else { return Ok(filters.to_vec()) };
    filters
        .iter()
        .map(|f| {
            if !asks_auto(f) {
                return Ok(f.clone());
            }
            f.clone()
                .transform(|e| {
                    Ok(match e {
                        Expr::Literal(ScalarValue::Utf8(Some(v)) | ScalarValue::Utf8View(Some(v)), _)
                            if v == AUTO =>
                        {
                            Transformed::yes(lit(grain.name()))
                        }
                        e => Transformed::no(e),
                    })
                })
                .map(|t| t.data)
        })
        .collect()
}

#[async_trait]
impl TableProvider for Figures {
    fn schema(&self) -> SchemaRef {
        SCHEMA.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        // The filters choose what is planned, and the plan applies them all.
        Ok(vec![TableProviderFilterPushDown::Exact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let state = state
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| DataFusionError::Internal("figures needs a DataFusion session state".into()))?;
        let plan = logical_plan(state, projection, filters).await?;
        // The physical plan made here becomes part of the scanning query's plan, which DataFusion
        // optimizes as a whole: optimized here too, it would be optimized twice (DataFusion then
        // trips over its own dynamic filters and sort checks), so it is left as first planned.
        let inner = SessionStateBuilder::new_from_existing(state.clone())
            .with_physical_optimizer_rules(vec![])
            .build();
        DataFrame::new(inner, plan).create_physical_plan().await
    }
}

/// The plan of a scan of `figures` with `projection` and `filters` (which it applies itself), in
/// the declared column types, not yet optimized. `state` answers the queries that choose it (the
/// catalog's rules, the levels that hold rows). A cluster, which cannot send this table, sends
/// this plan in its place ([`is_figures`]).
pub async fn logical_plan(
    state: &SessionState,
    projection: Option<&Vec<usize>>,
    filters: &[Expr],
) -> Result<LogicalPlan> {
    let indicators = allowed(filters, "indicator").unwrap_or_default();
    // Independent questions, asked at once; both are awaited even when one fails, so that no
    // work is left running behind an error.
    let (catalog, survey) = tokio::join!(catalog(state, &indicators), survey(state, filters, &indicators));
    let (catalog, survey) = (catalog?, survey?);
    let filters = &settle(filters, survey.auto)?;
    let mut requests = requests(filters, &indicators, &catalog)?;
    for r in &mut requests {
        r.stored = Some(survey.stored.clone());
    }
    let text = if requests.is_empty() {
        // No level or grain the filters allow: no rows, with the declared columns.
        let none = Request {
            level: Level::Commune,
            grain: Grain::Reported,
            indicators: Vec::new(),
            derived_only: true,
            rules: Vec::new(),
            within: Vec::new(),
            kinds: Vec::new(),
            stored: None,
        };
        format!("SELECT * FROM ({}) WHERE false", sql(&none))
    } else {
        // Unaliased, the parts' columns are unqualified: a cluster's plan codec misnames
        // qualified columns of a union (`r.indicator` became a column's name).
        requests.iter().map(|r| format!("SELECT * FROM ({})", sql(r))).collect::<Vec<_>>().join(" UNION ALL ")
    };
    let mut df = DataFrame::new(state.clone(), state.create_logical_plan(&text).await?);
    // The declared types, whatever the SQL's expressions gave.
    let wanted: Vec<usize> = match projection {
        Some(p) => p.clone(),
        None => (0..SCHEMA.fields().len()).collect(),
    };
    let columns: Vec<Expr> = wanted
        .iter()
        .map(|&i| {
            let field = SCHEMA.field(i);
            datafusion::logical_expr::cast(col(field.name()), field.data_type().clone()).alias(field.name())
        })
        .collect();
    let unqualified = filters.iter().map(|f| {
        f.clone()
            .transform(|e| {
                Ok(match e {
                    Expr::Column(c) => Transformed::yes(Expr::Column(Column::new_unqualified(c.name))),
                    e => Transformed::no(e),
                })
            })
            .map(|t| t.data)
    });
    if let Some(all) = conjunction(unqualified.collect::<Result<Vec<_>>>()?) {
        df = df.filter(all)?;
    }
    Ok(df.select(columns)?.into_unoptimized_plan())
}

/// Whether `scan` reads the table `figures`.
pub fn is_figures(scan: &TableScan) -> bool {
    datafusion::datasource::source_as_provider(&scan.source).is_ok_and(|p| p.is::<Figures>())
}
