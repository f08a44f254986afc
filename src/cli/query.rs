//! `chiso query`: ad-hoc SQL.
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::Args;

use super::print::print_results;
use super::{usage, Cli, OutputArgs};
use crate::error::{Error, Result};

/// Arguments of `chiso query`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  chiso query \"select count(*) from observations\"\n  \
    chiso query -f analysis.sql --format csv --out result.csv\n  echo \"select * from sources\" | chiso query")]
pub struct QueryArgs {
    /// The SQL to run (one or more statements separated by `;`).
    #[arg(value_name = "SQL", conflicts_with = "file")]
    sql: Option<String>,
    /// Read the SQL from this file.
    #[arg(long, short = 'f', value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(cli: &Cli, args: &QueryArgs) -> Result<()> {
    let sql = match (&args.sql, &args.file) {
        (Some(sql), _) => sql.clone(),
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", e))?,
        (None, None) if !std::io::stdin().is_terminal() => {
            let mut sql = String::new();
            std::io::stdin().read_to_string(&mut sql).map_err(|e| Error::io("standard input", "read", e))?;
            sql
        }
        (None, None) => {
            return Err(usage("no SQL given: pass it as an argument, with -f FILE, or on standard input"))
        }
    };
    if sql.trim().is_empty() {
        return Err(usage("no SQL given (the SQL text is empty): pass it as an argument, with -f FILE, or on standard input"));
    }
    let engine = cli.engine().await?;
    let results = engine.sql(&sql).await?;
    print_results(&args.out, &results)
}
