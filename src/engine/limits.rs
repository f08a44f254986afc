//! Limits each query keeps on its own, for a session many clients share (`chiso serve`): a
//! memory pool of its own, so one query that needs much spills or fails alone instead of
//! starving the others, and a deadline, after which its stream ends with an error and its
//! operators are dropped (which also happens when a client goes away mid-result).
//!
//! A [`QueryPlanner`] wraps the root of every physical plan in [`LimitedExec`], which runs its
//! input with a task context whose runtime has the query's own pool (everything else of the
//! runtime, spill files, caches, object stores, is the session's), and, when the session lets
//! only so many queries run at once, starts it when its turn comes.
use std::fmt;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What one query may use.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// How long it may run, from its first batch asked for to its last one sent.
    pub timeout: Option<Duration>,
    /// The bytes its sorts, joins and aggregations may hold before they spill (its own pool).
    pub memory: Option<usize>,
    /// How many queries of the session may run at once; the others wait their turn (this bounds
    /// the memory of many clients together, which the pools of single queries do not).
    pub running: Option<usize>,
}

impl Limits {
    /// Whether these limits limit anything.
    pub fn any(&self) -> bool {
        self.timeout.is_some() || self.memory.is_some() || self.running.is_some()
    }
}

/// `ctx` with every query planned in it kept to `limits`.
pub fn limited(ctx: SessionContext, limits: Limits) -> SessionContext {
    if !limits.any() {
        return ctx;
    }
    let state = ctx.state();
    let inner = state.query_planner().clone();
    let gate = limits.running.map(|n| Arc::new(Semaphore::new(n.max(1))));
    let state = SessionStateBuilder::new_from_existing(state)
        .with_query_planner(Arc::new(LimitedPlanner { inner, limits, gate }))
        .build();
    SessionContext::new_with_state(state)
}

#[derive(Debug)]
struct LimitedPlanner {
    /// The planner the session had.
    inner: Arc<dyn QueryPlanner + Send + Sync>,
    limits: Limits,
    /// Turns to run, shared by the session's queries.
    gate: Option<Arc<Semaphore>>,
}

#[async_trait]
impl QueryPlanner for LimitedPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self.inner.create_physical_plan(logical_plan, session).await?;
        Ok(Arc::new(LimitedExec::new(plan, self.limits, self.gate.clone())))
    }
}

/// Marks a task context as inside a limited query.
#[derive(Debug)]
struct Within;

/// The root of a query kept to its [`Limits`].
#[derive(Debug)]
pub struct LimitedExec {
    input: Arc<dyn ExecutionPlan>,
    limits: Limits,
    /// The query's runtime, made when its first partition starts and shared by the others.
    runtime: OnceLock<Arc<RuntimeEnv>>,
    /// When the query must have finished, fixed when its first partition starts.
    deadline: OnceLock<tokio::time::Instant>,
    /// The session's turns to run, and this query's turn while any of its partitions runs.
    gate: Option<Arc<Semaphore>>,
    turn: Arc<tokio::sync::Mutex<Weak<OwnedSemaphorePermit>>>,
}

impl LimitedExec {
    fn new(input: Arc<dyn ExecutionPlan>, limits: Limits, gate: Option<Arc<Semaphore>>) -> Self {
        let (runtime, deadline) = (OnceLock::new(), OnceLock::new());
        Self { input, limits, runtime, deadline, gate, turn: Default::default() }
    }

    /// The query's runtime: the session's, with a pool of `limit` bytes of its own.
    fn runtime(&self, session: &RuntimeEnv, limit: usize) -> Result<Arc<RuntimeEnv>> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime.clone());
        }
        let runtime = RuntimeEnvBuilder::from_runtime_env(session)
            .with_memory_pool(super::memory::memory_pool(limit))
            .build_arc()?;
        Ok(self.runtime.get_or_init(|| runtime).clone())
    }
}

