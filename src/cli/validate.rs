//! `chiso validate`: check curated data or a warehouse.
use std::path::PathBuf;

use clap::Args;

use super::build::choose_datasets;
use super::Cli;
use crate::data::build::build_warehouse;
use crate::data::datasets::Datasets;
use crate::data::validate::{validate, Severity};
use crate::engine::{Engine, EngineOptions};
use crate::error::{Error, Result};

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
    /// A directory holding the report texts named in sources.seed_file: every quote must occur in its report.
    #[arg(long, value_name = "DIR")]
    sources: Option<PathBuf>,
}

pub async fn run(cli: &Cli, args: &ValidateArgs) -> Result<()> {
    if let Some(dir) = &args.sources {
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "--sources {}: not a directory of report texts",
                dir.display()
            )));
        }
    }
    let scratch;
    let options = if cli.warehouse.is_some() {
        cli.engine_options()
    } else {
        let datasets = choose_datasets(args.datasets.as_deref());
        match &datasets {
            Datasets::Embedded => EngineOptions { warehouse: None, ..cli.engine_options() },
            Datasets::Dir(_) => {
                scratch = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), "write to", e))?;
                let dir = scratch.path().join("warehouse");
                build_warehouse(&datasets, &dir, true).await?;
                EngineOptions { warehouse: Some(dir), ..cli.engine_options() }
            }
        }
    };
    let engine = Engine::open(&options).await?;
    let findings = validate(&engine, args.sources.as_deref()).await?;
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
        return Err(Error::Data(format!("validation failed with {errors} errors")));
    }
    Ok(())
}
