//! `extract`: candidate observations from a Vietnamese report, for a person to review and then
//! ingest. Built from the language (number forms, qualifier words, period and place phrases, the
//! catalog's vocabulary), not from particular reports: the text split into sentences ([`text`]),
//! number figures ([`figures`]), their dates and qualifiers ([`context`]), places ([`places`]), the indicator
//! ([`classify`]), figures from tables ([`tables`], [`table_figures`]), and the score on the seed
//! reports ([`eval`]).
pub mod classify;
pub mod context;
pub mod eval;
pub mod figures;
pub mod places;
pub mod read;
pub mod table_figures;
pub mod tables;
pub mod text;

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use self::classify::{classify, indicator};
use self::context::{periods, report_period};
use self::figures::figures;
use self::places::{places, points_back, report_province, Back, Place, Scope};
use self::table_figures::{table_figures, Around};
use self::tables::{tables, Table};
use self::text::{phrase_at, sentences, words};
use crate::engine::QueryResult;
use crate::storage::schema::schema;

/// One candidate observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// `<source_id>-xNNN`.
    pub obs_id: String,
    /// Indicator code, `None` when no catalog entry fits.
    pub indicator: Option<String>,
    /// `national`, `province`, `district` or `commune`.
    pub geo_level: &'static str,
    /// Province code, when known.
    pub province_code: Option<String>,
    /// District code, for district and commune figures.
    pub district_code: Option<String>,
    /// Commune code, for commune figures.
    pub commune_code: Option<String>,
    /// First day covered (`None` for a stock).
    pub period_start: Option<NaiveDate>,
    /// As-of date.
    pub period_end: Option<NaiveDate>,
    /// Where the period comes from: `stated` beside the figure, `report_date` (the report's own
    /// date or period) or `inferred` (the last day of the month the report is dated by); `None`
    /// when there is no period.
    pub period_basis: Option<&'static str>,
    /// The figure.
    pub value: f64,
    /// `x` of `x/y`.
    pub numerator: Option<f64>,
    /// `y` of `x/y`.
    pub denominator: Option<f64>,
    /// A stated target.
    pub target: Option<f64>,
    /// `exact`, `approx`, `lower_bound`, `upper_bound`.
    pub qualifier: &'static str,
    /// Source id.
    pub source_id: String,
    /// The clause that states the figure, verbatim.
    pub quote: String,
    /// How sure the indicator is, 0..1.
    pub confidence: f64,
    /// Byte offset of the figure in the report.
    pub start_byte: usize,
    /// Byte offset just past the figure.
    pub end_byte: usize,
    /// Why the row needs the reviewer's attention beyond the usual check, if it does.
    pub review: Option<String>,
}

/// What the extractor is told about a report.
#[derive(Debug, Clone, Default)]
pub struct ReportHints {
    /// Source id for the rows.
    pub source_id: String,
    /// The report's province, when the text does not make it clear.
    pub province: Option<String>,
    /// The report's date, when known outside the text (`--date`, the `sources` row): it gives a
    /// date without a year its year, and `đến nay` its day.
    pub date: Option<ReportDate>,
}

/// When a report was written, as far as anyone knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportDate {
    /// The day is known (`2023-05-14`).
    Day(NaiveDate),
    /// Only the month is known (`2023-06`, an article dated by its address or a page field): the
    /// month's last day stands for it, and rows dated by it say `inferred`.
    Month(NaiveDate),
}

impl ReportDate {
    /// `YYYY-MM-DD`, or `YYYY-MM` for a month.
    pub fn parse(text: &str) -> Option<ReportDate> {
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Some(ReportDate::Day(day));
        }
        let (y, m) = text.split_once('-').filter(|(y, m)| y.len() == 4 && m.len() == 2)?;
        let m = m.parse().ok().filter(|m| (1..=12).contains(m))?;
        context::month_end(y.parse().ok()?, m).map(ReportDate::Month)
    }

    /// The day that stands for it.
    pub fn day(self) -> NaiveDate {
        match self {
            ReportDate::Day(d) | ReportDate::Month(d) => d,
        }
    }
}

/// What a reviewer is told of a row whose period cannot be known.
pub const NO_YEAR: &str = "no date: the text names no year; give the report's date (--date YYYY-MM-DD)";

/// What a reviewer is told of a row dated by the report's period because its sentence names no
/// date and the report's own day is not known.
pub const REPORT_PERIOD: &str = "date not stated: the report's period; check it, or give --date";

