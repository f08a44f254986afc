//! `chiso export`: a saved query's or some SQL's result to files.
use std::path::PathBuf;

use clap::Args;

use super::Cli;
use crate::engine::saved::{find, load_all};
use crate::error::{Error, Result};
use crate::ops::export::{export, Compression, ExportOptions};
use crate::ops::output::Format;
use crate::progress::human_bytes;
use crate::storage::files::check_free;

/// Arguments of `chiso export`.
#[derive(Debug, Args)]
#[command(
    after_help = "The output appears complete or not at all (written under a temporary name, then renamed).\n\
Results are streamed: with --memory-limit, sorts and joins spill to disk instead of growing.\n\n\
Examples:\n  chiso export --query latest_by_province -p indicator=eid_accounts --out latest.parquet\n  \
chiso --warehouse big export --sql \"select * from observations\" --partition-by indicator,province_code --out extract/"
)]
pub struct ExportArgs {
    /// A saved query to export (`chiso queries` lists them).
    #[arg(long, value_name = "NAME", conflicts_with = "sql", required_unless_present = "sql")]
    query: Option<String>,
    /// A parameter of the saved query; repeat for several.
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE", value_parser = super::args::parse_param)]
    params: Vec<(String, String)>,
    /// SQL to export instead of a saved query (one statement).
    #[arg(long, value_name = "SQL")]
    sql: Option<String>,
    /// Output file; a directory with --partition-by or --format delta (an existing Delta table is
    /// given a new version with --overwrite, its history kept).
    #[arg(long, short = 'o', value_name = "PATH")]
    out: PathBuf,
    /// Output format [default: from the --out extension, else parquet].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write hive-style directories (col=value/...) by these columns, comma-separated.
    #[arg(long, value_name = "COL[,COL]", value_delimiter = ',')]
    partition_by: Vec<String>,
    /// Parquet compression [default: zstd for Parquet and Delta, none otherwise].
    #[arg(long, value_enum)]
    compression: Option<Compression>,
    /// Rows per Parquet row group.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    row_group_size: Option<u64>,
    /// Replace an existing output.
    #[arg(long)]
    overwrite: bool,
    /// A directory of extra saved queries (NAME.sql).
    #[arg(long, env = "CHISO_QUERIES", value_name = "DIR")]
    queries: Option<PathBuf>,
}

pub async fn run(cli: &Cli, args: &ExportArgs) -> Result<()> {
    let format = args.format.or_else(|| Format::from_path(&args.out)).unwrap_or(Format::Parquet);
    let compression = args.compression.unwrap_or(if matches!(format, Format::Parquet | Format::Delta) {
        Compression::Zstd
    } else {
        Compression::None
    });
    let options = ExportOptions {
        out: args.out.clone(),
        format,
        partition_by: args.partition_by.clone(),
        compression,
        row_group_size: args.row_group_size.map(|n| n as usize),
        overwrite: args.overwrite,
    };
    // Refuse early (before any query work) when the output is taken.
    check_free(&options.out, options.overwrite)?;
    let engine = cli.engine().await?;
    let df = match (&args.query, &args.sql) {
        (Some(name), _) => {
            let all = load_all(args.queries.as_deref())?;
            engine.saved_dataframe(find(&all, name)?, &args.params).await?
        }
        (None, Some(sql)) => {
            if !args.params.is_empty() {
                return Err(Error::Usage("--param goes with --query, not --sql".into()));
            }
            engine.dataframe(sql).await?
        }
        (None, None) => return Err(Error::Usage("give --query NAME or --sql SQL".into())),
    };
    let report = export(df, &options).await.map_err(|e| engine.explain_error(e))?;
    println!("wrote {} rows ({}) to {}", report.rows, human_bytes(report.bytes), options.out.display());
    Ok(())
}
