//! The query session: a DataFusion context, made by the caller (local or on a cluster), with
//! chiso's tables and functions registered, and the ways to run SQL on it (ad-hoc statements and
//! saved queries).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::Int64Array;
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParser, Statement};

use super::catalog::{register_file, register_warehouse};
use super::config::{local_context, session_config};
use super::result::QueryResult;
use super::saved::SavedQuery;
use crate::error::{Error, Result, Thing};
use crate::storage::delta::AsOf;
use crate::storage::text::strings;
use crate::storage::warehouse::default_warehouse;

/// The tables a session reads.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// A directory of Parquet tables; `None` uses the built-in curated data.
    pub warehouse: Option<PathBuf>,
    /// Extra `NAME=PATH` tables for this session only.
    pub extra: Vec<(String, PathBuf)>,
    /// Read each warehouse table as it was at this version or time (the latest when `None`).
    pub as_of: Option<AsOf>,
}

/// Where a session's plans run, and what that asks of the engine. [`Local`] runs them in this
/// process; `crate::cluster` has the backend of a Ballista cluster.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// Whether the backend can run `plan`; one it cannot is answered in this process, which
    /// works for plans that read no table (DESCRIBE holds the schema it prints).
    fn runs(&self, _plan: &LogicalPlan) -> bool {
        true
    }

    /// What to do about an error the backend raised, when its cause is one a user can fix.
    fn hint(&self, _message: &str, _warehouse: &Path) -> Option<String> {
        None
    }
}

/// Plans run in this process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Local;

impl Backend for Local {}

/// A chiso session over one warehouse.
pub struct Engine {
    ctx: SessionContext,
    warehouse: PathBuf,
    backend: Arc<dyn Backend>,
}

impl Engine {
    /// A session on `ctx` (its plans run by `backend`) over `tables`: chiso's functions and the
    /// tables are registered (the default warehouse, built on first use, when none is given), and the
    /// built-in saved queries as table functions.
    pub async fn new(ctx: SessionContext, backend: Arc<dyn Backend>, tables: &Tables) -> Result<Self> {
        let warehouse = match &tables.warehouse {
            Some(dir) => dir.clone(),
            None => default_warehouse().await?,
        };
        super::functions::register(&ctx);
        ctx.add_optimizer_rule(Arc::new(super::first_row::FirstRowPerPartition));
        ctx.add_optimizer_rule(Arc::new(super::date_floor::CastTruncatedDates));
        super::saved_tables::register(&ctx, &super::saved::load_all(None)?);
        register_warehouse(&ctx, &warehouse, tables.as_of.clone()).await?;
        for (name, path) in &tables.extra {
            register_file(&ctx, name, path).await?;
        }
        // A cluster's plan codec cannot send this table: its client expands it first (see
        // `cluster::figures`).
        if !ctx.table_exist("figures")? {
            ctx.register_table("figures", Arc::new(super::figures::Figures))?;
        }
        Ok(Self { ctx, warehouse, backend })
    }

    /// A session in this process with chiso's default settings over `warehouse` (the built-in
    /// data when `None`).
    pub async fn local(warehouse: Option<PathBuf>) -> Result<Self> {
        let ctx = local_context(session_config()?, None)?;
        Self::new(ctx, Arc::new(Local), &Tables { warehouse, ..Tables::default() }).await
    }

    /// Make the saved queries in `saved` callable as table functions too (the built-in ones are).
    pub fn add_saved_queries(&self, saved: &[SavedQuery]) {
        super::saved_tables::register(&self.ctx, saved);
    }

    /// The DataFusion context, for callers that want the full API.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The warehouse directory this session reads.
    pub fn warehouse(&self) -> &PathBuf {
        &self.warehouse
    }

    /// Names of the registered tables, sorted.
    pub fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .ctx
            .catalog("datafusion")
            .and_then(|c| c.schema("public"))
            .map(|s| s.table_names())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Row count of `table`, read through SQL (Parquet statistics answer it without a scan).
    pub async fn row_count(&self, table: &str) -> Result<i64> {
        let result = self.query_one(&format!("SELECT count(*) FROM \"{table}\"")).await?;
        let count = result
            .batches
            .first()
            .and_then(|b| b.column(0).as_any().downcast_ref::<Int64Array>().map(|a| a.value(0)))
            .unwrap_or(0);
        Ok(count)
    }

    /// Run one or more `;`-separated statements, returning one result per statement.
    pub async fn sql(&self, text: &str) -> Result<Vec<QueryResult>> {
        let statements = DFParser::parse_sql(text).map_err(|e| self.explain(e))?;
        if statements.is_empty() {
            return Err(Error::Statements { what: "the SQL".into(), found: 0 });
        }
        let mut results = Vec::new();
        for statement in statements {
            results.push(self.statement(statement).await?);
        }
        Ok(results)
    }

    /// Run a saved query with its parameters bound (see [`SavedQuery::bind`]).
    pub async fn run_saved(&self, query: &SavedQuery, params: &[(String, String)]) -> Result<QueryResult> {
        collect(self.saved_dataframe(query, params).await?).await.map_err(|e| self.explain(e))
    }

