//! Figures from a report's tables: one row per unit (`Phường Quang Trung`, `Tổng`), one column
//! per indicator. A row's header is read as a unit within the report's province; a column's
//! headers, top to bottom, are scored against the catalog as a sentence would be; each number
//! cell is a candidate quoting its table, row and column. A total row is checked against the sum
//! of its rows and kept as reported, flagged where they disagree.
use chrono::NaiveDate;

use super::classify::{classify, indicator};
use super::context::{periods, Period};
use super::figures::Figure;
use super::places::{place_named, Place, Scope};
use super::tables::Table;
use super::text::words;
use super::Candidate;
use crate::numbers::parse_vn_number;
use crate::storage::reference::fold;

/// What a table's figures take from the report around it.
pub struct Around<'a> {
    /// Where unit names are looked up.
    pub scope: &'a Scope,
    /// The report's province (legacy code), for a total row.
    pub province: Option<&'a str>,
    /// The report's year, for a caption's date without one.
    pub year: Option<i32>,
    /// The report's day, if known.
    pub today: Option<NaiveDate>,
    /// The report's own period.
    pub report: Option<Period>,
    /// Source id for the rows.
    pub source_id: &'a str,
}

/// A number cell as written: `1.234`, `45,6`, `45,6%`, `23/25`; empty, `-` and words are none.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Number {
    value: f64,
    denominator: Option<f64>,
    percent: bool,
}

fn number(cell: &str) -> Option<Number> {
    let cell = cell.trim();
    let percent = cell.ends_with('%');
    let digits = cell.trim_end_matches('%').trim();
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if let Some((x, y)) = digits.split_once('/') {
        let (x, y) = (parse_vn_number(x)?, parse_vn_number(y)?);
        return Some(Number { value: x, denominator: Some(y), percent });
    }
    Some(Number { value: parse_vn_number(digits)?, denominator: None, percent })
}

/// A row of column numbers (`(1) (2) (3)`, `1 2 3`) under the headers.
fn numbering(row: &[String]) -> bool {
    let n: Vec<Option<usize>> = row
        .iter()
        .map(|c| c.trim_matches(['(', ')', ' ']))
        .filter(|c| !c.is_empty())
        .map(|c| c.parse().ok())
        .collect();
    n.len() >= 2 && n.iter().enumerate().all(|(k, c)| c.is_some() && *c == n[0].map(|f| f + k))
}

/// What a row header names.
#[derive(Debug, Clone, PartialEq)]
enum RowUnit {
    /// `Tổng`, `Tổng cộng`, `Cộng`, `Toàn tỉnh`: the report's province.
    Total,
    /// A unit named by the reference.
    Unit(Place),
}

/// Words that open a total row, folded.
const TOTALS: &[&str] = &["tong", "tong cong", "cong", "toan tinh", "toan thanh pho", "ca tinh"];

fn row_unit(cell: &str, scope: &Scope) -> Option<RowUnit> {
    // `1. Phường A`, `I. Khối xã`: leading numbering is not part of the name.
    let name = cell.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | ')' | ' '));
    let folded = fold(name);
    if !folded.starts_with(|c: char| c.is_alphabetic()) {
        return None;
    }
    if TOTALS.iter().any(|t| folded == *t || folded.starts_with(&format!("{t} "))) {
        return Some(RowUnit::Total);
    }
    place_named(name, scope).map(RowUnit::Unit)
}

/// A column's label: its header cells top to bottom, a merged cell once.
fn column_label(header: &[&Vec<String>], col: usize) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for row in header {
        let cell = row.get(col).map(|c| c.trim()).unwrap_or("");
        if !cell.is_empty() && parts.last() != Some(&cell) {
            parts.push(cell);
        }
    }
    parts.join(" - ")
}

/// What a reviewer is told of a total row that is not the sum of its rows.
fn total_disagrees(total: f64, sum: f64) -> String {
    format!(
        "the table's total row says {total} but its rows add up to {sum}: kept as reported; check the table"
    )
}