/// What a reviewer is told of a count over a period whose start the text does not give.
pub const FLOW_START: &str =
    "a count over a period, but the text gives no start: fill period_start, or pick a running-total indicator";

/// What a reviewer is told of a row dated by the last day of the month the report is known by.
pub const REPORT_MONTH: &str =
    "date not stated: the last day of the report's month; check it, or give --date";

/// The clause around a figure, at most `max` bytes, cut at word boundaries: verbatim report text.
fn quote_around(sentence: &str, start: usize, end: usize, max: usize) -> &str {
    let clause_start = sentence[..start].rfind([';', '(', ':']).map(|i| i + 1).unwrap_or(0);
    let clause_end = sentence[end..].find([';', ')']).map(|i| end + i).unwrap_or(sentence.len());
    let (mut a, mut b) = (clause_start, clause_end);
    while b - a > max {
        // Trim the side farther from the figure, a word at a time.
        if start - a > b - end {
            a = sentence[a..start].find(' ').map(|i| a + i + 1).unwrap_or(start);
        } else {
            b = sentence[end..b].rfind(' ').map(|i| end + i).unwrap_or(end);
        }
    }
    sentence[a..b].trim_matches(|c: char| c.is_whitespace() || c == ',')
}

/// A whole year that has not ended on the report's day, in a sentence that states a result, is
/// the year so far (`Trong năm 2024, ... tiếp nhận 108.000 hồ sơ` in a report of August 2024); a
/// plan or a goal for the year (`kế hoạch`, `phấn đấu`, `chuẩn bị`, `cần`, `sẽ`) keeps the whole year.
fn so_far(p: context::Period, today: Option<NaiveDate>, planned: bool) -> context::Period {
    use chrono::Datelike;
    let whole_year = p.start.is_some_and(|s| s.ordinal() == 1 && s.year() == p.end.year())
        && (p.end.month(), p.end.day()) == (12, 31);
    match today {
        Some(day) if whole_year && !planned && day.year() == p.end.year() && day < p.end => {
            context::Period { end: day, ..p }
        }
        _ => p,
    }
}

/// Whether a sentence speaks of a plan or a goal rather than a result.
fn planned(sentence: &str, ws: &[text::Word]) -> bool {
    let ahead: &[&[&str]] = &[
        &["ke", "hoach"],
        &["phan", "dau"],
        &["muc", "tieu"],
        &["chi", "tieu"],
        &["du", "kien"],
        &["chuan", "bi"],
    ];
    // `cần` and `sẽ` as written: folded, or capitalised within a sentence, `cần` is also the
    // `Cần` of `Cần Giuộc`.
    let modal = ws.iter().enumerate().any(|(k, w)| {
        let word = &sentence[w.start..w.end];
        matches!(word, "cần" | "sẽ") || (k == 0 && matches!(word, "Cần" | "Sẽ"))
    });
    modal || (0..ws.len()).any(|k| ahead.iter().any(|w| phrase_at(ws, k, w)))
}

