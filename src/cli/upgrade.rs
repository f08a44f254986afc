//! `chiso upgrade`: make a warehouse written by chiso before Delta Lake a set of Delta tables.
use std::time::Duration;

use clap::Args;

use super::Cli;
use crate::error::{Error, Result};
use crate::storage::manifest::upgrade_warehouse;

/// Arguments of `chiso upgrade`.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Seconds to wait for another writer of the warehouse to finish.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    wait: u64,
}

pub async fn run(cli: &Cli, args: &UpgradeArgs) -> Result<()> {
    let Some(warehouse) = &cli.warehouse else {
        return Err(Error::Usage(
            "give the warehouse to upgrade with --warehouse DIR (the built-in one is rebuilt by chiso itself)"
                .into(),
        ));
    };
    let upgraded = upgrade_warehouse(warehouse, Duration::from_secs(args.wait)).await?;
    if upgraded.is_empty() {
        println!("{}: every table is already a Delta table", warehouse.display());
    } else {
        println!("{}: made Delta tables of {}", warehouse.display(), upgraded.join(", "));
    }
    Ok(())
}
