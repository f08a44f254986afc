//! The command line, the top layer: argument definitions (clap), the session built from them
//! (here, at the edge: in this process or on a cluster), the dispatch to one module per
//! subcommand, and errors worded with flags ([`errors`]). Parsing stays here; the work lives in
//! the layers below. Subcommands: `build`, `chart`, `describe`, `executor`, `export`, `extract`,
//! `functions`, `generate`, `history`, `ingest`, `queries`, `query`, `report`, `run`, `scheduler`, `serve`,
//! `shell`, `tables`, `upgrade`, `validate`; `print` writes results as `--format` and `--out` say.
mod args;
mod build;
mod chart;
mod cluster;
mod describe;
pub mod errors;
mod executor;
mod export;
mod extract;
mod functions;
mod generate;
mod history;
mod ingest;
mod print;
mod queries;
mod query;
mod report;
mod run;
mod scheduler;
mod serve;
mod shell;
mod tables;
mod upgrade;
mod validate;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::engine::config::{local_context, one_partition_per_core, session_config};
use crate::engine::{Backend, Engine, Local, Tables};
use crate::error::{Error, Result};
use crate::ops::output::Format;
use crate::storage::delta::AsOf;

/// SQL over the indicator data of Vietnam's Đề án 06 (population data, e-ID, online public services).
///
/// chiso keeps reported figures as Delta Lake tables of Parquet files and runs DataFusion SQL over
/// them. With no --warehouse it uses the built-in curated data (the figures of 19 reports, the 63
/// legacy and 34 current provinces, the legacy districts and communes, the communes of 2025),
/// built on first use and cached.
#[derive(Debug, Parser)]
#[command(name = "chiso", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// A directory of Parquet tables (NAME.parquet files or NAME/ directories) to query instead of the built-in data.
    #[arg(long, global = true, env = "CHISO_WAREHOUSE", value_name = "DIR")]
    warehouse: Option<PathBuf>,

    /// Register one more table for this command: a Parquet, CSV or JSON file or directory.
    #[arg(long = "table", global = true, value_name = "NAME=PATH", value_parser = args::parse_table)]
    tables: Vec<(String, PathBuf)>,

    /// Cap the query engine's memory (e.g. 512M, 8G); sorts, joins and aggregations spill to disk beyond it.
    #[arg(long, global = true, value_name = "SIZE", value_parser = args::parse_size)]
    memory_limit: Option<usize>,

    /// Run the queries on a Ballista cluster: the scheduler at df://HOST:PORT (see docs/cluster.md).
    #[arg(long, global = true, env = "CHISO_CLUSTER", value_name = "df://HOST:PORT")]
    cluster: Option<String>,

    /// Stop with an error after this many seconds [default: 600 with --cluster (not in the shell), no limit otherwise].
    #[arg(long, global = true, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    timeout: Option<u64>,

    /// Read each warehouse table as it was at a version (a number) or a moment (2026-11-30, or 2026-11-30T08:00:00Z); `chiso history TABLE` lists versions.
    #[arg(long, global = true, value_name = "VERSION|TIME", value_parser = clap::value_parser!(AsOf))]
    as_of: Option<AsOf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run ad-hoc SQL: an argument, a file (-f) or standard input; several statements allowed.
    Query(query::QueryArgs),
    /// Run a saved query by name (`chiso run NAME --help` shows its parameters).
    #[command(disable_help_flag = true)]
    Run(run::RunArgs),
    /// List the saved queries with their descriptions.
    Queries(queries::QueriesArgs),
    /// List the tables with their row counts.
    Tables(OutputArgs),
    /// List the SQL functions chiso adds (Vietnamese numbers, periods, provinces), with examples.
    Functions,
    /// Show the columns and types of one table.
    Describe(describe::DescribeArgs),
    /// An interactive SQL prompt with history and multi-line statements.
    Shell,
    /// Compile the curated CSV datasets into a warehouse of Parquet tables.
    Build(build::BuildArgs),
    /// Find candidate observations in Vietnamese report texts, for review and ingest.
    Extract(extract::ExtractArgs),
    /// Generate a realistic synthetic history (daily figures for every commune) for benchmarks.
    Generate(generate::GenerateArgs),
    /// Add rows from CSV, JSON or Parquet files to a warehouse table, checked first, written atomically.
    Ingest(ingest::IngestArgs),
    /// List the versions of a warehouse table (for --as-of), newest first.
    History(history::HistoryArgs),
    /// Make a warehouse written by chiso before Delta Lake a set of Delta tables, in place.
    Upgrade(upgrade::UpgradeArgs),
    /// Write a query's result to Parquet, CSV or JSON: streamed, optionally partitioned, atomic.
    Export(export::ExportArgs),
    /// Draw a saved query's or an SQL result as a line or bar chart (SVG or PNG).
    Chart(chart::ChartArgs),
    /// Write the headline saved queries as one self-contained HTML page of tables and charts.
    Report(report::ReportArgs),
    /// Check curated data or a warehouse: keys, required fields, ranges, sums, rates and quotes.
    Validate(validate::ValidateArgs),
    /// Serve the warehouse, read-only, over PostgreSQL and Arrow Flight SQL (built with --features serve).
    Serve(serve::ServeArgs),
    /// Run the scheduler of a Ballista cluster that knows chiso's functions (built with --features cluster).
    Scheduler(scheduler::SchedulerArgs),
    /// Run one executor of a Ballista cluster that knows chiso's functions (built with --features cluster).
    Executor(executor::ExecutorArgs),
    /// Start a whole cluster on this machine to try --cluster out: `chiso cluster local` (built with --features cluster).
    Cluster(cluster::ClusterArgs),
}

