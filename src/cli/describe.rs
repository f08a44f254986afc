//! `chiso describe`: the columns of one table.
use clap::Args;

use super::print::print_results;
use super::{Cli, OutputArgs};
use crate::error::{Error, Result, Thing};

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
        return Err(Error::NotFound {
            kind: Thing::Table,
            name: args.table.clone(),
            candidates: names,
            within: format!("the warehouse {}", engine.warehouse().display()),
            setting: None,
        });
    }
    let rows = engine.row_count(&args.table).await?;
    let results = engine.sql(&format!("DESCRIBE \"{}\"", args.table)).await?;
    if args.out.out.is_none() && args.out.resolved_format() == crate::ops::output::Format::Table {
        println!("{}: {rows} rows", args.table);
    }
    print_results(&args.out, &results)
}