/// The candidates of `table` (their `obs_id`s are given later).
pub fn table_figures(table: &Table, around: &Around) -> Vec<Candidate> {
    let rows = &table.rows;
    let width = rows.first().map(Vec::len).unwrap_or(0);
    // The unit column: the first of the first three whose cells name units in most rows; each
    // cell of the first three columns is looked up once.
    let units: Vec<Vec<Option<RowUnit>>> =
        (0..width.min(3)).map(|col| rows.iter().map(|r| row_unit(&r[col], around.scope)).collect()).collect();
    let named = |col: usize| units[col].iter().filter(|u| u.is_some()).count();
    let Some(unit_col) =
        (0..units.len()).filter(|c| named(*c) > 0).max_by_key(|c| (named(*c), std::cmp::Reverse(*c)))
    else {
        return Vec::new();
    };
    let units = &units[unit_col];
    // The header: the rows above the first that names a unit (column numbers left out).
    let first = units.iter().position(Option::is_some).unwrap_or(0);
    let header: Vec<&Vec<String>> = rows[..first].iter().filter(|r| !numbering(r)).collect();
    let caption_day = table
        .caption
        .as_deref()
        .and_then(|c| periods(c, around.year, around.today).into_iter().max_by_key(|p| p.at));
    let period = caption_day.or(around.report);
    let mut out: Vec<Candidate> = Vec::new();
    for col in (0..width).filter(|c| *c != unit_col) {
        let label = column_label(&header, col);
        let folded = fold(&label);
        if matches!(folded.as_str(), "stt" | "tt" | "so tt" | "ghi chu") {
            continue;
        }
        let percent_column = label.contains('%') || folded.contains("ty le");
        let mut body: Vec<(f64, Candidate)> = Vec::new();
        let mut total: Option<Candidate> = None;
        for (r, row) in rows.iter().enumerate().skip(first) {
            let Some(unit) = units[r].clone() else { continue };
            let Some(n) = number(&row[col]) else { continue };
            let percent = n.percent || (percent_column && n.denominator.is_none());
            let written = row[col].trim();
            // The column's words, then the cell as a sentence would write it.
            let sentence = format!("{label} {written}{}", if percent && !n.percent { "%" } else { "" });
            let ws = words(&sentence);
            let at = label.len() + 1;
            let Some(word) = ws.iter().position(|w| w.start >= at) else { continue };
            let figure = Figure {
                start: at,
                end: sentence.len(),
                word,
                value: n.value,
                numerator: n.denominator.map(|_| n.value),
                denominator: n.denominator,
                percent,
                qualifier: "exact",
                change: false,
                target: None,
                unit: None,
            };
            let (mut code, confidence) = classify(&sentence, &ws, std::slice::from_ref(&figure), &figure);
            let entry = code.and_then(indicator);
            // A running total of a flow as of the table's day has its own indicator.
            if let (Some(i), Some(p)) = (entry, period) {
                if i.kind == "flow" && p.start.is_none() {
                    code = indicator(&format!("{}_total", i.code)).map(|i| i.code.as_str()).or(code);
                }
            }
            let entry = code.and_then(indicator);
            let of_stock = entry.is_some_and(|i| {
                let of = i.rate_of.as_deref().and_then(indicator).map(|c| c.kind.as_str());
                i.kind == "stock" || of == Some("stock") || (i.kind == "ratio" && of.is_none())
            });
            let place = match &unit {
                RowUnit::Total => None,
                RowUnit::Unit(p) => Some(p),
            };
            let quote = format!("{}, {}, {label}: {written}", table.name, row[unit_col].trim());
            let candidate = Candidate {
                obs_id: String::new(),
                indicator: code.map(str::to_string),
                geo_level: place.map(Place::level).unwrap_or("province"),
                province_code: match place {
                    Some(p) => p.province.clone(),
                    None => around.province.map(str::to_string),
                },
                district_code: place.and_then(|p| p.district.clone()),
                commune_code: place.and_then(|p| p.commune.clone()),
                period_start: if of_stock { None } else { period.and_then(|p| p.start) },
                period_end: period.map(|p| p.end),
                period_basis: match (caption_day, period) {
                    (Some(_), _) => Some("stated"),
                    (None, Some(_)) => Some("report_date"),
                    (None, None) => None,
                },
                value: n.value,
                numerator: figure.numerator,
                denominator: n.denominator,
                target: None,
                qualifier: "exact",
                source_id: around.source_id.to_string(),
                quote,
                confidence,
                start_byte: table.row_starts[r],
                end_byte: table.row_starts.get(r + 1).copied().unwrap_or(table.end),
                review: match period {
                    None => Some(super::NO_YEAR.to_string()),
                    Some(_) if caption_day.is_none() && around.today.is_none() => {
                        Some(super::REPORT_PERIOD.to_string())
                    }
                    _ => None,
                },
            };
            match unit {
                RowUnit::Total => total = Some(candidate),
                RowUnit::Unit(_) => body.push((n.value, candidate)),
            }
        }
        // A total of counts is the sum of its rows; of rates it is not.
        if let Some(t) =
            total.as_mut().filter(|_| !percent_column && body.iter().all(|(_, c)| c.denominator.is_none()))
        {
            let sum: f64 = body.iter().map(|(v, _)| v).sum();
            if !body.is_empty() && (sum - t.value).abs() > 0.5 {
                t.review = Some(total_disagrees(t.value, sum));
            }
        }
        out.extend(body.into_iter().map(|(_, c)| c));
        out.extend(total);
    }
    out.sort_by_key(|c| c.start_byte);
    out
}

/// Whether `quote` names a cell of one of `tables` (a report's, from [`super::tables::tables`])
/// as [`table_figures`] quotes it: the table's name, a cell of a row, each part of a column's
/// label above the quoted cell in its column, and the cell as written.
pub fn in_tables(tables: &[Table], quote: &str) -> bool {
    tables.iter().any(|t| {
        let Some(rest) = quote.strip_prefix(t.name.as_str()).and_then(|r| r.strip_prefix(", ")) else {
            return false;
        };
        t.rows.iter().enumerate().any(|(r, row)| {
            row.iter().any(|head| {
                let Some(rest) = rest.strip_prefix(head.trim()).and_then(|r| r.strip_prefix(", ")) else {
                    return false;
                };
                row.iter().enumerate().any(|(c, cell)| {
                    let Some(label) = rest.strip_suffix(cell.trim()).and_then(|l| l.strip_suffix(": "))
                    else {
                        return false;
                    };
                    !cell.trim().is_empty()
                        && label
                            .split(" - ")
                            .all(|part| t.rows[..r].iter().any(|above| above[c].trim() == part))
                })
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_cells_as_written() {
        let n = |v, d, p| Some(Number { value: v, denominator: d, percent: p });
        assert_eq!(number("1.234"), n(1234.0, None, false));
        assert_eq!(number("45,6%"), n(45.6, None, true));
        assert_eq!(number(" 45,6 "), n(45.6, None, false));
        assert_eq!(number("23/25"), n(23.0, Some(25.0), false));
        for none in ["", "-", "–", "x", "Phường A", "(1)"] {
            assert_eq!(number(none), None, "{none}");
        }
        assert!(numbering(&["(1)".into(), "(2)".into(), "(3)".into()]));
        assert!(numbering(&["1".into(), "2".into(), "".into(), "3".into()]));
        assert!(!numbering(&["Phường A".into(), "2".into()]) && !numbering(&["5".into(), "9".into()]));
    }
}