impl Command {
    /// Whether this command writes a warehouse (and so cannot read the past).
    fn writes(&self) -> bool {
        matches!(self, Command::Build(_) | Command::Generate(_) | Command::Ingest(_) | Command::Upgrade(_))
    }

    /// Whether this command is a service, which runs until stopped (its --timeout, if any, is per query).
    fn is_service(&self) -> bool {
        matches!(self, Command::Scheduler(_) | Command::Executor(_) | Command::Cluster(_) | Command::Serve(_))
    }
}

/// How and where results are written.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal, csv otherwise, or from the --out file's extension].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the result to this file instead of standard output (replaced atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
}

impl Cli {
    /// The session the query commands run in, over `--warehouse`.
    async fn engine(&self) -> Result<Engine> {
        self.engine_over(self.warehouse.clone()).await
    }

    /// The session over `warehouse` (the built-in data when `None`) and the `--table`s. Its
    /// context is made here, at the edge: in this process, or on the cluster `--cluster` names.
    async fn engine_over(&self, warehouse: Option<PathBuf>) -> Result<Engine> {
        let mut config = session_config()?;
        let (ctx, backend): (SessionContext, Arc<dyn Backend>) = match &self.cluster {
            Some(url) => {
                one_partition_per_core(&mut config);
                cluster_context(url, config).await?
            }
            None => (local_context(config, self.memory_limit)?, Arc::new(Local)),
        };
        let tables = Tables { warehouse, extra: self.tables.clone(), as_of: self.as_of.clone() };
        Engine::new(ctx, backend, &tables).await
    }
}

/// A context on the Ballista cluster at `url`, and its backend.
#[cfg(feature = "cluster")]
async fn cluster_context(url: &str, config: SessionConfig) -> Result<(SessionContext, Arc<dyn Backend>)> {
    crate::cluster::client::connect(url, config).await
}

/// Without the `cluster` feature there is no cluster to connect to.
#[cfg(not(feature = "cluster"))]
async fn cluster_context(url: &str, _config: SessionConfig) -> Result<(SessionContext, Arc<dyn Backend>)> {
    Err(Error::NotBuilt { what: format!("--cluster {url}"), feature: "cluster" })
}