impl DisplayAs for LimitedExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "LimitedExec:")?;
        if let Some(t) = self.limits.timeout {
            write!(f, " timeout={}s", t.as_secs_f64())?;
        }
        if let Some(m) = self.limits.memory {
            write!(f, " memory={m}")?;
        }
        if let Some(n) = self.limits.running {
            write!(f, " running={n}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for LimitedExec {
    fn name(&self) -> &str {
        "LimitedExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(LimitedExec::new(input, self.limits, self.gate.clone()))),
            _ => Err(DataFusionError::Internal("LimitedExec has exactly one input".into())),
        }
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        // A plan planned inside another (the table `figures` plans its SQL while the query is
        // planned) runs within the outer query's limits: its own turn would wait for the outer
        // one, which waits for it.
        if context.session_config().get_extension::<Within>().is_some() {
            return self.input.execute(partition, context);
        }
        let runtime = match self.limits.memory {
            Some(limit) => self.runtime(&context.runtime_env(), limit)?,
            None => context.runtime_env(),
        };
        let context = Arc::new(TaskContext::new(
            context.task_id(),
            context.session_id(),
            context.session_config().clone().with_extension(Arc::new(Within)),
            context.scalar_functions().clone(),
            context.higher_order_functions().clone(),
            context.aggregate_functions().clone(),
            context.window_functions().clone(),
            runtime,
        ));
        let stream = match &self.gate {
            None => self.input.execute(partition, context)?,
            Some(gate) => {
                let (input, gate, turn) = (self.input.clone(), gate.clone(), self.turn.clone());
                let schema = input.schema();
                // The query's partitions start once it has its turn; the turn is given back when
                // the last of them ends (or is dropped).
                let started = futures::stream::once(async move {
                    let turn = take_turn(&gate, &turn).await?;
                    let inner = input.execute(partition, context)?;
                    Ok::<_, DataFusionError>(inner.map(move |item| {
                        let _held = &turn;
                        item
                    }))
                })
                .try_flatten();
                Box::pin(RecordBatchStreamAdapter::new(schema, started))
            }
        };
        let Some(timeout) = self.limits.timeout else {
            return Ok(stream);
        };
        let deadline = *self.deadline.get_or_init(|| tokio::time::Instant::now() + timeout);
        let schema = stream.schema();
        let sleep = Box::pin(tokio::time::sleep_until(deadline));
        // Batches pass until the deadline; then one error, and the query's operators are
        // dropped with the stream.
        let limited = futures::stream::unfold(Some((stream, sleep)), move |state| async move {
            let (mut stream, mut sleep) = state?;
            tokio::select! {
                item = stream.next() => item.map(|item| (item, Some((stream, sleep)))),
                _ = &mut sleep => Some((Err(timed_out(timeout)), None)),
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, limited)))
    }
}

/// This query's turn to run: the one its other partitions hold, or a new one when it is free.
async fn take_turn(
    gate: &Arc<Semaphore>,
    turn: &tokio::sync::Mutex<Weak<OwnedSemaphorePermit>>,
) -> Result<Arc<OwnedSemaphorePermit>> {
    let mut held = turn.lock().await;
    if let Some(permit) = held.upgrade() {
        return Ok(permit);
    }
    let permit =
        gate.clone().acquire_owned().await.map_err(|_| DataFusionError::Internal("no turns".into()))?;
    let permit = Arc::new(permit);
    *held = Arc::downgrade(&permit);
    Ok(permit)
}

/// The error of a query stopped at its deadline.
fn timed_out(timeout: Duration) -> DataFusionError {
    DataFusionError::ResourcesExhausted(format!(
        "the query ran longer than the server's limit of {} s (--timeout) and was stopped",
        timeout.as_secs()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::prelude::SessionConfig;

    async fn text(ctx: &SessionContext, sql: &str) -> Result<String> {
        let batches = ctx.sql(sql).await?.collect().await?;
        Ok(pretty_format_batches(&batches)?.to_string())
    }

    #[tokio::test]
    async fn a_query_past_its_deadline_is_stopped_and_the_next_one_runs() {
        let limits = Limits { timeout: Some(Duration::from_millis(300)), memory: None, running: Some(1) };
        let ctx = limited(SessionContext::new(), limits);
        let slow = text(&ctx, "select count(*) from generate_series(1, 100000000000)").await;
        let why = slow.expect_err("stopped").to_string();
        assert!(why.contains("ran longer than the server's limit") && why.contains("(--timeout)"), "{why}");
        assert!(text(&ctx, "select 40 + 2 as x").await.unwrap().contains("42"));
    }

    #[tokio::test]
    async fn each_query_spills_within_its_own_pool() {
        // A sort of 2 M rows needs more than 4 MiB: under the limit it spills to disk.
        let sql =
            "explain analyze select value from generate_series(1, 2000000) as t(value) order by value desc";
        let spills = crate::engine::memory::spilled;
        let mut config = SessionConfig::new();
        crate::engine::config::fit_to_memory(&mut config, 4 << 20);
        let ctx = SessionContext::new_with_config(config);
        let limited_ctx = limited(ctx, Limits { timeout: None, memory: Some(4 << 20), running: None });
        let plan = text(&limited_ctx, sql).await.unwrap();
        assert!(spills(&plan), "{plan}");
        // The session's own pool is unlimited: the same sort does not spill there, so the pool
        // that made it spill above was the query's own.
        let plan = text(&SessionContext::new(), sql).await.unwrap();
        assert!(!spills(&plan), "{plan}");
    }
}
