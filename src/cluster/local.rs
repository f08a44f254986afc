//! `chiso cluster local`: a scheduler and executors in this one process, on loopback ports, for
//! trying the cluster out without starting each service by hand. They are the same
//! [`scheduler::serve`](super::scheduler::serve) and [`executor::serve`](super::executor::serve)
//! as on real machines, each on ports of its own; all stop together.
use std::net::TcpListener;

use tokio::task::JoinSet;

use super::executor::{self, ExecutorOptions};
use super::scheduler::{self, SchedulerOptions};
use super::Address;
use crate::error::{Error, Result};

/// How long the executors wait for the scheduler of the same process to listen.
const READY: std::time::Duration = std::time::Duration::from_secs(30);

/// What to start.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// The scheduler's address (on this machine).
    pub scheduler: Address,
    /// How many executors.
    pub executors: usize,
    /// Task slots of each executor.
    pub concurrency: usize,
    /// Memory of each executor, in bytes.
    pub memory_limit: Option<usize>,
    /// A directory for the executors' shuffle files (one folder each); default: temporary ones.
    pub work_dir: Option<std::path::PathBuf>,
}

/// Start the scheduler and the executors, call `ready` with the `--cluster` URL once the
/// executors are starting, and run until `stop` completes (or a service fails, whose error is
/// returned).
pub async fn run(
    options: &LocalOptions,
    ready: impl FnOnce(&str),
    stop: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let scheduler =
        SchedulerOptions { bind: options.scheduler.clone(), external_host: None, executor_timeout: 20 };
    // Checked here too, before anything starts: `reachable` below would take whatever already
    // listens at the address for this scheduler.
    scheduler::free_address(&options.scheduler)?;
    let mut services = JoinSet::new();
    services.spawn(async move { scheduler::serve(&scheduler).await });
    if let Err(why) = super::reachable(&options.scheduler, READY).await {
        services.abort_all();
        return Err(first_error(&mut services).await.unwrap_or_else(|| Error::Cluster {
            message: format!(
                "the scheduler did not listen on {} within {} s ({why})",
                options.scheduler,
                READY.as_secs()
            ),
            source: None,
        }));
    }
    let ports = free_ports(&options.scheduler.host, 2 * options.executors)?;
    for (i, pair) in ports.chunks(2).enumerate() {
        let work_dir = options.work_dir.as_ref().map(|d| d.join(format!("executor-{}", i + 1)));
        if let Some(dir) = &work_dir {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", e))?;
        }
        let executor = ExecutorOptions {
            scheduler: options.scheduler.clone(),
            concurrency: Some(options.concurrency),
            bind_host: options.scheduler.host.clone(),
            external_host: None,
            flight_port: pair[0],
            grpc_port: pair[1],
            work_dir: work_dir.map(|d| d.to_string_lossy().into_owned()),
            memory_limit: options.memory_limit,
        };
        services.spawn(async move { executor::serve(&executor).await });
    }
    ready(&format!("df://{}", options.scheduler));
    let result = tokio::select! {
        () = stop => Ok(()),
        failed = first_error(&mut services) => failed.map_or(Ok(()), Err),
    };
    services.abort_all();
    result
}

/// The first service to end with an error (a service that ends at all has failed: each runs until
/// stopped), or `None` once every service has ended without one.
async fn first_error(services: &mut JoinSet<Result<()>>) -> Option<Error> {
    while let Some(ended) = services.join_next().await {
        match ended {
            Ok(Err(e)) => return Some(e),
            Ok(Ok(())) => {}
            Err(e) if e.is_panic() => return Some(Error::panicked("a cluster service", &*e.into_panic())),
            Err(_) => {}
        }
    }
    None
}

/// `n` different ports free on `host` now (each is held until all are chosen, so none repeats).
fn free_ports(host: &str, n: usize) -> Result<Vec<u16>> {
    let held = (0..n)
        .map(|_| TcpListener::bind((host, 0)))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::setting("bind", host, format!("cannot listen there: {e}")))?;
    held.iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::setting("bind", host, e.to_string()))
}
