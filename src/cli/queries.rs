//! `chiso queries`: list the saved queries.
use std::path::PathBuf;

use clap::Args;

use crate::engine::saved::load_all;
use crate::error::Result;

/// Arguments of `chiso queries`.
#[derive(Debug, Args)]
pub struct QueriesArgs {
    /// A directory of extra saved queries (NAME.sql) beside the built-in ones.
    #[arg(long, env = "CHISO_QUERIES", value_name = "DIR")]
    queries: Option<PathBuf>,
}

pub fn run(args: &QueriesArgs) -> Result<()> {
    let all = load_all(args.queries.as_deref())?;
    let width = all.iter().map(|q| q.name.len()).max().unwrap_or(0);
    for q in &all {
        let params: Vec<String> = q
            .params
            .iter()
            .map(|p| if p.default.is_some() { format!("[{}]", p.name) } else { p.name.clone() })
            .collect();
        println!("{:<width$}  {}", q.name, q.description);
        if !params.is_empty() {
            println!("{:<width$}  params: {}", "", params.join(" "));
        }
    }
    Ok(())
}
