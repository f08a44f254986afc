//! `chiso describe`: the columns of one table.
use clap::Args;

use super::print::print_results;
use super::tables::row_count;
use super::{Cli, OutputArgs};
use crate::error::{Error, Result};
use crate::util::closest;

/// Arguments of `chiso describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The table to describe (`chiso tables` lists them).
    table: String,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(cli: &Cli, args: &DescribeArgs) -> Result<()> {
    let engine = cli.engine().await?;
    let names = engine.table_names();
    if !names.contains(&args.table) {
        let hint = closest(&args.table, names.iter().map(|s| s.as_str()))
            .map(|c| format!(" Did you mean {c}?"))
            .unwrap_or_default();
        return Err(Error::Data(format!(
            "no table named {}.{hint} Tables: {}.",
            args.table,
            names.join(", ")
        )));
    }
    let rows = row_count(&engine, &args.table).await?;
    let results = engine.sql(&format!("DESCRIBE \"{}\"", args.table)).await?;
    if args.out.out.is_none() && args.out.resolved_format() == crate::output::Format::Table {
        println!("{}: {rows} rows", args.table);
    }
    print_results(&args.out, &results)
}
