//! `chiso executor`: one Ballista executor of a chiso cluster.
use std::path::PathBuf;

use clap::Args;

use crate::error::Result;

/// Arguments of `chiso executor`.
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler to register with (started with `chiso scheduler`).
    #[arg(long, value_name = "HOST:PORT")]
    scheduler: String,
    /// Tasks this executor runs at once [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    concurrency: Option<u64>,
    /// The local address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    bind: String,
    /// The host name the scheduler and other executors use to reach this one [default: the --bind host].
    #[arg(long, value_name = "HOST")]
    external_host: Option<String>,
    /// Port of the Arrow Flight service that serves this executor's shuffle data.
    #[arg(long, default_value_t = 50051, value_name = "PORT")]
    flight_port: u16,
    /// Port of the gRPC service the scheduler sends tasks to.
    #[arg(long, default_value_t = 50052, value_name = "PORT")]
    grpc_port: u16,
    /// Directory for shuffle files [default: a new temporary directory].
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

/// Run the executor until the process is stopped; `memory_limit` is the global --memory-limit.
#[cfg(feature = "cluster")]
pub async fn run(args: &ExecutorArgs, memory_limit: Option<usize>) -> Result<()> {
    use crate::cluster::{executor, Address, DEFAULT_SCHEDULER_PORT};
    if args.flight_port == args.grpc_port {
        return Err(super::usage(format!(
            "--flight-port and --grpc-port are both {}; give each service its own port",
            args.flight_port
        )));
    }
    let options = executor::ExecutorOptions {
        scheduler: Address::parse(&args.scheduler, DEFAULT_SCHEDULER_PORT, "scheduler")?,
        concurrency: args.concurrency.map(|n| n as usize),
        bind_host: args.bind.clone(),
        external_host: args.external_host.clone(),
        flight_port: args.flight_port,
        grpc_port: args.grpc_port,
        work_dir: args.work_dir.as_ref().map(|d| d.to_string_lossy().into_owned()),
        memory_limit,
    };
    executor::serve(&options).await
}

/// Without the `cluster` feature there is no executor to run.
#[cfg(not(feature = "cluster"))]
pub async fn run(_args: &ExecutorArgs, _memory_limit: Option<usize>) -> Result<()> {
    Err(crate::error::Error::NotBuilt { what: "chiso executor".into(), feature: "cluster" })
}
