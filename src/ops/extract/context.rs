//! When a figure is: the periods a sentence names (`tính đến ngày 15/4/2023`, `6 tháng đầu năm
//! 2023`), and the report's own period.
use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use crate::storage::reference::fold;

/// A period named in the text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    /// First day, `None` for a point in time (an as-of date).
    pub start: Option<NaiveDate>,
    /// Last day, or the as-of date.
    pub end: NaiveDate,
    /// Byte offset of the phrase in the sentence.
    pub at: usize,
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

pub(crate) fn month_end(y: i32, m: u32) -> Option<NaiveDate> {
    let next = if m == 12 { date(y + 1, 1, 1) } else { date(y, m + 1, 1) };
    next.and_then(|n| n.pred_opt())
}

struct Patterns {
    asof: Regex,
    day: Regex,
    month_edge: Regex,
    year_part: Regex,
    quarter: Regex,
    month: Regex,
    ytd: Regex,
    now: Regex,
    current: Regex,
    year: Regex,
    any_year: Regex,
}

fn patterns() -> &'static Patterns {
    static CELL: OnceLock<Patterns> = OnceLock::new();
    CELL.get_or_init(|| {
        // Constant patterns: a mistake in one fails every test that reads a report.
        let re = |p: &str| Regex::new(p).expect("a constant pattern");
        Patterns {
            // `tính đến 17h ngày 30-6-2023`, `đến hết ngày 15/4`: an as-of date, year optional.
            asof: re(
                r"(?i)(?:tính\s+)?(?:đến|tới)\s+(?:hết\s+)?(?:\d{1,2}\s*(?:h|giờ)(?:\s*\d{1,2})?(?:\s*phút)?\s+)?ngày\s+(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}))?",
            ),
            // `ngày 12-5`, `đến 3-9`, `từ 20/6`, `15/4/2023`: a day; a bare `d/m` or `d-m` only after
            // a word that introduces a date (`23/25` is a count).
            day: re(
                r"(?i)(?:(?:ngày|đến|tới|từ|hôm|sáng|trưa|chiều|tối)\s+(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}))?|\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\b)",
            ),
            // `đến tháng 7/2022`, `đến cuối tháng 12`: as of the month's last day (`đầu`: its first).
            month_edge: re(r"(?i)(?:đến|tới)\s+(?:(đầu|cuối|hết)\s+)?tháng\s+(\d{1,2})(?:[/.\-](\d{4}))?"),
            // `6 tháng đầu năm 2023`, `9 tháng đầu năm`, `sáu tháng cuối năm`: the year's first or
            // last months.
            year_part: re(r"(?i)(\d{1,2}|sáu|chín)\s+tháng\s+(đầu|cuối)\s+năm(?:\s+(\d{4}))?"),
            quarter: re(r"(?i)quý\s+(IV|I{1,3}|[1-4])\b(?:(?:\s*[/.\-]\s*|\s+(?:năm\s+)?)(\d{4}))?"),
            month: re(r"(?i)tháng\s+(\d{1,2})(?:(?:[/.\-]|\s+năm\s+)(\d{4}))?"),
            now: re(r"(?i)\b(?:đến|tới|cho\s+đến|hiện)\s+nay\b|\bhiện\s+tại\b"),
            // `trong quý`, `trong tháng này`, `trong năm qua`: the quarter, month or year of the
            // report's day (a number after it names another one: checked where it is used).
            current: re(r"(?i)\btrong\s+(quý|tháng|năm)(?:\s+(?:này|qua))?\b"),
            ytd: re(r"(?i)từ\s+đầu\s+năm(?:\s+(\d{4}))?\s+đến\s+nay"),
            year: re(r"(?i)năm\s+(\d{4})"),
            // A day or month before the year, not a year: `2022-2025` is a span of years.
            any_year: re(r"(?i)(?:năm\s+|\b\d{1,2}[/.\-])(\d{4})\b"),
        }
    })
}

/// The last 120 bytes or so of `text` before `at` (on a character boundary): all that
/// [`not_a_measurement`] reads, so a long report is not folded again for every date in it.
fn before(text: &str, at: usize) -> &str {
    let mut from = at.saturating_sub(120);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    &text[from..at]
}

/// Whether the clause after a date phrase says what must be done by it (`đến ngày 15-9-2023 mỗi
/// xã phải hoàn thành`): a deadline, not when a figure was measured.
fn obligation_after(text: &str, at: usize) -> bool {
    let mut to = (at + 60).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    let after = fold(text.get(at..to).unwrap_or(""));
    let clause =
        after.split(|c: char| matches!(c, ',' | ';' | '.' | ':') || c.is_ascii_digit()).next().unwrap_or("");
    clause.split_whitespace().take(6).any(|w| w == "phai")
}