async fn dispatch(cli: Cli) -> Result<()> {
    if matches!(cli.command, Command::Serve(_)) && cli.cluster.is_some() {
        return Err(usage(
            "chiso serve runs its queries in this process; serving a cluster (--cluster or CHISO_CLUSTER) \
             is not supported yet: leave it out, or unset CHISO_CLUSTER",
        ));
    }
    if cli.command.is_service() && cli.cluster.is_some() {
        return Err(usage(
            "--cluster (or the CHISO_CLUSTER variable) is for the commands that run queries, not for \
             the cluster's own services: leave it out, or unset CHISO_CLUSTER, to start one",
        ));
    }
    if cli.as_of.is_some() && cli.command.writes() {
        return Err(usage(
            "--as-of reads tables as they were; build, generate, ingest and upgrade write their latest \
             version: leave --as-of out",
        ));
    }
    match &cli.command {
        Command::Query(args) => query::run(&cli, args).await,
        Command::Run(args) => run::run(&cli, args).await,
        Command::Queries(args) => queries::run(args),
        Command::Tables(out) => tables::run(&cli, out).await,
        Command::Functions => functions::run(),
        Command::Describe(args) => describe::run(&cli, args).await,
        Command::Shell => shell::run(&cli).await,
        Command::Build(args) => build::run(args).await,
        Command::Validate(args) => validate::run(&cli, args).await,
        Command::Ingest(args) => ingest::run(&cli, args).await,
        Command::History(args) => history::run(&cli, args).await,
        Command::Upgrade(args) => upgrade::run(&cli, args).await,
        Command::Export(args) => export::run(&cli, args).await,
        Command::Extract(args) => extract::run(args),
        Command::Generate(args) => generate::run(args).await,
        Command::Chart(args) => chart::run(&cli, args).await,
        Command::Report(args) => report::run(&cli, args).await,
        Command::Serve(args) => serve::run(&cli, args).await,
        Command::Scheduler(args) => scheduler::run(args).await,
        Command::Executor(args) => executor::run(args, cli.memory_limit).await,
        Command::Cluster(args) => cluster::run(args, cli.memory_limit).await,
    }
}

/// Parse the command line, run the command and return the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    report_panics_as_errors();
    // Planning and (de)serialising deep plans recurses deeply, more so in debug builds: a cluster
    // scheduler overflowed tokio's default 2 MiB worker stack. The stack is reserved, not used.
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(16 << 20).build() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("error: cannot start the query runtime: {e}");
                return 1;
            }
        };
    let on_cluster = cli.cluster.is_some();
    let result = match time_limit(&cli) {
        None => runtime.block_on(dispatch(cli)),
        Some(limit) => runtime.block_on(async move {
            tokio::time::timeout(limit, dispatch(cli))
                .await
                .unwrap_or_else(|_| Err(Error::Timeout { seconds: limit.as_secs() }))
        }),
    };
    ANSWERED.store(true, Ordering::SeqCst);
    match &result {
        // Let the runtime's threads end before the process does: a thread still ending while
        // the process exited raced the allocator's clean-up at exit (a rare signal after
        // complete output).
        Ok(()) => runtime.shutdown_timeout(Duration::from_secs(5)),
        // Work a failure left running (a query past its time limit, the other half of a planning
        // step) is not waited for: cancelled under a thread still blocked on it, it would panic.
        Err(_) => runtime.shutdown_background(),
    }
    match result {
        Ok(()) => 0,
        Err(e) => {
            let mut message = errors::render(&e);
            if matches!(e, Error::Timeout { .. }) {
                message.push_str(" (--timeout)");
                if on_cluster {
                    message.push_str(
                        "; check that the cluster's executors are running (`chiso executor --scheduler HOST:PORT`), \
                         or give a longer --timeout for a long query",
                    );
                }
            }
            eprintln!("error: {message}");
            e.exit_code()
        }
    }
}

/// A panic, on any thread, is printed as one `error: internal error: ...` line asking for a report,
/// instead of Rust's message and backtrace note; the process then ends as the panic would.
fn report_panics_as_errors() {
    std::panic::set_hook(Box::new(|info| {
        if ANSWERED.load(Ordering::SeqCst) {
            // Work the runtime cancelled as it shut down, after the command's outcome was known.
            return;
        }
        let mut e = Error::panicked("a chiso thread", info.payload());
        if let (Error::Internal(text), Some(at)) = (&mut e, info.location()) {
            text.push_str(&format!(" (at {}:{})", at.file(), at.line()));
        }
        eprintln!("error: {e}");
    }));
}

/// Set once the command's outcome is known: a panic after that comes from work the runtime
/// cancelled at shutdown (a detached task blocked on a cancelled one), which changes nothing.
static ANSWERED: AtomicBool = AtomicBool::new(false);

/// How long the command may run: --timeout, or 10 minutes for a command (not the shell) on a
/// cluster, where a lost executor could otherwise leave the client waiting.
fn time_limit(cli: &Cli) -> Option<Duration> {
    if cli.command.is_service() {
        return None;
    }
    // An interactive shell is not cut off unless asked: the person at it decides how long it stays.
    let default = cli.cluster.as_ref().filter(|_| !matches!(cli.command, Command::Shell)).map(|_| 600);
    let seconds = cli.timeout.or(default)?;
    Some(Duration::from_secs(seconds))
}

/// Turn a usage problem found after parsing into an [`Error::Usage`].
fn usage(message: impl Into<String>) -> Error {
    Error::Usage(message.into())
}
