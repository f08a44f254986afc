//! `extract --eval`: how well extraction finds the curated figures of the seed reports.
//! A curated figure is found when a candidate has its value at a place inside the figure's quote;
//! recall is found/curated, precision is found/extracted, indicator accuracy is the share of found
//! figures whose indicator is the curated one.
use std::path::Path;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Date32Type, Float64Type};

use super::{extract, Candidate, ReportHints};
use crate::error::{Error, Result};
use crate::storage::build::read_table;
use crate::storage::datasets::Datasets;
use crate::storage::schema::builtin;
use crate::storage::text::strings;

/// Targets the evaluation must meet.
pub const TARGETS: Targets = Targets { recall: 0.95, precision: 0.85, indicator_accuracy: 0.80 };

/// Minimum recall, precision and indicator accuracy.
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    /// Found / curated.
    pub recall: f64,
    /// Found / extracted.
    pub precision: f64,
    /// Right indicator / found.
    pub indicator_accuracy: f64,
}

impl Targets {
    /// The targets `all` (the score over every report) falls below, each with its figures.
    pub fn missed_by(&self, all: &Score) -> Vec<String> {
        let mut below = Vec::new();
        if all.recall() < self.recall {
            below.push(format!("recall {:.3} < {}", all.recall(), self.recall));
        }
        if all.precision() < self.precision {
            below.push(format!("precision {:.3} < {}", all.precision(), self.precision));
        }
        if all.indicator_accuracy() < self.indicator_accuracy {
            below.push(format!(
                "indicator accuracy {:.3} < {}",
                all.indicator_accuracy(),
                self.indicator_accuracy
            ));
        }
        below
    }

    /// `Ok` when `all` meets every target, else a failure naming the ones missed.
    pub fn check(&self, all: &Score) -> Result<()> {
        let below = self.missed_by(all);
        if below.is_empty() {
            return Ok(());
        }
        Err(Error::Failed {
            check: "extraction",
            summary: format!("below its targets: {}", below.join(", ")),
        })
    }
}

/// Counts for one report (or all).
#[derive(Debug, Clone, Default)]
pub struct Score {
    /// Source id, or `all`.
    pub source: String,
    /// Curated figures.
    pub curated: usize,
    /// Candidates extracted.
    pub extracted: usize,
    /// Curated figures found.
    pub found: usize,
    /// Found figures with the curated indicator.
    pub right_indicator: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

impl Score {
    /// Found / curated.
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.curated)
    }
    /// Found / extracted.
    pub fn precision(&self) -> f64 {
        ratio(self.found, self.extracted)
    }
    /// Right indicator / found.
    pub fn indicator_accuracy(&self) -> f64 {
        ratio(self.right_indicator, self.found)
    }
    fn add(&mut self, other: &Score) {
        self.curated += other.curated;
        self.extracted += other.extracted;
        self.found += other.found;
        self.right_indicator += other.right_indicator;
    }
}

struct Curated {
    source: String,
    indicator: String,
    value: f64,
    quote: String,
}

fn curated() -> Result<Vec<Curated>> {
    let def = builtin("observations")?;
    let mut out = Vec::new();
    for b in read_table(&Datasets::Embedded, def)? {
        let text = |n: &str| strings(&b, n);
        let (Some(source), Some(indicator), Some(quote)) =
            (text("source_id"), text("indicator"), text("quote"))
        else {
            continue;
        };
        let Some(values) =
            b.column_by_name("value").and_then(|c| c.as_primitive_opt::<Float64Type>().cloned())
        else {
            continue;
        };
        for i in 0..b.num_rows() {
            if quote.is_null(i) {
                continue;
            }
            out.push(Curated {
                source: source.value(i).to_string(),
                indicator: indicator.value(i).to_string(),
                value: values.value(i),
                quote: quote.value(i).to_string(),
            });
        }
    }
    Ok(out)
}

/// A row of the built-in `sources` table, as extraction needs it.
#[derive(Debug, Clone)]
pub struct BuiltinSource {
    /// The source id.
    pub id: String,
    /// The seed report's file name, for a seed.
    pub seed_file: Option<String>,
    /// The date it was published, when known.
    pub published: Option<NaiveDate>,
}

/// The built-in `sources` table, read once.
pub fn builtin_sources() -> Result<Vec<BuiltinSource>> {
    let def = builtin("sources")?;
    let mut out = Vec::new();
    for b in read_table(&Datasets::Embedded, def)? {
        let (Some(ids), Some(files)) = (strings(&b, "source_id"), strings(&b, "seed_file")) else {
            continue;
        };
        let dates = b.column_by_name("published").and_then(|c| c.as_primitive_opt::<Date32Type>());
        for i in 0..b.num_rows() {
            out.push(BuiltinSource {
                id: ids.value(i).to_string(),
                seed_file: files.is_valid(i).then(|| files.value(i).to_string()),
                published: dates.filter(|d| d.is_valid(i)).and_then(|d| d.value_as_date(i)),
            });
        }
    }
    Ok(out)
}

/// Match candidates to the curated figures of one report.
fn score(source: &str, text: &str, candidates: &[Candidate], curated: &[&Curated]) -> Score {
    let mut used = vec![false; candidates.len()];
    let mut s = Score {
        source: source.to_string(),
        curated: curated.len(),
        extracted: candidates.len(),
        ..Default::default()
    };
    for c in curated {
        // Quotes are verbatim but for runs of white space (the reports hold double and no-break spaces).
        let pattern = c.quote.split_whitespace().map(regex::escape).collect::<Vec<_>>().join(r"\s+");
        let spans: Vec<(usize, usize)> = regex::Regex::new(&pattern)
            .map(|re| re.find_iter(text).map(|m| (m.start(), m.end())).collect())
            .unwrap_or_default();
        let hit = candidates.iter().enumerate().find(|(k, cand)| {
            !used[*k]
                && (cand.value - c.value).abs() <= 1e-9 * c.value.abs().max(1.0)
                && spans.iter().any(|(a, b)| cand.start_byte >= *a && cand.end_byte <= *b)
        });
        if let Some((k, cand)) = hit {
            used[k] = true;
            s.found += 1;
            if cand.indicator.as_deref() == Some(c.indicator.as_str()) {
                s.right_indicator += 1;
            }
        }
    }
    s
}

/// Evaluate extraction on every seed report found in `dir`; the last score is the total.
pub fn evaluate(dir: &Path) -> Result<Evaluation> {
    let curated = curated()?;
    let mut scores = Vec::new();
    let mut total = Score { source: "all".into(), ..Default::default() };
    for seed in builtin_sources()? {
        let (source, Some(file)) = (seed.id, seed.seed_file) else { continue };
        let path = dir.join(&file);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, "read", e))?;
        let hints = ReportHints { source_id: source.clone(), province: None, date: seed.published };
        let candidates = extract(&text, &hints);
        let mine: Vec<&Curated> = curated.iter().filter(|c| c.source == source).collect();
        let s = score(&source, &text, &candidates, &mine);
        total.add(&s);
        scores.push(s);
    }
    Ok(Evaluation { reports: scores, all: total })
}

/// Scores per seed report and over all of them.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// One score per report, in seed order.
    pub reports: Vec<Score>,
    /// The sums over every report (`source` is `all`).
    pub all: Score,
}
