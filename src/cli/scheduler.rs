//! `chiso scheduler`: the Ballista scheduler of a chiso cluster.
use clap::Args;

use crate::error::Result;

/// Arguments of `chiso scheduler`.
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// The address to listen on for clients (`--cluster df://HOST:PORT`) and executors.
    #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
    bind: String,
    /// The host name executors and clients use to reach this scheduler [default: the --bind host].
    #[arg(long, value_name = "HOST")]
    external_host: Option<String>,
    /// Seconds without a heartbeat after which an executor counts as lost and its tasks run elsewhere.
    #[arg(long, default_value_t = 20, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(2..))]
    executor_timeout: u64,
}

/// Run the scheduler until the process is stopped.
#[cfg(feature = "cluster")]
pub async fn run(args: &SchedulerArgs) -> Result<()> {
    use crate::cluster::{scheduler, Address, DEFAULT_SCHEDULER_PORT};
    let options = scheduler::SchedulerOptions {
        bind: Address::parse(&args.bind, DEFAULT_SCHEDULER_PORT, "bind")?,
        external_host: args.external_host.clone(),
        executor_timeout: args.executor_timeout,
    };
    scheduler::serve(&options).await
}

/// Without the `cluster` feature there is no scheduler to run.
#[cfg(not(feature = "cluster"))]
pub async fn run(_args: &SchedulerArgs) -> Result<()> {
    Err(crate::error::Error::NotBuilt { what: "chiso scheduler".into(), feature: "cluster" })
}
