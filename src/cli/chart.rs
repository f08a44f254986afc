//! `chiso chart`: a saved query's or an SQL statement's result drawn as an SVG or PNG chart.
use std::path::PathBuf;

use clap::{ArgGroup, Args};

use super::args::parse_param;
use super::{usage, Cli};
use crate::engine::saved::{find, load_all, SavedQuery};
use crate::error::{Error, Result};
use crate::ops::chart::{self, ChartRequest, Kind, Locale};

/// Arguments of `chiso chart`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("source").required(true).args(["query", "sql"])),
    after_help = "Defaults: a date column on x draws lines, a text column bars sorted by value (horizontal \
    from 13 bars); y is the `value` column or the first number column; rows whose x repeats are split \
    into series by the first text column that tells them apart. A `qualifier` column marks bounds and \
    approximations (hollow markers, pale bars, ≥/≈ labels).\n\nExamples:\n  \
    chiso chart --query timeseries --param province=\"Nghệ An\" --out na.svg\n  \
    chiso chart --query latest_by_province --param indicator=online_dossier_rate --out rate.png --locale vi\n  \
    chiso chart --sql \"select period_end, province_code, value from observations where indicator = 'eid_accounts'\" \\\n    \
    --series province_code --out eid.svg"
)]
pub struct ChartArgs {
    /// A saved query to chart (`chiso queries` lists them).
    #[arg(long, value_name = "NAME")]
    query: Option<String>,
    /// A saved query's parameter; repeat for several.
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE", value_parser = parse_param, requires = "query")]
    params: Vec<(String, String)>,
    /// One SQL statement to chart instead of a saved query.
    #[arg(long, value_name = "SQL")]
    sql: Option<String>,
    /// A directory of extra saved queries (NAME.sql) beside the built-in ones.
    #[arg(long, env = "CHISO_QUERIES", value_name = "DIR")]
    queries: Option<PathBuf>,
    /// The picture to write: FILE.svg or FILE.png (replaced atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: PathBuf,
    /// Chart shape [default: line for a date on x, bar for text (hbar from 13 bars)].
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// Column on the x axis [default: the first date column without gaps, else the first text column].
    #[arg(long, value_name = "COLUMN")]
    x: Option<String>,
    /// Number column on the y axis [default: `value`, else the first number column].
    #[arg(long, value_name = "COLUMN")]
    y: Option<String>,
    /// Column whose values make one line or one bar colour each.
    #[arg(long, value_name = "COLUMN")]
    series: Option<String>,
    /// Title over the chart [default: from the query and its parameters].
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Number convention of the labels: `vi` writes 1.494.541 and 99,68.
    #[arg(long, value_enum, default_value = "en")]
    locale: Locale,
    /// Label the values as percentages [default: when the indicator's unit or the column name says so].
    #[arg(long)]
    percent: bool,
}

pub async fn run(cli: &Cli, args: &ChartArgs) -> Result<()> {
    chart::Picture::from_path(&args.out)?;
    let engine = cli.engine().await?;
    let (result, saved) = match (&args.query, &args.sql) {
        (Some(name), _) => {
            let all = load_all(args.queries.as_deref())?;
            let query = find(&all, name)?.clone();
            (engine.run_saved(&query, &args.params).await?, Some(query))
        }
        (None, Some(sql)) => (engine.query_one(sql).await?, None),
        (None, None) => return Err(usage("what to chart? give --query NAME or --sql SQL")),
    };
    if let (0, Some(query)) = (result.num_rows(), &saved) {
        if let Some(why) = engine.why_empty(query, &args.params).await {
            return Err(Error::Invalid {
                what: "the result".into(),
                problem: format!("the query returned no rows ({why}), so there is nothing to chart"),
            });
        }
    }
    let indicator = saved.as_ref().and_then(|q| q.value_of("indicator", &args.params));
    let unit = match &indicator {
        Some(code) => engine.indicator_info(code).await,
        None => None,
    };
    let percent = if args.percent { Some(true) } else { unit.as_ref().map(|(unit, _)| unit == "percent") };
    let request = ChartRequest {
        kind: args.kind,
        x: args.x.clone(),
        y: args.y.clone(),
        series: args.series.clone(),
        title: args.title.clone().or_else(|| saved.as_ref().map(|q| title(q, &args.params, unit.as_ref()))),
        locale: args.locale,
        percent,
    };
    let chart = chart::resolve(&result, &request)?;
    chart::write(&chart, &args.out)?;
    let points: usize = chart.series.iter().map(|s| s.points.len()).sum();
    eprintln!(
        "wrote {} ({} chart, {} series, {points} points)",
        args.out.display(),
        format!("{:?}", chart.kind).to_lowercase(),
        chart.series.len()
    );
    Ok(())
}

/// `Indicator name: query (param=value, …)` from the saved query and the values it ran with.
fn title(query: &SavedQuery, given: &[(String, String)], indicator: Option<&(String, String)>) -> String {
    // The values that differ from the defaults: the ones that make this chart this one.
    let others: Vec<String> = query
        .params
        .iter()
        .filter(|p| p.name != "indicator")
        .filter_map(|p| {
            query.value_of(&p.name, given).filter(|v| Some(v) != p.default.as_ref()).map(|v| (p, v))
        })
        .map(|(p, v)| format!("{}={v}", p.name))
        .collect();
    let head = match indicator {
        Some((_, name)) => format!("{name}: {}", query.name),
        None => query.name.clone(),
    };
    if others.is_empty() {
        head
    } else {
        format!("{head} ({})", others.join(", "))
    }
}
