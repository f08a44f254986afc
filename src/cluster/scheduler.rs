//! `chiso scheduler`: a Ballista scheduler whose sessions know chiso's SQL functions, so plans
//! that call `vn_number` or `province_2025` can be read and planned.
use std::net::ToSocketAddrs;
use std::sync::Arc;

use ballista_core::utils::default_session_builder;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::SessionState;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::{start_error, Address};
use crate::error::{Error, Result};

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
    let addr = (options.bind.host.as_str(), options.bind.port)
        .to_socket_addrs()
        .map_err(|e| Error::Usage(format!("--bind {}: {e}", options.bind)))?
        .next()
        .ok_or_else(|| Error::Usage(format!("--bind {}: the host has no address", options.bind)))?;
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

/// Ballista's default session, plus chiso's functions.
fn session_with_functions(config: SessionConfig) -> datafusion::error::Result<SessionState> {
    let ctx = SessionContext::new_with_state(default_session_builder(config)?);
    crate::engine::functions::register(&ctx);
    Ok(ctx.state())
}
