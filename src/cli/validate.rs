//! `chiso validate`: check curated data or a warehouse.
use std::path::PathBuf;

use clap::Args;

use super::Cli;
use crate::error::{Error, Result};
use crate::ops::reports::ReportDirs;
use crate::ops::validate::{validate, Severity};
use crate::storage::datasets::Datasets;
use crate::storage::warehouse::Scratch;

/// Arguments of `chiso validate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Without --warehouse, checks the curated CSV (./datasets if present, else the built-in copy).\n\
    Exit code: 0 when there are only warnings, 1 on any error."
)]
pub struct ValidateArgs {
    /// The curated datasets directory to check [default: ./datasets if present, else the built-in data].
    #[arg(long, value_name = "DIR", conflicts_with = "warehouse")]
    datasets: Option<PathBuf>,
    /// A directory holding report texts named in sources.seed_file (repeat for more): every quote
    /// must occur in its report.
    #[arg(long, value_name = "DIR")]
    sources: Vec<PathBuf>,
}

pub async fn run(cli: &Cli, args: &ValidateArgs) -> Result<()> {
    let sources = ReportDirs::new(&args.sources)?;
    // A datasets directory is checked as the warehouse it builds; the built-in data is the
    // default warehouse already.
    let mut scratch = None;
    let warehouse = match Datasets::choose(args.datasets.as_deref()) {
        _ if cli.warehouse.is_some() => cli.warehouse.clone(),
        Datasets::Embedded => None,
        datasets => Some(scratch.insert(Scratch::build(&datasets).await?).path()),
    };
    let engine = cli.engine_over(warehouse).await?;
    let findings = validate(&engine, &sources).await?;
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    const SHOWN: usize = 100;
    for finding in findings.iter().take(SHOWN) {
        println!("{finding}");
    }
    if findings.len() > SHOWN {
        println!("... and {} more", findings.len() - SHOWN);
    }
    println!("{} errors, {} warnings", errors, findings.len() - errors);
    if errors > 0 {
        return Err(Error::Failed { check: "validation", summary: format!("{errors} errors") });
    }
    Ok(())
}
