//! `chiso executor`: a Ballista executor whose function registry holds chiso's SQL functions, so
//! the plan fragments it is sent can call them.
use std::sync::Arc;

use ballista_core::extension::ballista_scalar_functions;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;

use super::{start_error, Address};
use crate::error::{Error, Result};
use crate::storage::store::Stores;

/// How long an executor waits at start-up for its scheduler to listen.
const SCHEDULER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// How to run the executor.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler to register with.
    pub scheduler: Address,
    /// Tasks run at once (default: the number of cores).
    pub concurrency: Option<usize>,
    /// The local address to listen on.
    pub bind_host: String,
    /// The host name the scheduler and other executors use to reach this one (default: the bind host).
    pub external_host: Option<String>,
    /// Port of the Arrow Flight service that serves shuffle data.
    pub flight_port: u16,
    /// Port of the gRPC service the scheduler sends tasks to.
    pub grpc_port: u16,
    /// Directory for shuffle files (default: a temporary directory).
    pub work_dir: Option<String>,
    /// Memory for all the tasks of this executor, in bytes; beyond it they spill to disk.
    pub memory_limit: Option<usize>,
}

/// Refuse to start on ports another process (another executor, say) already listens on, saying
/// which to set instead: Ballista would log the failure and keep running without its services.
fn free_ports(options: &ExecutorOptions) -> Result<()> {
    for (port, flag) in [(options.flight_port, "--flight-port"), (options.grpc_port, "--grpc-port")] {
        if let Err(e) = std::net::TcpListener::bind((options.bind_host.as_str(), port)) {
            let (flight, grpc) = (options.flight_port + 10, options.grpc_port + 10);
            return Err(Error::Cluster {
                message: format!(
                    "port {port} ({flag}) on {} is taken ({e}), perhaps by another executor on this machine; \
                     give this one other ports, e.g. --flight-port {flight} --grpc-port {grpc}",
                    options.bind_host
                ),
                source: None,
            });
        }
    }
    Ok(())
}

/// Run the executor until the process is stopped.
pub async fn serve(options: &ExecutorOptions) -> Result<()> {
    super::init_logging();
    // Ballista 55's default executor registry lacks the nested functions (`string_to_array`...) its
    // client sessions plan with, so they are added here, with chiso's own.
    let mut registry = BallistaFunctionRegistry::default();
    for f in ballista_scalar_functions() {
        registry.scalar_functions.insert(f.name().to_string(), f);
    }
    for f in crate::engine::functions::udfs() {
        registry.scalar_functions.insert(f.name().to_string(), Arc::new(f));
    }
    let mut config = ExecutorProcessConfig {
        bind_host: options.bind_host.clone(),
        external_host: Some(options.external_host.clone().unwrap_or_else(|| options.bind_host.clone())),
        port: options.flight_port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler.host.clone(),
        scheduler_port: options.scheduler.port,
        work_dir: options.work_dir.clone(),
        // Heartbeats well inside the scheduler's executor timeout, so a live executor is never expired.
        executor_heartbeat_interval_seconds: 3,
        memory_pool_size: options.memory_limit.map(|m| m as u64),
        override_function_registry: Some(Arc::new(registry)),
        ..Default::default()
    };
    if let Some(n) = options.concurrency {
        config.vcores = n;
    }
    // Each task's runtime reads `s3://` warehouses from the environment's credentials (Ballista's
    // own runtime knows only local files); spills go to the work directory, as Ballista's do.
    let work_dir = options.work_dir.clone();
    config.override_runtime_producer = Some(Arc::new(move |_| {
        let mut runtime = RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(Stores::default()));
        if let Some(dir) = &work_dir {
            runtime = runtime.with_temp_file_path(dir.clone());
        }
        Ok(Arc::new(runtime.build()?))
    }));
    free_ports(options)?;
    // Ballista retries an absent scheduler forever, logging twice a second: wait here instead, then
    // say what is missing.
    if let Err(why) = super::reachable(&options.scheduler, SCHEDULER_PATIENCE).await {
        return Err(Error::Cluster {
            message: format!(
                "cannot reach the scheduler at {} after {} s ({why}); start it with `chiso scheduler --bind {}`",
                options.scheduler,
                SCHEDULER_PATIENCE.as_secs(),
                options.scheduler
            ),
            source: None,
        });
    }
    eprintln!(
        "chiso executor: {} task slots, flight port {}, grpc port {}, registering with the scheduler at {}",
        config.vcores, config.port, config.grpc_port, options.scheduler
    );
    start_executor_process(Arc::new(config)).await.map_err(|e| start_error("executor", e))
}
