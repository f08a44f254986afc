//! `chiso generate`: a synthetic historical warehouse for benchmarks.
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;

use crate::error::Result;
use crate::ops::generate::{generate, GenerateOptions, Level};

/// Arguments of `chiso generate`.
#[derive(Debug, Args)]
#[command(after_help = "The default (3 years, 8 indicators, commune level) is about 88 million rows.\n\
The warehouse holds the reference tables too, and every saved query answers on it: a province's\n\
figures are derived from its communes (the table `figures`), and daily series are shown by month:\n  \
chiso generate --out bench-data/wh\n  chiso --warehouse bench-data/wh run latest_by_province\n  \
chiso --warehouse bench-data/wh run timeseries -p province=01")]
pub struct GenerateArgs {
    /// The warehouse directory to write.
    #[arg(long, short = 'o', value_name = "DIR")]
    out: PathBuf,
    /// Calendar years of daily figures.
    #[arg(long, default_value_t = 3)]
    years: u32,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value = "2022-01-01", value_parser = parse_date)]
    start: NaiveDate,
    /// Unit level.
    #[arg(long, value_enum, default_value_t = Level::Commune)]
    level: Level,
    /// How many indicators (1 to 8).
    #[arg(long, default_value_t = 8)]
    indicators: usize,
    /// Random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 6)]
    seed: u64,
    /// Rows per Parquet row group.
    #[arg(long, default_value_t = 262_144, value_parser = clap::value_parser!(u64).range(1024..))]
    row_group_size: u64,
    /// Replace an existing warehouse.
    #[arg(long)]
    overwrite: bool,
}

fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("{raw:?} is not a date written YYYY-MM-DD"))
}

pub async fn run(args: &GenerateArgs) -> Result<()> {
    let opts = GenerateOptions {
        out: args.out.clone(),
        years: args.years,
        start: args.start,
        level: args.level,
        indicators: args.indicators,
        seed: args.seed,
        row_group_size: args.row_group_size as usize,
        overwrite: args.overwrite,
    };
    let report = generate(&opts).await?;
    let secs = report.elapsed.as_secs_f64();
    println!(
        "generated {} rows into {} in {:.1} s ({:.2} M rows/s)",
        report.rows,
        args.out.display(),
        secs,
        report.rows as f64 / secs.max(1e-9) / 1e6
    );
    Ok(())
}
