//! `chiso build`: compile curated CSV to a Parquet warehouse.
use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::storage::build::build_warehouse;
use crate::storage::datasets::Datasets;
use crate::storage::files::IfExists;
use crate::storage::warehouse::is_warehouse;

/// Arguments of `chiso build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The curated datasets directory [default: ./datasets if present, else the data built into chiso].
    #[arg(long, value_name = "DIR")]
    datasets: Option<PathBuf>,
    /// Where to write the warehouse (replaced whole when the build succeeds).
    #[arg(long, default_value = "warehouse", value_name = "DIR")]
    out: PathBuf,
}

pub async fn run(args: &BuildArgs) -> Result<()> {
    if args.out.exists() && !(args.out.is_dir() && is_warehouse(&args.out)) {
        return Err(Error::Usage(format!(
            "--out {} already exists and is not a chiso warehouse; choose a new directory or remove it first",
            args.out.display()
        )));
    }
    let datasets = Datasets::choose(args.datasets.as_deref());
    let counts = build_warehouse(&datasets, &args.out, IfExists::Replace).await?;
    println!("built {} from {}:", args.out.display(), datasets.describe());
    for (table, rows) in counts {
        println!("  {table:<20} {rows:>7} rows");
    }
    Ok(())
}
