//! `chiso build`: compile curated CSV to a Parquet warehouse.
use std::path::{Path, PathBuf};

use clap::Args;

use crate::data::build::build_warehouse;
use crate::data::datasets::Datasets;
use crate::data::manifest::MANIFEST;
use crate::error::{Error, Result};

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

/// The datasets a command should read: `--datasets DIR`, else `./datasets` if present, else the embedded copy.
pub fn choose_datasets(dir: Option<&Path>) -> Datasets {
    match dir {
        Some(d) => Datasets::Dir(d.to_path_buf()),
        None if Path::new("datasets/observations").is_dir() => Datasets::Dir(PathBuf::from("datasets")),
        None => Datasets::Embedded,
    }
}

/// True when `dir` holds nothing but tables (Parquet files, or directories with a manifest), so
/// replacing it loses nothing else.
fn is_warehouse(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|e| {
        let path = e.path();
        path.extension().is_some_and(|x| x == "parquet") || path.join(MANIFEST).is_file()
    })
}

pub async fn run(args: &BuildArgs) -> Result<()> {
    if args.out.exists() && !(args.out.is_dir() && is_warehouse(&args.out)) {
        return Err(Error::Usage(format!(
            "--out {} already exists and is not a chiso warehouse; choose a new directory or remove it first",
            args.out.display()
        )));
    }
    let datasets = choose_datasets(args.datasets.as_deref());
    let counts = build_warehouse(&datasets, &args.out, true).await?;
    let from = match &datasets {
        Datasets::Dir(d) => d.display().to_string(),
        Datasets::Embedded => "the built-in datasets".to_string(),
    };
    println!("built {} from {from}:", args.out.display());
    for (table, rows) in counts {
        println!("  {table:<20} {rows:>7} rows");
    }
    Ok(())
}