    /// A saved query with its parameters bound, as a DataFrame not yet run.
    pub async fn saved_dataframe(
        &self,
        query: &SavedQuery,
        params: &[(String, String)],
    ) -> Result<DataFrame> {
        let values = query.bind(params)?;
        let statement = self.one_statement(&query.sql, &query.name)?;
        let df = self.plan(statement).await?;
        if values.is_empty() {
            return Ok(df);
        }
        let values: Vec<(&str, ScalarValue)> = values.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        df.with_param_values(values).map_err(|e| self.explain(e))
    }

    /// Run exactly one SQL statement and collect its rows.
    pub async fn query_one(&self, sql: &str) -> Result<QueryResult> {
        let statement = self.one_statement(sql, "the SQL")?;
        self.statement(statement).await
    }

    /// The unit and English name of an indicator, if the warehouse's `indicators` table has it.
    pub async fn indicator_info(&self, code: &str) -> Option<(String, String)> {
        let df = self.dataframe("SELECT unit, name_en FROM indicators WHERE code = $1").await.ok()?;
        let df = df.with_param_values(vec![ScalarValue::from(code)]).ok()?;
        let batches = df.collect().await.ok()?;
        let batch = batches.iter().find(|b| b.num_rows() > 0)?;
        let unit = strings(batch, "unit")?;
        let name = strings(batch, "name_en")?;
        Some((unit.value(0).to_string(), name.value(0).to_string()))
    }

    /// One SQL statement as a DataFrame not yet run.
    pub async fn dataframe(&self, sql: &str) -> Result<DataFrame> {
        let statement = self.one_statement(sql, "the SQL")?;
        self.plan(statement).await
    }

    fn one_statement(&self, sql: &str, what: &str) -> Result<Statement> {
        let mut statements = DFParser::parse_sql(sql).map_err(|e| self.explain(e))?;
        match (statements.pop_front(), statements.len()) {
            (Some(statement), 0) => Ok(statement),
            (first, rest) => {
                Err(Error::Statements { what: what.to_string(), found: rest + usize::from(first.is_some()) })
            }
        }
    }

    async fn plan(&self, statement: Statement) -> Result<DataFrame> {
        let state = self.ctx.state();
        let plan = state.statement_to_plan(statement).await.map_err(|e| self.explain(e))?;
        let df = if self.backend.runs(&plan) {
            self.ctx.execute_logical_plan(plan).await
        } else {
            SessionContext::new().execute_logical_plan(plan).await
        };
        df.map_err(|e| self.explain(e))
    }

    async fn statement(&self, statement: Statement) -> Result<QueryResult> {
        let df = self.plan(statement).await?;
        collect(df).await.map_err(|e| self.explain(e))
    }

    /// The same explanation for an error raised outside the session's own methods (a DataFrame
    /// it made, run by the caller).
    pub fn explain_error(&self, e: Error) -> Error {
        match e {
            Error::Query(df) => self.explain(df),
            other => other,
        }
    }

    /// Turn a DataFusion error into a user error, naming the closest table when one is unknown.
    fn explain(&self, e: DataFusionError) -> Error {
        let e = match chiso_error(e) {
            Ok(ours) => return ours,
            Err(e) => e,
        };
        let message = e.find_root().to_string();
        if let Some(missing) = missing_table(&message) {
            return Error::NotFound {
                kind: Thing::Table,
                name: missing,
                candidates: self.table_names(),
                within: format!("the warehouse {}", self.warehouse.display()),
                setting: None,
            };
        }
        if message.contains("Resources exhausted") {
            return Error::Memory(e);
        }
        if let Some(hint) = self.backend.hint(&message, &self.warehouse) {
            return Error::Cluster { message: format!("{message}\n{hint}"), source: None };
        }
        Error::Query(e)
    }
}

async fn collect(df: DataFrame) -> datafusion::error::Result<QueryResult> {
    let planned = df.schema().inner().clone();
    let batches = df.collect().await?;
    // The rows' own schema where there are rows: the optimizer may make a column nullable that
    // the statement declared not (`first_row`), and what takes the rows (a report's in-memory
    // table) checks them against the schema.
    let schema = batches.first().map(|b| b.schema()).unwrap_or(planned);
    Ok(QueryResult { schema, batches })
}

/// The chiso error a DataFusion error carries (raised while opening a table), if it carries one.
fn chiso_error(e: DataFusionError) -> std::result::Result<Error, DataFusionError> {
    match e {
        DataFusionError::External(inner) => {
            inner.downcast::<Error>().map(|ours| *ours).map_err(DataFusionError::External)
        }
        DataFusionError::Context(text, inner) => {
            chiso_error(*inner).map_err(|inner| DataFusionError::Context(text, Box::new(inner)))
        }
        other => Err(other),
    }
}

/// The bare table name in DataFusion's "table 'datafusion.public.x' not found" message.
fn missing_table(message: &str) -> Option<String> {
    let start = message.find("table '")? + "table '".len();
    let rest = &message[start..];
    let end = rest.find("' not found")?;
    Some(rest[..end].rsplit('.').next().unwrap_or_default().to_string())
}
