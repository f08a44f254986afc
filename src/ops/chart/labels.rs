//! How numbers and dates are written on a chart: Vietnamese grouping (`1.494.541`, `99,68`) or the
//! international one (`1,494,541`, `99.68`), percentages marked, qualifiers shown as `≥`/`≈`/`≤`.
use chrono::{Datelike, NaiveDate};

/// Which number convention axis and value labels follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Locale {
    /// `1,494,541` and `99.68`.
    #[default]
    En,
    /// `1.494.541` and `99,68`, as Vietnamese reports write them.
    Vi,
}

impl Locale {
    fn separators(self) -> (char, char) {
        match self {
            Locale::En => (',', '.'),
            Locale::Vi => ('.', ','),
        }
    }
}

/// How a figure relates to the true value, from the `qualifier` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Stated exactly.
    Exact,
    /// A lower bound (`hơn`, `trên`): the true value is at least this.
    AtLeast,
    /// An upper bound.
    AtMost,
    /// Approximate (`khoảng`, `gần`).
    About,
}

impl Mark {
    /// The mark for a `qualifier` value; anything unknown counts as exact.
    pub fn from_qualifier(q: Option<&str>) -> Self {
        match q {
            Some("lower_bound") => Mark::AtLeast,
            Some("upper_bound") => Mark::AtMost,
            Some("approx") => Mark::About,
            _ => Mark::Exact,
        }
    }

    /// The sign written before a value with this mark (empty when exact).
    pub fn prefix(self) -> &'static str {
        match self {
            Mark::Exact => "",
            Mark::AtLeast => "≥",
            Mark::AtMost => "≤",
            Mark::About => "≈",
        }
    }
}

/// `value` with the locale's grouping and decimal mark, at most `decimals` decimals, trailing zeros dropped.
pub fn number(value: f64, locale: Locale, decimals: usize) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let (group, decimal) = locale.separators();
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    let mut out = String::new();
    if value < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    let digits = whole.len();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push(decimal);
        out.push_str(fraction);
    }
    out
}

/// A value label: qualifier sign, number, and `%` for percentages.
pub fn value(value: f64, locale: Locale, percent: bool, mark: Mark) -> String {
    let decimals = if percent || value.abs() < 100.0 { 2 } else { 0 };
    let suffix = if percent { "%" } else { "" };
    format!("{}{}{suffix}", mark.prefix(), number(value, locale, decimals))
}

/// An axis tick label: enough decimals for the tick step, `%` for percentages.
pub fn tick(value: f64, step: f64, locale: Locale, percent: bool) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 { 0 } else { (-step.log10()).ceil() as usize };
    let suffix = if percent { "%" } else { "" };
    format!("{}{suffix}", number(value, locale, decimals.min(6)))
}

/// The calendar date `days` after 1970-01-01.
pub fn date(days: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(days))
}

/// A date tick: the full date for spans under a year, the month otherwise.
pub fn date_tick(days: f64, span_days: f64) -> String {
    match date(days.round() as i64) {
        Some(d) if span_days > 400.0 => format!("{}-{:02}", d.year(), d.month()),
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_and_international_grouping() {
        assert_eq!(number(1494541.0, Locale::Vi, 0), "1.494.541");
        assert_eq!(number(1494541.0, Locale::En, 0), "1,494,541");
        assert_eq!(number(99.68, Locale::Vi, 2), "99,68");
        assert_eq!(number(99.5, Locale::En, 2), "99.5");
        assert_eq!(number(-1200.0, Locale::Vi, 0), "-1.200");
        assert_eq!(number(0.0, Locale::En, 2), "0");
        assert_eq!(number(123.0, Locale::Vi, 0), "123");
    }

    #[test]
    fn labels_carry_marks_and_percent() {
        assert_eq!(value(85.7, Locale::Vi, true, Mark::Exact), "85,7%");
        assert_eq!(value(750000.0, Locale::Vi, false, Mark::AtLeast), "≥750.000");
        assert_eq!(value(30.0, Locale::En, false, Mark::About), "≈30");
        assert_eq!(tick(2.5, 0.5, Locale::Vi, false), "2,5");
        assert_eq!(tick(40.0, 20.0, Locale::En, true), "40%");
        assert_eq!(date_tick(19538.0, 100.0), "2023-06-30");
    }
}
