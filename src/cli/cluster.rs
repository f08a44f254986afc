//! `chiso cluster local`: a whole Ballista cluster in this process, for trying `--cluster` out.
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::error::Result;

/// Arguments of `chiso cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    command: ClusterCommand,
}

#[derive(Debug, Subcommand)]
enum ClusterCommand {
    /// Start a scheduler and executors on this machine, print the --cluster URL, and run until Ctrl-C.
    ///
    /// They are the services `chiso scheduler` and `chiso executor` start, in one process, each
    /// executor on free loopback ports of its own. Queries from other terminals then run on them with
    /// `chiso --cluster URL ...`. With --memory-limit, the executors share it equally.
    Local(LocalArgs),
}

/// Arguments of `chiso cluster local`.
#[derive(Debug, Args)]
struct LocalArgs {
    /// How many executors to start.
    #[arg(long, default_value_t = 2, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    executors: u64,
    /// Tasks each executor runs at once.
    #[arg(long, default_value_t = 2, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    concurrency: u64,
    /// The scheduler's address; the executors listen on the same host.
    #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
    bind: String,
    /// A directory for the executors' shuffle files (a folder each) [default: temporary directories].
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

/// Run the cluster until Ctrl-C; `memory_limit` is the global --memory-limit, shared by the executors.
#[cfg(feature = "cluster")]
pub async fn run(args: &ClusterArgs, memory_limit: Option<usize>) -> Result<()> {
    use crate::cluster::{local, Address, DEFAULT_SCHEDULER_PORT};
    let ClusterCommand::Local(args) = &args.command;
    let executors = args.executors as usize;
    let options = local::LocalOptions {
        scheduler: Address::parse(&args.bind, DEFAULT_SCHEDULER_PORT, "bind")?,
        executors,
        concurrency: args.concurrency as usize,
        memory_limit: memory_limit.map(|m| m / executors),
        work_dir: args.work_dir.clone(),
    };
    let ready = |url: &str| {
        println!("--cluster {url}");
        eprintln!(
            "chiso cluster: a scheduler and {executors} executor(s) of {} task slots; run queries on them with \
             `chiso --cluster {url} query ...`; stop them with Ctrl-C",
            args.concurrency
        );
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    local::run(&options, ready, stop).await
}

/// Without the `cluster` feature there is no cluster to start.
#[cfg(not(feature = "cluster"))]
pub async fn run(_args: &ClusterArgs, _memory_limit: Option<usize>) -> Result<()> {
    Err(crate::error::Error::NotBuilt { what: "chiso cluster".into(), feature: "cluster" })
}
