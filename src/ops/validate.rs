//! `validate`: checks over the tables of a session (the warnings are the saved query `data_quality`). Broken data is an error; a source that
//! disagrees with itself (a stated rate that is not its numerator over its denominator, parts
//! that do not add up to their total) is a warning: it is kept as reported and flagged.
use std::collections::HashMap;
use std::fmt;

use datafusion::arrow::array::{Array, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::Float64Type;
use datafusion::arrow::record_batch::RecordBatch;

use crate::engine::saved::{find, load_all};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::numbers::numbers_in;
use crate::ops::extract::table_figures::in_tables;
use crate::ops::extract::tables::{tables, Table};
use crate::ops::extract::text::sentences;
use crate::ops::reports::ReportDirs;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The source disagrees with itself; the data keeps what it says.
    Warning,
    /// The data is broken and must be fixed.
    Error,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Warning or error.
    pub severity: Severity,
    /// Short name of the check that found it.
    pub check: String,
    /// The observation it concerns, if any.
    pub obs_id: Option<String>,
    /// What is wrong, with the figures involved.
    pub message: String,
}

impl Finding {
    /// The column a finding is about, for `file:line: column: reason` messages.
    pub fn column(&self) -> &str {
        match self.check.as_str() {
            "required" | "duplicate_id" => "obs_id",
            "indicator_key" => "indicator",
            "source_key" => "source_id",
            "province_key" => "province_code",
            "district_key" => "district_code",
            "commune_key" => "commune_code",
            "period" | "kind_period" => "period_start",
            "numerator" => "numerator",
            "range" | "rate" | "parts_sum" => "value",
            "quote_number" | "quote_source" => "quote",
            other => other,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{level} [{}]", self.check)?;
        if let Some(id) = &self.obs_id {
            write!(f, " {id}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// SQL checks: each query returns (obs_id, message) rows, one per problem.
const SQL_CHECKS: &[(&str, Severity, &str)] = &[
    ("required", Severity::Error, "SELECT coalesce(o.obs_id, '(no obs_id)'), 'obs_id and quote are required' FROM observations o \
        LEFT JOIN sources s ON o.source_id = s.source_id \
        WHERE (o.obs_id IS NULL OR o.quote IS NULL OR trim(o.quote) = '') AND coalesce(s.publisher, '') NOT LIKE 'chiso generate%'"),
    ("duplicate_id", Severity::Error, "SELECT obs_id, 'obs_id used ' || CAST(count(*) AS VARCHAR) || ' times' FROM observations WHERE obs_id IS NOT NULL GROUP BY obs_id HAVING count(*) > 1"),
    ("indicator_key", Severity::Error, "SELECT o.obs_id, 'unknown indicator ' || o.indicator FROM observations o LEFT JOIN indicators i ON o.indicator = i.code WHERE i.code IS NULL"),
    ("source_key", Severity::Error, "SELECT o.obs_id, 'unknown source ' || o.source_id FROM observations o LEFT JOIN sources s ON o.source_id = s.source_id WHERE s.source_id IS NULL"),
    ("province_key", Severity::Error, "SELECT o.obs_id, 'unknown province code ' || o.province_code FROM observations o LEFT JOIN provinces p ON o.province_code = p.code WHERE o.province_code IS NOT NULL AND p.code IS NULL"),
    ("district_key", Severity::Error, "SELECT o.obs_id, 'district ' || o.district_code || ' is not a district of province ' || coalesce(o.province_code, '(none)') FROM observations o LEFT JOIN districts d ON o.district_code = d.code AND o.province_code = d.province_code WHERE o.district_code IS NOT NULL AND d.code IS NULL"),
    ("commune_key", Severity::Error, "SELECT o.obs_id, 'commune ' || o.commune_code || ' is not a commune of district ' || coalesce(o.district_code, '(none)') FROM observations o LEFT JOIN communes c ON o.commune_code = c.code AND o.district_code = c.district_code WHERE o.commune_code IS NOT NULL AND o.geo_level <> 'commune_2025' AND c.code IS NULL"),
    ("commune_2025_key", Severity::Error, "SELECT o.obs_id, 'commune ' || o.commune_code || ' is not a commune of 2025' FROM observations o LEFT JOIN communes_2025 c ON o.commune_code = c.code WHERE o.geo_level = 'commune_2025' AND c.code IS NULL"),
    ("geo_level", Severity::Error, "SELECT obs_id, 'geo_level ' || geo_level || ' does not match the codes given' FROM observations WHERE NOT CASE geo_level \
        WHEN 'national' THEN province_code IS NULL AND district_code IS NULL AND commune_code IS NULL \
        WHEN 'province' THEN province_code IS NOT NULL AND district_code IS NULL AND commune_code IS NULL \
        WHEN 'district' THEN district_code IS NOT NULL AND commune_code IS NULL \
        WHEN 'commune' THEN commune_code IS NOT NULL \
        WHEN 'commune_2025' THEN commune_code IS NOT NULL AND district_code IS NULL ELSE false END"),
    ("qualifier", Severity::Error, "SELECT obs_id, 'qualifier must be exact, approx, lower_bound or upper_bound, not ' || qualifier FROM observations WHERE qualifier NOT IN ('exact', 'approx', 'lower_bound', 'upper_bound')"),
    ("period", Severity::Error, "SELECT obs_id, 'period_start ' || CAST(period_start AS VARCHAR) || ' is after period_end ' || CAST(period_end AS VARCHAR) FROM observations WHERE period_start > period_end"),
    ("period_basis", Severity::Error, "SELECT obs_id, 'period_basis must be stated, report_date or inferred, not ' || period_basis FROM observations WHERE period_basis NOT IN ('stated', 'report_date', 'inferred')"),
    // One indicator, one meaning: a stock counts since the programme began (no period_start), a
    // flow counts over a stated period (a period_start).
    ("kind_period", Severity::Error, "SELECT o.obs_id, CASE i.kind WHEN 'stock' THEN 'indicator ' || i.code || ' is a stock (counted since the programme began): period_start must be empty, not ' || CAST(o.period_start AS VARCHAR) \
        ELSE 'indicator ' || i.code || ' is a flow (counted over a period): period_start is required' END \
        FROM observations o JOIN indicators i ON o.indicator = i.code \
        WHERE (i.kind = 'stock' AND o.period_start IS NOT NULL) OR (i.kind = 'flow' AND o.period_start IS NULL)"),
    // Catalog and sources: a share names a count; a month is a month, and the day's if both are given.
    ("rate_of", Severity::Error, "SELECT i.code, 'indicator ' || i.code || ' is a share of ' || i.rate_of || ', which is not a stock or flow indicator' \
        FROM indicators i LEFT JOIN indicators c ON i.rate_of = c.code AND c.kind IN ('stock', 'flow') WHERE i.rate_of IS NOT NULL AND c.code IS NULL"),
    ("published_month", Severity::Error, "SELECT source_id, 'published_month must be YYYY-MM and agree with published, not ' || published_month FROM sources \
        WHERE published_month IS NOT NULL AND (NOT regexp_like(published_month, '^[0-9]{4}-(0[1-9]|1[0-2])$') OR substr(CAST(published AS VARCHAR), 1, 7) <> published_month)"),
    ("numerator", Severity::Error, "SELECT obs_id, 'numerator ' || CAST(numerator AS VARCHAR) || ' exceeds denominator ' || CAST(denominator AS VARCHAR) FROM observations WHERE numerator > denominator"),
    // Curation slips an audit found: a count since the programme began that falls from one
    // source to a later one (a date or a unit filed wrong); one report's value of an indicator
    // for a unit filed twice (one fact stored as two). A date said to be stated where the
    // sentence gives none is checked against the report itself (see `quote_checks`).
    ("stock_falls", Severity::Warning, "SELECT obs_id, 'stock ' || indicator || ' falls to ' || CAST(value AS VARCHAR) || ' on ' || CAST(period_end AS VARCHAR) \
        || ' from ' || CAST(before AS VARCHAR) || ' on ' || CAST(before_end AS VARCHAR) || ' (' || before_id || '), another source''s figure of the same unit' \
        FROM (SELECT o.obs_id, o.indicator, o.value, o.period_end, o.source_id, o.qualifier, \
                     lag(o.value) OVER w AS before, lag(o.period_end) OVER w AS before_end, lag(o.obs_id) OVER w AS before_id, \
                     lag(o.source_id) OVER w AS before_source, lag(o.qualifier) OVER w AS before_qualifier \
              FROM observations o JOIN indicators i ON o.indicator = i.code WHERE i.kind = 'stock' \
              WINDOW w AS (PARTITION BY o.indicator, o.geo_level, o.province_code, o.district_code, o.commune_code ORDER BY o.period_end, o.obs_id)) t \
        WHERE value < before AND period_end > before_end AND source_id <> before_source \
          AND qualifier <> 'lower_bound' AND before_qualifier <> 'upper_bound'"),
    ("same_fact", Severity::Warning, "SELECT b.obs_id, 'the same value of ' || b.indicator || ' for the same unit as ' || a.obs_id || ' in one report (' || CAST(a.period_end AS VARCHAR) \
        || ', ' || CAST(b.period_end AS VARCHAR) || '): one fact filed twice?' \
        FROM observations a JOIN observations b ON a.source_id = b.source_id AND a.indicator = b.indicator AND a.value = b.value AND a.obs_id < b.obs_id \
          AND a.geo_level = b.geo_level AND (a.province_code IS NOT DISTINCT FROM b.province_code) \
          AND (a.district_code IS NOT DISTINCT FROM b.district_code) AND (a.commune_code IS NOT DISTINCT FROM b.commune_code) \
        WHERE a.quote <> b.quote OR a.period_end <> b.period_end"),
    // Units by their time: districts and the legacy communes that did not keep their code ended
    // on 2025-06-30; a 2025 commune exists from its effective date.
    ("unit_after_reform", Severity::Warning, "SELECT o.obs_id, CASE o.geo_level WHEN 'district' THEN 'a district figure dated ' || CAST(o.period_end AS VARCHAR) || ', after districts ended on 2025-06-30' \
        ELSE 'legacy commune ' || o.commune_code || ' ended on 2025-06-30 (no commune of 2025 has its code), but the figure is dated ' || CAST(o.period_end AS VARCHAR) END \
        FROM observations o LEFT JOIN communes_2025 c ON o.commune_code = c.code \
        WHERE o.period_end > DATE '2025-06-30' AND (o.geo_level = 'district' OR (o.geo_level = 'commune' AND c.code IS NULL))"),
    ("unit_before_reform", Severity::Warning, "SELECT o.obs_id, 'commune ' || o.commune_code || ' of 2025 exists from ' || CAST(c.effective_date AS VARCHAR) || ', but the figure is dated ' || CAST(o.period_end AS VARCHAR) \
        FROM observations o JOIN communes_2025 c ON o.commune_code = c.code WHERE o.geo_level = 'commune_2025' AND o.period_end < c.effective_date"),
    ("range", Severity::Error, "SELECT o.obs_id, 'value ' || CAST(o.value AS VARCHAR) || ' is out of range for ' || i.kind || ' indicator ' || i.code || ' (' || i.unit || ')' FROM observations o JOIN indicators i ON o.indicator = i.code \
        WHERE (o.value < 0 AND i.kind <> 'change') OR (i.unit = 'percent' AND i.kind = 'ratio' AND o.value > 100)"),
];

/// A batch's columns as text, cast once per batch rather than once per cell.
struct Text(Vec<StringArray>);

impl Text {
    fn of(batch: &RecordBatch) -> Result<Self> {
        let columns = batch
            .columns()
            .iter()
            .map(|c| Ok(cast(c, &DataType::Utf8)?.as_string::<i32>().clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self(columns))
    }

    fn at(&self, col: usize, row: usize) -> Option<String> {
        let column = self.0.get(col)?;
        (!column.is_null(row)).then(|| column.value(row).to_string())
    }
}

fn float_at(batch: &RecordBatch, col: usize, row: usize) -> Option<f64> {
    let array = batch.column(col).as_primitive_opt::<Float64Type>()?;
    (!array.is_null(row)).then(|| array.value(row))
}

/// The sentence of `text` (as extract splits a report) that holds `quote`, if it holds it.
fn sentence_of<'a>(text: &'a str, quote: &str) -> Option<&'a str> {
    let at = text.find(quote)?;
    let all = sentences(text);
    let from = all.iter().rposition(|s| s.start <= at)?;
    let to = all.iter().rposition(|s| s.start < at + quote.len()).unwrap_or(from);
    Some(text[all[from].start..all[to].start + all[to].text.len()].trim_end_matches(['.', '!', '?']))
}

/// Whether a sentence writes a date or a period: a day, month, quarter or year (`16/6`, not the
/// `22/25` of a count out of a total).
fn dated(sentence: &str) -> bool {
    static DATE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    DATE.get_or_init(|| {
        // A constant pattern: a mistake in it fails validate's tests.
        regex::Regex::new(r"(?i)\b(ngày|tháng|quý|năm)\b|\b([12]?\d|3[01])/(0?[1-9]|1[0-2])\b|\b20\d\d\b")
            .expect("a constant pattern")
    })
    .is_match(sentence)
}

/// Collapse runs of white space, so a quote matches its report across line breaks and double spaces.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Run every check on the session's tables. With report directories (`sources`), each quote must
/// also occur in the report its `sources.seed_file` names.
pub async fn validate(engine: &Engine, sources: &ReportDirs) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for (check, severity, sql) in SQL_CHECKS {
        let results = engine
            .sql(sql)
            .await
            .map_err(|e| e.context(format!("validation check {check} could not run")))?;
        for result in results {
            for batch in &result.batches {
                let t = Text::of(batch)?;
                for row in 0..batch.num_rows() {
                    findings.push(Finding {
                        severity: *severity,
                        check: check.to_string(),
                        obs_id: t.at(0, row),
                        message: t.at(1, row).unwrap_or_default(),
                    });
                }
            }
        }
    }
    disagreements(engine, &mut findings).await?;
    quote_checks(engine, sources, &mut findings).await?;
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(a.obs_id.cmp(&b.obs_id)).then(a.check.cmp(&b.check))
    });
    Ok(findings)
}

/// Source disagreements are the saved query `data_quality`: the same SQL an analyst runs.
async fn disagreements(engine: &Engine, findings: &mut Vec<Finding>) -> Result<()> {
    let all = load_all(None)?;
    let query = find(&all, "data_quality")?;
    let result = engine
        .run_saved(query, &[])
        .await
        .map_err(|e| e.context("validation check data_quality could not run"))?;
    let column = |name: &str| {
        result
            .schema
            .index_of(name)
            .map_err(|e| Error::Internal(format!("the saved query data_quality: {e}")))
    };
    let (check, id, message, quote) =
        (column("check")?, column("obs_id")?, column("message")?, column("quote")?);
    for batch in &result.batches {
        let t = Text::of(batch)?;
        for row in 0..batch.num_rows() {
            findings.push(Finding {
                severity: Severity::Warning,
                check: t.at(check, row).unwrap_or_default(),
                obs_id: t.at(id, row),
                message: format!(
                    "{}; quote: {}",
                    t.at(message, row).unwrap_or_default(),
                    t.at(quote, row).unwrap_or_default()
                ),
            });
        }
    }
    Ok(())
}

async fn quote_checks(engine: &Engine, sources: &ReportDirs, findings: &mut Vec<Finding>) -> Result<()> {
    // Each source's report with its white space collapsed, and its tables.
    let mut texts: HashMap<String, (String, Vec<Table>)> = HashMap::new();
    // Sources whose report is in none of the directories: one finding each, not one per quote.
    let mut unfound: HashMap<String, String> = HashMap::new();
    if !sources.is_empty() {
        for result in
            engine.sql("SELECT source_id, seed_file FROM sources WHERE seed_file IS NOT NULL").await?
        {
            for batch in &result.batches {
                let t = Text::of(batch)?;
                for row in 0..batch.num_rows() {
                    let (Some(id), Some(file)) = (t.at(0, row), t.at(1, row)) else {
                        continue;
                    };
                    if sources.find(&file).is_none() {
                        unfound.insert(id, file);
                        continue;
                    }
                    let (_, text) = sources
                        .read(&file)
                        .map_err(|e| e.context(format!("cannot check the quotes of source {id}")))?;
                    texts.insert(id, (squash(&text), tables(&text)));
                }
            }
        }
    }
    let searched: Vec<String> = sources.dirs().iter().map(|d| d.display().to_string()).collect();
    for (id, file) in &unfound {
        findings.push(Finding {
            severity: Severity::Error,
            check: "quote_source".into(),
            obs_id: None,
            message: format!(
                "source {id}: its report {file} is in none of {}; add its directory with --sources",
                searched.join(", ")
            ),
        });
    }
    let sql =
        "SELECT obs_id, quote, source_id, value, numerator, denominator, period_basis FROM observations \
               WHERE quote IS NOT NULL";
    for result in engine.sql(sql).await? {
        for batch in &result.batches {
            let t = Text::of(batch)?;
            for row in 0..batch.num_rows() {
                let id = t.at(0, row);
                let quote = t.at(1, row).unwrap_or_default();
                let source = t.at(2, row).unwrap_or_default();
                let written = numbers_in(&quote);
                // The sign of a change is in the words (`giảm 11 bậc`), not the digits.
                let present = |v: f64| written.iter().any(|w| (w - v.abs()).abs() <= 1e-9 * v.abs().max(1.0));
                // A target is often implied (`vượt mục tiêu 16,79%`) rather than written: only the
                // figures themselves must be in the quote.
                for (name, col) in [("value", 3), ("numerator", 4), ("denominator", 5)] {
                    if let Some(v) = float_at(batch, col, row).filter(|v| !present(*v)) {
                        findings.push(Finding {
                            severity: Severity::Error,
                            check: "quote_number".into(),
                            obs_id: id.clone(),
                            message: format!("the quote does not write the {name} {v}: {quote:?}"),
                        });
                    }
                }
                if let (Some("stated"), Some(text)) = (t.at(6, row).as_deref(), texts.get(&source)) {
                    if sentence_of(&text.0, &squash(&quote)).is_some_and(|s| !dated(s)) {
                        findings.push(Finding {
                            severity: Severity::Warning,
                            check: "basis_stated".into(),
                            obs_id: id.clone(),
                            message: format!(
                                "period_basis is stated, but the sentence of {quote:?} gives no date"
                            ),
                        });
                    }
                }
                if !sources.is_empty() && !unfound.contains_key(&source) {
                    // A quote of a table cell names its table, row and column (extract's tables).
                    let found = texts
                        .get(&source)
                        .map(|(t, grids)| t.contains(&squash(&quote)) || in_tables(grids, &quote));
                    let problem = match found {
                        Some(true) => None,
                        Some(false) => Some(format!("quote not found in the report of {source}: {quote:?}")),
                        None => Some(format!("source {source} names no report file to check the quote in")),
                    };
                    if let Some(message) = problem {
                        findings.push(Finding {
                            severity: Severity::Error,
                            check: "quote_source".into(),
                            obs_id: id.clone(),
                            message,
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_is_dated_by_its_own_sentence() {
        let text = "Báo cáo năm 2023. Tính đến ngày 16/6, đã cài đặt 440.000 trường hợp. Toàn tỉnh có 30 xã.";
        let s = sentence_of(text, "đã cài đặt 440.000 trường hợp").unwrap();
        assert_eq!(s, "Tính đến ngày 16/6, đã cài đặt 440.000 trường hợp");
        assert!(dated(s));
        let s = sentence_of(text, "Toàn tỉnh có 30 xã").unwrap();
        assert!(!dated(s), "{s}");
        assert!(sentence_of(text, "không có").is_none());
        assert!(
            dated("06 tháng đầu năm 2023, đạt 66,79%") && dated("Chiều 12/5, công bố") && dated("trong 2024")
        );
        assert!(!dated("đạt 1.128.438 thẻ, tăng 20/ 25") && !dated("Kết quả là 22/25 dịch vụ"));
    }
}
