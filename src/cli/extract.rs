//! `chiso extract`: candidate observations from report texts, and `--eval` on the seed reports.
use std::path::{Path, PathBuf};

use clap::Args;

use super::print::print_results;
use super::{usage, OutputArgs};
use crate::error::Result;
use crate::ops::extract::eval::{builtin_sources, evaluate, targets_for, BuiltinSource, DEV_GOALS};
use crate::ops::extract::read::read_report;
use crate::ops::extract::{extract, to_result, ReportDate, ReportHints};
use crate::ops::reports::{ReportDirs, DEFAULT_DIRS};
use crate::storage::reference::reference;

/// Arguments of `chiso extract`.
#[derive(Debug, Args)]
#[command(
    after_help = "Output: the observations columns plus confidence (of the indicator), start_byte and end_byte \
(where the figure stands in the report) and review (why a row needs more than the usual check: a period that \
cannot be known, left empty rather than guessed). Review the rows (fill or fix indicator and dates, drop what is \
not a figure), then `chiso ingest` them; ingest ignores the four review columns.\nTables (Phụ lục, Biểu) in a \
.docx, an .xlsx, or a text or PDF that keeps its columns give a figure per cell: the row names the unit, the column's \
headers the indicator, and the quote names table, row and column.\n\nExamples:\n  \
chiso extract report.txt --format csv > new.csv\n  chiso extract phu-luc.xlsx --province \"Gia Lai\" --date 2025-10-10\n  chiso extract --eval --sources ../shared/seeds --sources ../shared/reports"
)]
pub struct ExtractArgs {
    /// Reports: UTF-8 text, Word .docx, Excel .xlsx or PDF with a text layer.
    #[arg(value_name = "REPORT", required_unless_present = "eval")]
    reports: Vec<PathBuf>,
    /// Source id for the rows [default: the built-in source whose report file this is, else the file name].
    #[arg(long, value_name = "ID")]
    source_id: Option<String>,
    /// The report's province (code or name), when the text does not make it clear.
    #[arg(long, value_name = "PROVINCE")]
    province: Option<String>,
    /// The report's date, which gives a date written without a year its year and `đến nay` its
    /// day; YYYY-MM when only the month is known (`đến nay` then takes the month's last day and
    /// the rows say `inferred`) [default: the built-in source's publication date, else the dates
    /// the text names].
    #[arg(long, value_name = "YYYY-MM[-DD]", value_parser = parse_date)]
    date: Option<ReportDate>,
    /// Compare extraction on the reports of the built-in sources with their curated observations;
    /// fail below the targets.
    #[arg(long, conflicts_with = "reports")]
    eval: bool,
    /// Where the report texts are, for --eval (repeat for more) [default: ../shared/seeds and
    /// ../shared/reports].
    #[arg(long, value_name = "DIR")]
    sources: Vec<PathBuf>,
    #[command(flatten)]
    out: OutputArgs,
}

/// A `--date` value.
fn parse_date(text: &str) -> std::result::Result<ReportDate, String> {
    ReportDate::parse(text)
        .ok_or_else(|| format!("{text:?} is not a date; write it YYYY-MM-DD, or YYYY-MM for a month"))
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
        let text = read_report(path)?;
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

fn run_eval(dirs: &[PathBuf]) -> Result<()> {
    let dirs = if dirs.is_empty() {
        DEFAULT_DIRS.iter().map(PathBuf::from).filter(|d| d.is_dir()).collect()
    } else {
        dirs.to_vec()
    };
    let evaluation = evaluate(&ReportDirs::new(&dirs)?)?;
    if evaluation.sets.is_empty() {
        return Err(usage(format!(
            "no report of the built-in sources is in {}; pass --sources DIR",
            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" or ")
        )));
    }
    println!(
        "{:<12} {:>7} {:>9} {:>5} {:>7} {:>9} {:>6} {:>6} {:>9} {:>9} {:>5}",
        "report",
        "curated",
        "extracted",
        "found",
        "recall",
        "precision",
        "place",
        "period",
        "indicator",
        "qualifier",
        "stray"
    );
    let mut failures = Vec::new();
    for (set, reports, all) in &evaluation.sets {
        for s in reports.iter().chain([all]) {
            println!(
                "{:<12} {:>7} {:>9} {:>5} {:>7.3} {:>9.3} {:>6.3} {:>6.3} {:>9.3} {:>9.3} {:>5}",
                s.source,
                s.curated,
                s.extracted,
                s.found,
                s.recall(),
                s.precision(),
                s.share(s.right_place),
                s.share(s.right_period),
                s.share(s.right_indicator),
                s.share(s.right_qualifier),
                s.stray,
            );
        }
        let targets = targets_for(set);
        match targets.check(set, all) {
            Ok(()) if set == "seeds" => println!("{set}: targets met\n"),
            Ok(()) => {
                let short = DEV_GOALS.missed_by(all);
                if short.is_empty() {
                    println!("{set}: floors and goals met\n");
                } else {
                    println!("{set}: floors met; short of the goals: {}\n", short.join(", "));
                }
            }
            Err(e) => {
                println!("{e}\n");
                failures.push(e);
            }
        }
    }
    for file in &evaluation.missing {
        println!("not scored: {file} is in none of the directories given");
    }
    match failures.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
