//! `chiso serve`: the warehouse over the PostgreSQL wire protocol and Arrow Flight SQL.
use std::path::PathBuf;

use clap::Args;

use super::Cli;
use crate::error::{Error, Result};

/// The PostgreSQL port when `--pg` is given without one (5432 is left to a real PostgreSQL).
pub const DEFAULT_PG: &str = "127.0.0.1:5433";
/// The Flight SQL port when `--flight` is given without one (gRPC's usual port).
pub const DEFAULT_FLIGHT: &str = "127.0.0.1:50051";
/// The variable a password may come from, instead of --password-file.
#[cfg(feature = "serve")]
pub const PASSWORD_VARIABLE: &str = "CHISO_SERVE_PASSWORD";

/// Arguments of `chiso serve`.
#[derive(Debug, Args)]
#[command(after_help = "\
With neither --pg nor --flight, both are served on their default loopback addresses.
Per query: --timeout SECONDS (default 600 here, waiting for its turn included) and --memory-limit SIZE
(its own pool; it spills beyond it). At most --max-running queries run at once; others wait.
Writes (INSERT, DROP, CREATE, COPY, ...) are refused. Ctrl-C stops the server. See docs/serve.md.")]
pub struct ServeArgs {
    /// Serve the PostgreSQL wire protocol (psql, BI tools, ODBC) on HOST:PORT [default: 127.0.0.1:5433].
    #[arg(long, value_name = "HOST:PORT", num_args = 0..=1, default_missing_value = DEFAULT_PG)]
    pg: Option<String>,
    /// Serve Arrow Flight SQL (ADBC, notebooks) on HOST:PORT [default: 127.0.0.1:50051].
    #[arg(long, value_name = "HOST:PORT", num_args = 0..=1, default_missing_value = DEFAULT_FLIGHT)]
    flight: Option<String>,
    /// A file whose first line is the password clients must give (or set CHISO_SERVE_PASSWORD).
    /// Required to listen beyond loopback.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// How many queries may run at once; more wait their turn [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    max_running: Option<u16>,
    /// A directory of extra saved queries (NAME.sql), callable as table functions like the built-in ones.
    #[arg(long, value_name = "DIR")]
    queries: Option<PathBuf>,
}

/// The per-query time limit when --timeout is not given.
#[cfg(feature = "serve")]
pub const DEFAULT_TIMEOUT: u64 = 600;

#[cfg(feature = "serve")]
fn address(name: &'static str, text: &str) -> Result<std::net::SocketAddr> {
    use std::net::ToSocketAddrs;
    let found = text.to_socket_addrs().ok().and_then(|mut a| a.next());
    found.ok_or_else(|| Error::setting(name, text, "must be HOST:PORT, e.g. 127.0.0.1:5433 or 0.0.0.0:5433"))
}

#[cfg(feature = "serve")]
fn password(args: &ServeArgs) -> Result<Option<crate::serve::Secret>> {
    use crate::serve::Secret;
    let empty = |from: String| Error::setting("password_file", from, "the password is empty");
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read the password file", e))?;
        let first = text.lines().next().unwrap_or_default();
        return Secret::new(first).map(Some).ok_or_else(|| empty(path.display().to_string()));
    }
    match std::env::var(PASSWORD_VARIABLE) {
        Ok(text) => Secret::new(&text).map(Some).ok_or_else(|| empty(PASSWORD_VARIABLE.to_string())),
        Err(_) => Ok(None),
    }
}

/// Serve until Ctrl-C (or SIGTERM).
#[cfg(feature = "serve")]
pub async fn run(cli: &Cli, args: &ServeArgs) -> Result<()> {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::engine::config::{fit_to_memory, local_context, session_config};
    use crate::engine::limits::{limited, Limits};
    use crate::engine::saved::load_all;
    use crate::engine::{Engine, Local, Tables};
    use crate::serve::{postgres, serve, ServeOptions};

    let both = args.pg.is_none() && args.flight.is_none();
    let pick =
        |given: &Option<String>, default: &str| given.clone().or_else(|| both.then(|| default.to_string()));
    let options = ServeOptions {
        pg: pick(&args.pg, DEFAULT_PG).map(|a| address("pg", &a)).transpose()?,
        flight: pick(&args.flight, DEFAULT_FLIGHT).map(|a| address("flight", &a)).transpose()?,
        password: password(args)?,
    };
    let limits = Limits {
        timeout: Some(Duration::from_secs(cli.timeout.unwrap_or(DEFAULT_TIMEOUT))),
        memory: cli.memory_limit,
        running: Some(
            args.max_running
                .map(usize::from)
                .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(2)),
        ),
    };
    let mut config = session_config()?;
    if let Some(limit) = limits.memory {
        fit_to_memory(&mut config, limit);
    }
    let mut ctx = local_context(config, None)?;
    if options.pg.is_some() {
        postgres::prepare(&mut ctx)?;
    }
    let ctx = limited(ctx, limits);
    let tables =
        Tables { warehouse: cli.warehouse.clone(), extra: cli.tables.clone(), as_of: cli.as_of.clone() };
    let engine = Engine::new(ctx, Arc::new(Local), &tables).await?;
    if let Some(dir) = &args.queries {
        engine.add_saved_queries(&load_all(Some(dir))?);
    }
    let warehouse = engine.warehouse().display().to_string();
    let ready = |bound: &crate::serve::Bound| {
        eprintln!("chiso serve: the warehouse {warehouse}, read-only");
        if let Some(a) = bound.pg {
            eprintln!("  PostgreSQL  postgresql://{a}/chiso   (psql -h {} -p {})", a.ip(), a.port());
        }
        if let Some(a) = bound.flight {
            eprintln!("  Flight SQL  grpc://{a}");
        }
        let memory = limits.memory.map(|m| format!(", memory {m} bytes")).unwrap_or_default();
        let timeout = limits.timeout.map(|t| t.as_secs()).unwrap_or_default();
        let running = limits.running.unwrap_or_default();
        eprintln!(
            "  each query: at most {timeout} s{memory}; {running} run at once; Ctrl-C stops the server"
        );
    };
    serve(engine.context().clone(), &options, ready, stopped()?).await.map_err(|e| match e {
        Error::Setting { name, value, problem } if problem.contains("needs a password") => Error::Setting {
            name,
            value,
            problem: format!("{problem} (--password-file FILE or the {PASSWORD_VARIABLE} variable)"),
        },
        other => other,
    })?;
    eprintln!("chiso serve: stopped");
    Ok(())
}

/// A future that completes on Ctrl-C or SIGTERM. The handlers are installed now, before the
/// server says it is listening, so a signal sent as soon as it does is not lost.
#[cfg(feature = "serve")]
fn stopped() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let install = |kind| signal(kind).map_err(|e| Error::Internal(format!("cannot catch signals: {e}")));
    let (mut interrupt, mut terminate) =
        (install(SignalKind::interrupt())?, install(SignalKind::terminate())?);
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Without the `serve` feature there is no server to run.
#[cfg(not(feature = "serve"))]
pub async fn run(_cli: &Cli, _args: &ServeArgs) -> Result<()> {
    Err(Error::NotBuilt { what: "chiso serve".into(), feature: "serve" })
}
