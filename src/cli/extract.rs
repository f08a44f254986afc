//! `chiso extract`: candidate observations from report texts, and `--eval` on the seed reports.
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Args;

use super::print::print_results;
use super::{usage, OutputArgs};
use crate::error::{Error, Result};
use crate::ops::extract::eval::{builtin_sources, evaluate, BuiltinSource, TARGETS};
use crate::ops::extract::{extract, to_result, ReportHints};
use crate::storage::reference::reference;

/// Arguments of `chiso extract`.
#[derive(Debug, Args)]
#[command(
    after_help = "Output: the observations columns plus confidence (of the indicator), start_byte and end_byte \
(where the figure stands in the report) and review (why a row needs more than the usual check: a period that \
cannot be known, left empty rather than guessed). Review the rows (fill or fix indicator and dates, drop what is \
not a figure), then `chiso ingest` them; ingest ignores the four review columns.\n\nExamples:\n  \
chiso extract report.txt --format csv > new.csv\n  chiso extract --eval --sources ../shared/seeds"
)]
pub struct ExtractArgs {
    /// Report texts (UTF-8).
    #[arg(value_name = "REPORT", required_unless_present = "eval")]
    reports: Vec<PathBuf>,
    /// Source id for the rows [default: the built-in source whose report file this is, else the file name].
    #[arg(long, value_name = "ID")]
    source_id: Option<String>,
    /// The report's province (code or name), when the text does not make it clear.
    #[arg(long, value_name = "PROVINCE")]
    province: Option<String>,
    /// The report's date, which gives a date written without a year its year and `đến nay` its
    /// day [default: the built-in source's publication date, else the dates the text names].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    date: Option<NaiveDate>,
    /// Compare extraction on the seed reports with the curated observations; fail below the targets.
    #[arg(long, conflicts_with = "reports")]
    eval: bool,
    /// Where the seed reports are, for --eval.
    #[arg(long, value_name = "DIR", default_value = "../shared/seeds")]
    sources: PathBuf,
    #[command(flatten)]
    out: OutputArgs,
}

/// A `--date` value.
fn parse_date(text: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date; write it YYYY-MM-DD"))
}

/// The built-in source whose seed file has this name.
fn known_source<'a>(sources: &'a [BuiltinSource], file: &Path) -> Option<&'a BuiltinSource> {
    let name = file.file_name()?.to_string_lossy().into_owned();
    sources.iter().find(|s| s.seed_file.as_deref() == Some(name.as_str()))
}

pub fn run(args: &ExtractArgs) -> Result<()> {
    if args.eval {
        return run_eval(&args.sources);
    }
    let province = match &args.province {
        Some(p) => Some(
            reference().province_code(p).ok_or_else(|| usage(format!("--province {p}: no such province")))?,
        ),
        None => None,
    };
    let sources = builtin_sources()?;
    let mut all = Vec::new();
    for path in &args.reports {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read", e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let line =
                e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            Error::Invalid {
                what: format!("{}:{line}", path.display()),
                problem: "not UTF-8 text; save the report as UTF-8".into(),
            }
        })?;
        let stem =
            path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
        let source_id = args
            .source_id
            .clone()
            .or_else(|| known_source(&sources, path).map(|s| s.id.clone()))
            .unwrap_or(stem);
        let date = args.date.or_else(|| sources.iter().find(|s| s.id == source_id).and_then(|s| s.published));
        all.extend(extract(&text, &ReportHints { source_id, province: province.clone(), date }));
    }
    print_results(&args.out, &[to_result(&all)?])
}

fn run_eval(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(usage(format!("--sources {}: not a directory of seed reports", dir.display())));
    }
    let evaluation = evaluate(dir)?;
    println!(
        "{:<12} {:>7} {:>9} {:>5} {:>7} {:>9} {:>9}",
        "report", "curated", "extracted", "found", "recall", "precision", "indicator"
    );
    for s in evaluation.reports.iter().chain([&evaluation.all]) {
        println!(
            "{:<12} {:>7} {:>9} {:>5} {:>7.3} {:>9.3} {:>9.3}",
            s.source,
            s.curated,
            s.extracted,
            s.found,
            s.recall(),
            s.precision(),
            s.indicator_accuracy()
        );
    }
    TARGETS.check(&evaluation.all)?;
    println!(
        "targets met (recall ≥ {}, precision ≥ {}, indicator accuracy ≥ {})",
        TARGETS.recall, TARGETS.precision, TARGETS.indicator_accuracy
    );
    Ok(())
}
