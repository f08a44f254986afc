//! `chiso scheduler`: a Ballista scheduler whose sessions know chiso's SQL functions, so plans
//! that call `vn_number` or `province_2025` can be read and planned.
use std::net::ToSocketAddrs;
use std::sync::Arc;

use async_trait::async_trait;
use ballista_core::utils::default_session_builder;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::catalog::default_table_source::source_as_provider;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::listing::ListingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};
use datafusion::prelude::{SessionConfig, SessionContext};

use super::{start_error, Address};
use crate::error::{Error, Result};
use crate::storage::store::Stores;

/// How to run the scheduler.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Where to listen for clients and executors.
    pub bind: Address,
    /// The host name executors and clients use to reach this scheduler (default: the bind host).
    pub external_host: Option<String>,
    /// Seconds without a heartbeat after which an executor counts as lost and its tasks are rerun.
    pub executor_timeout: u64,
}

/// Run the scheduler until the process is stopped.
pub async fn serve(options: &SchedulerOptions) -> Result<()> {
    super::init_logging();
    let addr = free_address(&options.bind)?;
    let config = SchedulerConfig {
        bind_host: options.bind.host.clone(),
        bind_port: options.bind.port,
        external_host: options.external_host.clone().unwrap_or_else(|| options.bind.host.clone()),
        executor_timeout_seconds: options.executor_timeout,
        // Ballista checks for lost executors this often; keep it below the timeout.
        expire_dead_executor_interval_seconds: (options.executor_timeout / 2).max(1),
        override_session_builder: Some(Arc::new(session_with_functions)),
        ..Default::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(|e| start_error("scheduler", e))?;
    eprintln!(
        "chiso scheduler listening on {addr}; start executors with `chiso executor --scheduler {}`",
        options.bind
    );
    start_server(cluster, addr, Arc::new(config)).await.map_err(|e| start_error("scheduler", e))
}

/// The socket address of `bind`, if nothing listens there yet: Ballista's own failure to listen
/// does not say where.
pub fn free_address(bind: &Address) -> Result<std::net::SocketAddr> {
    let addr = (bind.host.as_str(), bind.port)
        .to_socket_addrs()
        .map_err(|e| Error::setting("bind", bind, e.to_string()))?
        .next()
        .ok_or_else(|| Error::setting("bind", bind, "the host has no address"))?;
    std::net::TcpListener::bind(addr).map_err(|e| {
        Error::setting(
            "bind",
            bind,
            format!("cannot listen there ({e}); is a scheduler running already? Give another port"),
        )
    })?;
    Ok(addr)
}

/// Ballista's default session, plus chiso's functions and a planner that checks the warehouse is
/// here and keeps no order through a shuffle.
fn session_with_functions(config: SessionConfig) -> datafusion::error::Result<SessionState> {
    // `s3://` warehouses are listed through stores made from the environment's credentials.
    let runtime =
        RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(Stores::default())).build_arc()?;
    let state = SessionStateBuilder::new_from_existing(default_session_builder(config)?)
        .with_runtime_env(runtime)
        .with_query_planner(Arc::new(SharedWarehousePlanner))
        .build();
    let ctx = SessionContext::new_with_state(state);
    crate::engine::functions::register(&ctx);
    Ok(ctx.state())
}

/// DataFusion's planner, after a check that every local path a query reads exists on this machine
/// (without it, a warehouse the scheduler cannot see is listed as no files and the query answers
/// from no rows, without an error), and with no order counted on through a shuffle
/// ([`super::order`]).
#[derive(Debug)]
struct SharedWarehousePlanner;

#[async_trait]
impl QueryPlanner for SharedWarehousePlanner {
    async fn create_physical_plan(
        &self,
        plan: &LogicalPlan,
        state: &dyn Session,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        check_paths(plan)?;
        let plan = DefaultPhysicalPlanner::default().create_physical_plan(plan, state).await?;
        super::order::unordered_shuffles(plan)
    }
}

fn check_paths(plan: &LogicalPlan) -> datafusion::error::Result<()> {
    plan.apply_with_subqueries(|node| {
        let LogicalPlan::TableScan(scan) = node else {
            return Ok(TreeNodeRecursion::Continue);
        };
        let provider = source_as_provider(&scan.source)?;
        let Some(table) = provider.downcast_ref::<ListingTable>() else {
            return Ok(TreeNodeRecursion::Continue);
        };
        for url in table.table_paths() {
            let Ok(path) = url.get_url().to_file_path() else { continue };
            if !path.exists() {
                return Err(DataFusionError::Plan(format!(
                    "the cluster's scheduler cannot see {} (table {}). On a cluster the warehouse \
                     must be at the same path on every machine: a shared directory.",
                    path.display(),
                    scan.table_name
                )));
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(())
}