/// Whether the words before a date phrase make it something other than when a figure was
/// measured: a comparison base (`so với tháng 3/2023`), a deadline (`trước ngày 30/4/2023`), a
/// horizon (`tầm nhìn đến năm 2030`) or a programme's period (`giai đoạn năm 2022-2025`), the date of a document cited (`Kế hoạch 407/KH-UBND ngày
/// 24-2-2023`), or the ends of a campaign's run (`kéo dài từ 20-6 đến 20-9-2023`). `before` is
/// folded (see [`fold`]).
fn not_a_measurement(before: &str) -> bool {
    static PATTERNS: OnceLock<[Regex; 2]> = OnceLock::new();
    let [document, duration] = PATTERNS.get_or_init(|| {
        // Constant patterns: a mistake in one fails every test that reads a report.
        let re = |p: &str| Regex::new(p).expect("a constant pattern");
        [
            re(r"\d+/[a-z0-9.\-/]*[a-z][a-z0-9.\-/]*\s*$"),
            re(r"keo dai\s+(?:tu\s+)?(?:ngay\s+)?(?:\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{4})?\s+)?$"),
        ]
    });
    let before = before.trim_end();
    ["so voi", "truoc", "han", "cham nhat", "tam nhin den", "tam nhin", "ban hanh", "giai doan"]
        .iter()
        .any(|w| before.ends_with(w))
        || document.is_match(before)
        || duration.is_match(&format!("{before} "))
}

/// Periods a sentence names, each with where it stands. `year` fills in a missing year and
/// `today` (the report's date) ends a "so far" period and stands for `đến nay`; when either is
/// unknown, a phrase that needs it gives no period rather than a guessed one. Phrases that are not
/// when a figure was measured are left out ([`not_a_measurement`]).
pub fn periods(text: &str, year: Option<i32>, today: Option<NaiveDate>) -> Vec<Period> {
    let p = patterns();
    let mut out: Vec<Period> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let num = |m: Option<regex::Match>| m.and_then(|m| m.as_str().parse::<i32>().ok());
    let mut add = |range: (usize, usize), period: Option<Period>, out: &mut Vec<Period>| {
        let overlaps = taken.iter().any(|(a, b)| range.0 < *b && *a < range.1);
        if !overlaps {
            taken.push(range);
            let measured =
                !not_a_measurement(&fold(before(text, range.0))) && !obligation_after(text, range.1);
            if let (Some(p), true) = (period, measured) {
                out.push(p);
            }
        }
    };
    let span = |m: regex::Match| (m.start(), m.end());
    for c in p.asof.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        let y = num(c.get(3)).or(year);
        let d = num(c.get(1)).zip(num(c.get(2))).zip(y).and_then(|((d, mo), y)| date(y, mo as u32, d as u32));
        add(m, d.map(|end| Period { start: None, end, at: m.0 }), &mut out);
    }
    for c in p.month_edge.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        let mo = num(c.get(2)).unwrap_or(0) as u32;
        let first = c.get(1).is_some_and(|e| fold(e.as_str()) == "dau");
        let end = num(c.get(3)).or(year).and_then(|y| if first { date(y, mo, 1) } else { month_end(y, mo) });
        add(m, end.map(|end| Period { start: None, end, at: m.0 }), &mut out);
    }
    for c in p.ytd.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        let start = num(c.get(1)).or(year).and_then(|y| date(y, 1, 1));
        add(m, start.zip(today).map(|(s, end)| Period { start: Some(s), end, at: m.0 }), &mut out);
    }
    for c in p.year_part.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        let months = match c.get(1).map(|n| fold(n.as_str())).as_deref() {
            Some("sau") => 6,
            Some("chin") => 9,
            _ => num(c.get(1)).unwrap_or(0) as u32,
        };
        let first = c.get(2).is_some_and(|h| fold(h.as_str()) == "dau");
        let period = num(c.get(3)).or(year).filter(|_| (1..12).contains(&months)).and_then(|y| {
            let (s, e) = if first {
                (date(y, 1, 1), month_end(y, months))
            } else {
                (date(y, 13 - months, 1), date(y, 12, 31))
            };
            s.zip(e).map(|(s, e)| Period { start: Some(s), end: e, at: m.0 })
        });
        add(m, period, &mut out);
    }
    for c in p.quarter.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        let q = match c.get(1).map(|q| q.as_str().to_ascii_uppercase()).as_deref() {
            Some("I") | Some("1") => 1,
            Some("II") | Some("2") => 2,
            Some("III") | Some("3") => 3,
            _ => 4,
        };
        let period = num(c.get(2)).or(year).and_then(|y| {
            let s = date(y, (q - 1) * 3 + 1, 1);
            s.zip(month_end(y, q * 3)).map(|(s, e)| Period { start: Some(s), end: e, at: m.0 })
        });
        add(m, period, &mut out);
    }
    for c in p.day.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        let (d, mo, y) = match c.get(1) {
            Some(_) => (num(c.get(1)), num(c.get(2)), num(c.get(3)).or(year)),
            None => (num(c.get(4)), num(c.get(5)), num(c.get(6))),
        };
        let end = d.zip(mo).zip(y).and_then(|((d, mo), y)| date(y, mo as u32, d as u32));
        add(m, end.map(|end| Period { start: None, end, at: m.0 }), &mut out);
    }
    for c in p.month.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        let mo = num(c.get(1)).unwrap_or(0) as u32;
        let period = num(c.get(2)).or(year).and_then(|y| {
            date(y, mo, 1).zip(month_end(y, mo)).map(|(s, e)| Period { start: Some(s), end: e, at: m.0 })
        });
        add(m, period, &mut out);
    }
    for c in p.now.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        add(m, today.map(|end| Period { start: None, end, at: m.0 }), &mut out);
    }
    for c in p.current.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        let next = text[m.1..].trim_start();
        if next.starts_with(|ch: char| ch.is_ascii_digit() || matches!(ch, 'I' | 'V')) {
            continue;
        }
        let unit = c.get(1).map(|u| fold(u.as_str())).unwrap_or_default();
        let period = today.and_then(|day| {
            let start = match unit.as_str() {
                "quy" => date(day.year(), (day.month0() / 3) * 3 + 1, 1),
                "thang" => date(day.year(), day.month(), 1),
                _ => date(day.year(), 1, 1),
            };
            start.map(|s| Period { start: Some(s), end: day, at: m.0 })
        });
        add(m, period, &mut out);
    }
    for c in p.year.captures_iter(text) {
        let Some(m) = c.get(0).map(span) else { continue };
        let period = num(c.get(1)).and_then(|y| date(y, 1, 1).zip(date(y, 12, 31))).map(|(s, e)| Period {
            start: Some(s),
            end: e,
            at: m.0,
        });
        add(m, period, &mut out);
    }
    out.sort_by_key(|p| p.at);
    // `Trong tháng 4/2023 (tính đến ngày 18/4/2023)`: a span cut short by the as-of day written
    // right after it is one period, the month so far.
    let mut k = 0;
    while k + 1 < out.len() {
        let (span, point) = (out[k], out[k + 1]);
        let cut = span.start.is_some_and(|s| s <= point.end)
            && point.start.is_none()
            && point.end < span.end
            && point.at - span.at < 60;
        if cut {
            out[k].end = point.end;
            out.remove(k + 1);
        }
        k += 1;
    }
    out
}

