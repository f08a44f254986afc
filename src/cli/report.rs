//! `chiso report`: the headline saved queries as one self-contained HTML page.
use std::path::PathBuf;

use clap::Args;

use super::{usage, Cli};
use crate::error::Result;
use crate::ops::chart::Locale;
use crate::storage::files::write_file;

/// Arguments of `chiso report`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  chiso report --out report.html --locale vi")]
pub struct ReportArgs {
    /// The page to write (replaced atomically); it needs nothing else to open.
    #[arg(long, short = 'o', value_name = "FILE.html")]
    out: PathBuf,
    /// Number convention of tables and charts: `vi` writes 1.494.541 and 99,68.
    #[arg(long, value_enum, default_value = "en")]
    locale: Locale,
    /// The page's title.
    #[arg(long, value_name = "TEXT", default_value = "Đề án 06: headline indicators")]
    title: String,
}

pub async fn run(cli: &Cli, args: &ReportArgs) -> Result<()> {
    let html_ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    if !html_ext {
        return Err(usage(format!(
            "--out {}: the report is an HTML page; name it FILE.html",
            args.out.display()
        )));
    }
    let engine = cli.engine().await?;
    let page = crate::ops::report::render(&engine, args.locale, &args.title).await?;
    write_file(&args.out, page.as_bytes())?;
    eprintln!("wrote {} ({} KB)", args.out.display(), page.len() / 1024);
    Ok(())
}