/// Candidate observations in `text`.
pub fn extract(text: &str, hints: &ReportHints) -> Vec<Candidate> {
    let province = hints.province.clone().or_else(|| report_province(text));
    // No year known: phrases that need one give no period, and such rows say so; no date is made up.
    let report = match hints.date {
        Some(ReportDate::Day(day)) => report_period(text, Some(day)),
        // A month is weaker than the text: it dates the report only where the text's own dates
        // give it no day, in the same year (a review of 2024 published in March 2025 keeps 2024).
        Some(ReportDate::Month(last)) => match report_period(text, None) {
            Some((p, None)) if chrono::Datelike::year(&p.end) == chrono::Datelike::year(&last) => {
                report_period(text, Some(last))
            }
            None => report_period(text, Some(last)),
            dated => dated,
        },
        None => report_period(text, None),
    };
    // Where the month's last day stands in for the report's day (`hiện nay`, or no date in the
    // sentence), rows dated by it are inferred.
    let by_month = |end: NaiveDate| {
        matches!(hints.date, Some(ReportDate::Month(d)) if d == end)
            && report.is_some_and(|(_, today)| today == Some(end))
    };
    let year = report.map(|(p, _)| chrono::Datelike::year(&p.end));
    let today = report.and_then(|(_, t)| t);
    let after_merger =
        report.is_some_and(|(p, _)| p.end >= chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or(p.end));
    let scope = Scope::new(province.as_deref(), after_merger);
    let mut out: Vec<Candidate> = Vec::new();
    // Units named before, for a sentence that names none: the last district and commune (for
    // `huyện thu nhận`, `toàn xã`) and the one this paragraph is about, if it names only one.
    let (mut last_district, mut last_commune): (Option<Place>, Option<Place>) = (None, None);
    let mut paragraph: Vec<Place> = Vec::new();
    let mut previous_place: Option<Place> = None;
    let mut paragraph_day: Option<context::Period> = None;
    let mut last_end = 0;
    let around = Around {
        scope: &scope,
        province: province.as_deref(),
        year,
        today,
        report: report.map(|(p, _)| p),
        source_id: &hints.source_id,
    };
    // Tables whose rows name units give their figures cell by cell, and their lines are not read
    // as sentences; a table that names none (a letterhead laid out in columns, text in a layout
    // table) is read as prose.
    let grids: Vec<(Table, Vec<Candidate>)> = tables(text)
        .into_iter()
        .map(|t| {
            let found = table_figures(&t, &around);
            (t, found)
        })
        .filter(|(_, found)| !found.is_empty())
        .collect();
    let in_table = |at: usize| grids.iter().any(|(t, _)| t.row_starts[0] <= at && at < t.end);
    for sentence in sentences(text).into_iter().filter(|s| !in_table(s.start)) {
        let ws = words(sentence.text);
        // `Trong đó, ...` (of which) goes on from the sentence before, even in a new paragraph.
        let goes_on = phrase_at(&ws, 0, &["trong", "do"]) || phrase_at(&ws, 0, &["trong", "so", "do"]);
        if text[last_end.min(sentence.start)..sentence.start].contains('\n') && !goes_on {
            paragraph.clear();
            paragraph_day = None;
            previous_place = None;
        }
        last_end = sentence.start + sentence.text.len();
        let wheres = places(sentence.text, &scope);
        let units: Vec<&Place> = wheres.iter().filter(|p| p.is_local()).collect();
        let back: Option<Option<Place>> = match points_back(sentence.text, &ws) {
            _ if !wheres.is_empty() => None,
            Some(Back::Province) => Some(None),
            Some(Back::District) => Some(last_district.clone()),
            Some(Back::Commune) => Some(last_commune.clone()),
            Some(Back::Same) => Some(previous_place.clone()),
            None => {
                let mut about = paragraph.iter().filter(|p| p.is_local());
                match (about.next(), about.next()) {
                    (Some(one), None) => Some(Some(one.clone())),
                    _ => None,
                }
            }
        };
        let back: Option<Place> = back.flatten();
        for unit in &units {
            let slot = if unit.commune.is_some() { &mut last_commune } else { &mut last_district };
            *slot = Some((*unit).clone());
        }
        paragraph.extend(units.iter().map(|p| (*p).clone()));
        let found = figures(sentence.text, &ws, sentence.line_words);
        if found.is_empty() {
            continue;
        }
        let when = periods(sentence.text, year, today);
        let a_plan = planned(sentence.text, &ws);
        let carried = paragraph_day;
        if let Some(p) = when.iter().filter(|p| p.start.is_none()).max_by_key(|p| p.at) {
            paragraph_day = Some(*p);
        }
        let mut previous: Option<String> = None;
        for f in &found {
            let (mut code, confidence) = classify(sentence.text, &ws, &found, f);
            // A change takes the indicator of the level it changes, where the catalog has one.
            // When the catalog has no change indicator for that level, the reviewer decides.
            let named_change = code.and_then(indicator).is_some_and(|i| i.kind == "change");
            if let (true, false, Some(level)) = (f.change, named_change, previous.as_ref()) {
                code = indicator(&format!("{level}_change")).map(|i| i.code.as_str());
            }
            previous = code.map(str::to_string).filter(|_| !f.change);
            let near = |at: usize| (at as i64 - f.start as i64).unsigned_abs();
            // The date phrase of the figure's own clause: one after it with no comma between
            // (`đạt 95% tính đến 30/6`), else the nearest before it (`Kết quả 6 tháng đầu năm,
            // ... thu nhận 84.764 hồ sơ, đến ngày 27/5 đã hoàn thành ...` is the half-year's),
            // else the nearest after it; in a sentence with none, the last as-of day its
            // paragraph named (`Đến đầu tháng 8/2024, ... Toàn tỉnh có 50 cơ sở ...`).
            let same_clause = |p: &&context::Period| {
                p.at >= f.end && !sentence.text[f.end..p.at].contains([',', ';', ':', '('])
            };
            let stated = when
                .iter()
                .filter(same_clause)
                .min_by_key(|p| near(p.at))
                .or_else(|| when.iter().filter(|p| p.at < f.start).max_by_key(|p| p.at))
                .or_else(|| when.iter().min_by_key(|p| near(p.at)))
                .copied()
                .or(carried);
            let period = stated.or(report.map(|(p, _)| p)).map(|p| so_far(p, today, a_plan));
            // A figure belongs to the unit it follows (`huyện A đạt x%; huyện B đạt y%`), else to
            // the one its sentence names after it, else to the one the sentence points back to.
            // The nation only for what follows it closely in the same clause (`cả nước có 13
            // tỉnh`), and `1 trong 13` only for the 13.
            let national_fits = |p: &Place| {
                !p.is_national()
                    || p.at == f.start
                    || (!p.only_at
                        && f.start - p.at < 80
                        && !sentence.text[p.at..f.start].contains([';', ',']))
            };
            let place = wheres
                .iter()
                .filter(|p| p.at <= f.start && national_fits(p))
                .max_by_key(|p| p.at)
                .or_else(|| {
                    wheres.iter().filter(|p| !p.is_national() && p.at > f.start).min_by_key(|p| near(p.at))
                })
                .or(back.as_ref());
            previous_place = place.cloned().or(previous_place.take());
            // Running totals and period totals are told apart by the period the sentence states:
            // a count of a flow as of a day is its running total, a stock's count over a period is
            // what was added in it, where the catalog has those siblings.
            // A flow dated by the report's day alone (`hiện đã nhận được`) is a running total too.
            if let (Some(c), Some(p)) = (code, period) {
                let sibling = match (indicator(c).map(|i| i.kind.as_str()), p.start, stated.is_some()) {
                    (Some("flow"), None, _) => indicator(&format!("{c}_total")),
                    (Some("stock"), Some(_), true) => indicator(&format!("{c}_in_period")),
                    _ => None,
                };
                code = sibling.map(|i| i.code.as_str()).or(code);
            }
            // A stock, or a share of one (`tỷ lệ kích hoạt` of accounts held), is as of a day.
            // A share its sentence does not date is the state at the report's end, unless it is a
            // share of a flow (`tỷ lệ hồ sơ trực tuyến` of the dossiers received in the period).
            let entry = code.and_then(indicator);
            let stock = entry.is_some_and(|i| {
                let of = i.rate_of.as_deref().and_then(indicator).map(|c| c.kind.as_str());
                i.kind == "stock"
                    || of == Some("stock")
                    || (i.kind == "ratio" && of.is_none() && stated.is_none())
            });
            let flow = entry.is_some_and(|i| i.kind == "flow");
            let start = sentence.start;
            out.push(Candidate {
                obs_id: String::new(),
                indicator: code.map(str::to_string),
                geo_level: place.map(Place::level).unwrap_or("province"),
                province_code: match place {
                    Some(p) => p.province.clone(),
                    None => province.clone(),
                },
                district_code: place.and_then(|p| p.district.clone()),
                commune_code: place.and_then(|p| p.commune.clone()),
                period_start: if stock { None } else { period.and_then(|p| p.start) },
                period_end: period.map(|p| p.end),
                period_basis: match (stated, period) {
                    (_, Some(p)) if by_month(p.end) => Some("inferred"),
                    (Some(_), _) => Some("stated"),
                    (None, Some(_)) => Some("report_date"),
                    (None, None) => None,
                },
                value: f.value,
                numerator: f.numerator,
                denominator: f.denominator,
                target: f.target,
                qualifier: f.qualifier,
                source_id: hints.source_id.clone(),
                quote: quote_around(sentence.text, f.start, f.end, 200).to_string(),
                confidence,
                start_byte: start + f.start,
                end_byte: start + f.end,
                review: match (period, stated, today) {
                    (None, _, _) => Some(NO_YEAR),
                    (Some(p), _, _) if flow && p.start.is_none() => Some(FLOW_START),
                    (Some(_), None, None) => Some(REPORT_PERIOD),
                    (Some(p), _, Some(_)) if by_month(p.end) => Some(REPORT_MONTH),
                    _ => None,
                }
                .map(str::to_string),
            });
        }
    }
    out.extend(grids.into_iter().flat_map(|(_, found)| found));
    out.sort_by_key(|c| c.start_byte);
    // A headline repeated in the body states the same figure twice, and so does a summary that
    // repeats a count out of a total (`4/13 sở`) for the same unit and period: keep the first.
    let mut kept: Vec<Candidate> = Vec::new();
    for c in out {
        let same = |k: &Candidate| {
            let one_figure = k.value == c.value
                && k.indicator == c.indicator
                && k.period_end == c.period_end
                && k.district_code == c.district_code
                && k.commune_code == c.commune_code;
            let quoted = k.quote.len() > 40
                && c.quote.contains(&k.quote)
                && c.start_byte.abs_diff(k.start_byte) > c.quote.len();
            let repeated_share = k.denominator.is_some() && k.denominator == c.denominator;
            one_figure && (quoted || repeated_share)
        };
        if !kept.iter().any(same) {
            kept.push(c);
        }
    }
    for (n, c) in kept.iter_mut().enumerate() {
        c.obs_id = format!("{}-x{:03}", hints.source_id, n + 1);
    }
    kept
}