/// The report's own period and, when it can be known, the day it speaks from. With the report's
/// date `given`: its year, and that day. Otherwise from the text: the first half-year, quarter or
/// month it names, else the year it names most (horizons and cited documents aside); and the
/// latest date it names within that year, if any. `None` when no year can be known.
pub fn report_period(text: &str, given: Option<NaiveDate>) -> Option<(Period, Option<NaiveDate>)> {
    let year = match given {
        Some(day) => day.year(),
        None => {
            let mut year_counts: HashMap<i32, usize> = HashMap::new();
            for c in patterns().any_year.captures_iter(text) {
                let (Some(all), Some(y)) = (c.get(0), c.get(1).and_then(|y| y.as_str().parse::<i32>().ok()))
                else {
                    continue;
                };
                if (2015..=2035).contains(&y) && !not_a_measurement(&fold(before(text, all.start()))) {
                    *year_counts.entry(y).or_default() += 1;
                }
            }
            year_counts.into_iter().max_by_key(|(y, n)| (*n, *y)).map(|(y, _)| y)?
        }
    };
    let far = date(year, 12, 31)?;
    // Line by line, so the regexes (Unicode word boundaries) search short texts; measured on a
    // 1 MiB report this saves little (about 3 %), but costs nothing.
    let mut all = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        all.extend(periods(line, Some(year), None).into_iter().map(|p| Period { at: p.at + offset, ..p }));
        offset += line.len();
    }
    let latest_point = all.iter().filter(|p| p.start.is_none() && p.end.year() == year).map(|p| p.end).max();
    let named_span = all.iter().find(|p| p.start.is_some() && p.end != far && p.end.year() == year).copied();
    // The latest day the text gives figures as of (`đến tháng 7/2022`, `tính đến ngày 16/6`), not
    // the date of a meeting or a document.
    let latest_asof = all
        .iter()
        .filter(|p| p.start.is_none() && p.end.year() == year)
        .filter(|p| {
            let mut end = (p.at + 16).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let from = fold(text.get(p.at..end).unwrap_or(""));
            ["den ", "toi ", "tinh den "].iter().any(|w| from.starts_with(w))
        })
        .map(|p| p.end)
        .max();
    let span = match (named_span, given.or(latest_point)) {
        // A report on a half-year that also gives figures as of a later day speaks from that day.
        (Some(span), _) if latest_asof.is_some_and(|day| day > span.end) => {
            Period { start: span.start, end: latest_asof.unwrap_or(span.end), at: 0 }
        }
        (Some(span), _) => span,
        // A report that names no shorter period speaks from its own day.
        (None, Some(day)) => Period { start: None, end: day, at: 0 },
        (None, None) => Period { start: date(year, 1, 1), end: far, at: 0 },
    };
    // `đến nay` in a report on a period is no earlier than the period's end: a day inside the
    // period (`đầu tháng 8` in a report on August, `27/5` in a half-year review) is not the
    // report's own day.
    let inside =
        |day: NaiveDate| named_span.is_some_and(|p| p.start.is_some_and(|s| s <= day) && day < p.end);
    let today = given.or(latest_point.map(|day| if inside(day) { span.end.max(day) } else { day }));
    Some((span, today))
}
