//! `chiso run`: a saved query with parameters.
use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory};

use super::print::print_results;
use super::{usage, Cli, OutputArgs};
use crate::engine::saved::{find, load_all, SavedQuery};
use crate::error::Result;

/// Arguments of `chiso run`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  chiso run latest_by_province --param indicator=eid_accounts")]
pub struct RunArgs {
    /// The saved query's name (`chiso queries` lists them).
    #[arg(value_name = "NAME")]
    name: Option<String>,
    /// A parameter value; repeat for several.
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE", value_parser = super::args::parse_param)]
    params: Vec<(String, String)>,
    /// A directory of extra saved queries (NAME.sql) beside the built-in ones.
    #[arg(long, env = "CHISO_QUERIES", value_name = "DIR")]
    pub queries: Option<PathBuf>,
    /// Print help (with a NAME: the saved query's description and parameters).
    #[arg(long, short = 'h', action = ArgAction::SetTrue)]
    help: bool,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(cli: &Cli, args: &RunArgs) -> Result<()> {
    let all = load_all(args.queries.as_deref())?;
    let Some(name) = &args.name else {
        if args.help {
            let mut cmd = Cli::command();
            if let Some(run) = cmd.find_subcommand_mut("run") {
                print!("{}", run.render_long_help());
            }
            return Ok(());
        }
        return Err(usage("which saved query? `chiso run NAME`; `chiso queries` lists them"));
    };
    let query = find(&all, name)?;
    if args.help {
        print!("{}", help(query));
        return Ok(());
    }
    let engine = cli.engine().await?;
    let result = engine.run_saved(query, &args.params).await?;
    if result.num_rows() == 0 {
        if let Some(why) = engine.why_empty(query, &args.params).await {
            eprintln!("note: {why}");
        }
    }
    print_results(&args.out, &[result])
}

/// A saved query's header as the text of `chiso run NAME --help`.
fn help(query: &SavedQuery) -> String {
    let mut out = format!("{}\n\n{}\n", query.name, query.description);
    if query.params.is_empty() {
        out.push_str("\nParameters: none\n");
    } else {
        out.push_str("\nParameters (--param NAME=VALUE):\n");
        for p in &query.params {
            let default = match &p.default {
                Some(d) => format!("default {d}"),
                None => "required".to_string(),
            };
            let mut about = p.help.clone();
            if !p.choices.is_empty() {
                about.push_str(&format!(" (one of: {})", p.choices.join(", ")));
            }
            out.push_str(&format!("  {:<16} {:<6} {:<28} {about}\n", p.name, p.ty.to_string(), default));
        }
    }
    out
}