/// The columns of extract's output: the `observations` columns, then confidence, byte range and
/// what needs review.
pub fn output_schema() -> SchemaRef {
    let mut fields: Vec<Field> =
        schema("observations").fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect();
    fields.push(Field::new("confidence", DataType::Float64, false));
    fields.push(Field::new("start_byte", DataType::Int64, false));
    fields.push(Field::new("end_byte", DataType::Int64, false));
    fields.push(Field::new("review", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// Candidates as a result table, for the usual output formats.
pub fn to_result(candidates: &[Candidate]) -> Result<QueryResult, datafusion::arrow::error::ArrowError> {
    let schema = output_schema();
    let text = |f: &dyn Fn(&Candidate) -> Option<String>| -> ArrayRef {
        Arc::new(candidates.iter().map(f).collect::<StringArray>())
    };
    let float = |f: &dyn Fn(&Candidate) -> Option<f64>| -> ArrayRef {
        Arc::new(candidates.iter().map(f).collect::<Float64Array>())
    };
    let day = |f: &dyn Fn(&Candidate) -> Option<NaiveDate>| -> ArrayRef {
        Arc::new(candidates.iter().map(|c| f(c).map(Date32Type::from_naive_date)).collect::<Date32Array>())
    };
    let columns: Vec<ArrayRef> = vec![
        text(&|c| Some(c.obs_id.clone())),
        text(&|c| c.indicator.clone()),
        text(&|c| Some(c.geo_level.to_string())),
        text(&|c| c.province_code.clone()),
        text(&|c| c.district_code.clone()),
        text(&|c| c.commune_code.clone()),
        day(&|c| c.period_start),
        day(&|c| c.period_end),
        float(&|c| Some(c.value)),
        float(&|c| c.numerator),
        float(&|c| c.denominator),
        float(&|c| c.target),
        text(&|c| Some(c.qualifier.to_string())),
        text(&|c| Some(c.source_id.clone())),
        text(&|c| Some(c.quote.clone())),
        text(&|c| c.period_basis.map(str::to_string)),
        float(&|c| Some(c.confidence)),
        Arc::new(candidates.iter().map(|c| c.start_byte as i64).collect::<Int64Array>()),
        Arc::new(candidates.iter().map(|c| c.end_byte as i64).collect::<Int64Array>()),
        text(&|c| c.review.clone()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(QueryResult { schema, batches: vec![batch] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_dates_by_day_or_month() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(ReportDate::parse("2023-05-14"), Some(ReportDate::Day(d(2023, 5, 14))));
        assert_eq!(ReportDate::parse("2023-06"), Some(ReportDate::Month(d(2023, 6, 30))));
        assert_eq!(ReportDate::parse("2024-02"), Some(ReportDate::Month(d(2024, 2, 29))));
        assert_eq!(ReportDate::parse("2023-12"), Some(ReportDate::Month(d(2023, 12, 31))));
        for bad in ["2023-13", "2023-00", "23-06", "2023/06", "2023-02-30", "June 2023"] {
            assert_eq!(ReportDate::parse(bad), None, "{bad}");
        }
    }
}
