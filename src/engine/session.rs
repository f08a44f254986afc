//! The query session: a DataFusion context with chiso's tables and functions registered, and the
//! ways to run SQL on it (ad-hoc statements and saved queries).
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};

use super::catalog::{default_warehouse, register_file, register_warehouse};
use super::saved::SavedQuery;
use crate::error::{Error, Result};
use crate::util::closest;

/// Where the session's tables come from.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// A directory of Parquet tables; `None` uses the built-in curated data.
    pub warehouse: Option<PathBuf>,
    /// Extra `NAME=PATH` tables for this session only.
    pub tables: Vec<(String, PathBuf)>,
    /// Cap on the memory of the engine's pools, in bytes; beyond it, sorts and joins spill to disk.
    pub memory_limit: Option<usize>,
    /// A Ballista scheduler (`df://HOST:PORT`) to plan and run the queries on, instead of this process.
    pub cluster: Option<String>,
}

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

/// A chiso session over one warehouse.
pub struct Engine {
    ctx: SessionContext,
    warehouse: PathBuf,
    on_cluster: bool,
}

impl Engine {
    /// Open a session: find the warehouse (building the default one on first use) and register its tables.
    pub async fn open(options: &EngineOptions) -> Result<Self> {
        let warehouse = match &options.warehouse {
            Some(dir) => dir.clone(),
            None => default_warehouse().await?,
        };
        // DataFusion's own settings can be tuned with DATAFUSION_* variables (e.g.
        // DATAFUSION_EXECUTION_TARGET_PARTITIONS=4), as in datafusion-cli.
        let mut config = SessionConfig::from_env()?.with_information_schema(true);
        // Text is inferred as the files store it (`Utf8`); the catalog then reads code columns as
        // `Utf8View` and other text as `Utf8` (`catalog::codes_as_views`).
        let unset = |name: &str| std::env::var_os(name).is_none();
        let parquet = &mut config.options_mut().execution.parquet;
        if unset("DATAFUSION_EXECUTION_PARQUET_SCHEMA_FORCE_VIEW_TYPES") {
            parquet.schema_force_view_types = false;
        }
        // Filters are applied while Parquet is decoded (off in DataFusion by default). A join's
        // dynamic filter then reaches the rows of a small table, and through it the big one's row
        // groups: the suite's join by region read 4 of 42 row groups instead of all of them and
        // ran 1.8x faster; the other queries did not change (benches/README.md).
        if unset("DATAFUSION_EXECUTION_PARQUET_PUSHDOWN_FILTERS") {
            parquet.pushdown_filters = true;
        }
        let ctx = match (&options.cluster, options.memory_limit) {
            (Some(url), _) => remote_context(url, config).await?,
            (None, None) => SessionContext::new_with_config(config),
            (None, Some(limit)) => {
                // Each sort keeps back this much for merging its spill files; the default (10 MB per
                // partition) alone would exhaust a small limit, so scale it to the limit.
                let reserve = &mut config.options_mut().execution.sort_spill_reservation_bytes;
                *reserve = (*reserve).min(limit / 16);
                let runtime = RuntimeEnvBuilder::new()
                    .with_memory_pool(Arc::new(FairSpillPool::new(limit)))
                    .build_arc()?;
                SessionContext::new_with_config_rt(config, runtime)
            }
        };
        super::functions::register(&ctx);
        // A cluster is sent plain listing tables: the only kind its plan codec knows.
        let portable = options.cluster.is_some();
        register_warehouse(&ctx, &warehouse, portable)?;
        for (name, path) in &options.tables {
            register_file(&ctx, name, path, portable).await?;
        }
        Ok(Self { ctx, warehouse, on_cluster: portable })
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

    /// Run one or more `;`-separated statements, returning one result per statement.
    pub async fn sql(&self, text: &str) -> Result<Vec<QueryResult>> {
        let statements = DFParser::parse_sql(text).map_err(|e| self.explain(e))?;
        if statements.is_empty() {
            return Err(Error::Usage("no SQL statement given".into()));
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
        let unit = crate::data::text::strings(batch, "unit")?;
        let name = crate::data::text::strings(batch, "name_en")?;
        Some((unit.value(0).to_string(), name.value(0).to_string()))
    }

    /// One SQL statement as a DataFrame not yet run.
    pub async fn dataframe(&self, sql: &str) -> Result<DataFrame> {
        let statement = self.one_statement(sql, "the SQL")?;
        self.plan(statement).await
    }

    fn one_statement(&self, sql: &str, what: &str) -> Result<Statement> {
        let mut statements = DFParser::parse_sql(sql).map_err(|e| self.explain(e))?;
        if statements.len() != 1 {
            return Err(Error::Usage(format!(
                "{what} must hold exactly one statement, it has {}",
                statements.len()
            )));
        }
        statements.pop_front().ok_or_else(|| Error::Usage("no SQL statement given".into()))
    }

    async fn plan(&self, statement: Statement) -> Result<DataFrame> {
        let state = self.ctx.state();
        let plan = state.statement_to_plan(statement).await.map_err(|e| self.explain(e))?;
        if self.on_cluster && matches!(plan, LogicalPlan::DescribeTable(_)) {
            // DESCRIBE holds the schema it prints and reads no table, but Ballista's plan codec
            // cannot send it: answer it here.
            return SessionContext::new().execute_logical_plan(plan).await.map_err(|e| self.explain(e));
        }
        self.ctx.execute_logical_plan(plan).await.map_err(|e| self.explain(e))
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
        let message = e.find_root().to_string();
        if let Some(missing) = missing_table(&message) {
            let names = self.table_names();
            let hint = closest(&missing, names.iter().map(|s| s.as_str()))
                .map(|c| format!(" Did you mean {c}?"))
                .unwrap_or_default();
            let known = if names.is_empty() {
                format!(" The warehouse {} holds no tables.", self.warehouse.display())
            } else {
                format!(" Tables: {}. (`chiso tables` lists them with row counts.)", names.join(", "))
            };
            return Error::Data(format!("{message}.{hint}{known}"));
        }
        if message.contains("Resources exhausted") {
            return Error::Data(format!(
                "{message}\nThe query needs more memory than --memory-limit allows: raise the limit, or leave it out."
            ));
        }
        if self.on_cluster {
            if let Some(hint) = cluster_hint(&message, &self.warehouse) {
                return Error::Data(format!("{message}\n{hint}"));
            }
        }
        Error::Query(e)
    }
}

#[cfg(feature = "cluster")]
fn cluster_hint(message: &str, warehouse: &std::path::Path) -> Option<String> {
    crate::cluster::client::hint(message, warehouse)
}

#[cfg(not(feature = "cluster"))]
fn cluster_hint(_message: &str, _warehouse: &std::path::Path) -> Option<String> {
    None
}

/// A context whose queries are planned by the Ballista scheduler at `url` and run on its executors.
#[cfg(feature = "cluster")]
async fn remote_context(url: &str, config: SessionConfig) -> Result<SessionContext> {
    crate::cluster::client::context(url, config).await
}

#[cfg(not(feature = "cluster"))]
async fn remote_context(url: &str, _config: SessionConfig) -> Result<SessionContext> {
    Err(Error::cluster_not_built(&format!("--cluster {url}")))
}

async fn collect(df: DataFrame) -> datafusion::error::Result<QueryResult> {
    let schema = df.schema().inner().clone();
    let batches = df.collect().await?;
    Ok(QueryResult { schema, batches })
}

/// The bare table name in DataFusion's "table 'datafusion.public.x' not found" message.
fn missing_table(message: &str) -> Option<String> {
    let start = message.find("table '")? + "table '".len();
    let rest = &message[start..];
    let end = rest.find("' not found")?;
    Some(rest[..end].rsplit('.').next().unwrap_or_default().to_string())
}
