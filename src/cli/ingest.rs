//! `chiso ingest`: add checked rows to a warehouse table.
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{usage, Cli};
use crate::error::Result;
use crate::ops::ingest::{ingest, IngestOptions};
use crate::ops::reports::ReportDirs;

/// Arguments of `chiso ingest`.
#[derive(Debug, Args)]
#[command(
    after_help = "The target table is recognised from the columns (observations, indicators, sources or a \
reference table), or forced with --into.\nEverything is checked before anything is written; a bad input is rejected \
whole with every problem listed as file:line: column: reason; with --rejects FILE, rows with problems of their own are \
written to FILE with their reasons (columns rejected_at and reasons, which ingest ignores: mend them and ingest FILE \
again) and the rest are ingested.\nRe-ingesting rows whose key (obs_id, code, source_id) \
is already there is rejected; with --upsert those rows are replaced instead, so running the same file twice is a no-op.\n\n\
Examples:\n  chiso --warehouse wh ingest new.csv --sources ../shared/seeds --sources ../shared/reports\n  \
chiso --warehouse wh ingest candidates/*.csv --rejects rejected.csv"
)]
pub struct IngestArgs {
    /// CSV, JSON/NDJSON, Excel .xlsx (its first sheet, first row the header) or Parquet files
    /// with the columns of one table.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// The table to add to, instead of the one the columns name.
    #[arg(long, value_name = "TABLE")]
    into: Option<String>,
    /// Replace rows whose key is already in the warehouse instead of rejecting them.
    #[arg(long)]
    upsert: bool,
    /// How long to wait for another writer to finish, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    wait: u64,
    /// A directory of report texts (repeat for more): new quotes must occur in their report (as
    /// `validate --sources`).
    #[arg(long, value_name = "DIR")]
    sources: Vec<PathBuf>,
    /// Ingest the rows that pass every check and write the others, each with its reasons, to
    /// this CSV file (default: a bad row rejects the whole input).
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
}

pub async fn run(cli: &Cli, args: &IngestArgs) -> Result<()> {
    let Some(warehouse) = &cli.warehouse else {
        return Err(usage(
            "ingest writes to a warehouse of yours: pass --warehouse DIR (or set CHISO_WAREHOUSE); \
             `chiso build --out DIR` creates one from the curated data",
        ));
    };
    let options = IngestOptions {
        files: args.files.clone(),
        into: args.into.clone(),
        upsert: args.upsert,
        wait: Duration::from_secs(args.wait),
        sources: ReportDirs::new(&args.sources)?,
        rejects: args.rejects.clone(),
    };
    if let Some(r) = args.rejects.as_ref().filter(|r| args.files.iter().any(|f| same_file(f, r))) {
        return Err(usage(format!(
            "--rejects {}: that is one of the input files; name a new file for the rows set aside",
            r.display()
        )));
    }
    let report = ingest(warehouse, &options).await?;
    for w in &report.warnings {
        println!("{w}");
    }
    let replaced = if report.replaced > 0 {
        format!(" ({} replaced existing rows)", report.replaced)
    } else {
        String::new()
    };
    let noun = if report.rows == 1 { "row" } else { "rows" };
    println!("ingested {} {noun} into {} in {}{replaced}", report.rows, report.table, warehouse.display());
    if report.version > 0 {
        println!("table {} is now at version {}", report.table, report.version);
    }
    if let Some(path) = &args.rejects {
        let noun = if report.rejected == 1 { "row" } else { "rows" };
        println!("set aside {} {noun}, with their reasons, in {}", report.rejected, path.display());
    }
    Ok(())
}

/// Whether two paths name one file (the second may not exist yet).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
