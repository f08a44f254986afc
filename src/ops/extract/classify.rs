//! Which indicator a figure measures: the words around it scored against the Vietnamese words
//! the indicator catalog (`indicators.csv`) carries for each indicator, weighted by closeness,
//! with the figure's form (a percentage, a count out of a total, days, a rank, a change) deciding
//! between indicators of different units.
use std::sync::OnceLock;

use datafusion::arrow::array::Array;

use super::figures::Figure;
use super::text::{phrase_at, words, Word};
use crate::storage::build::read_table;
use crate::storage::datasets::Datasets;
use crate::storage::schema::table_def;
use crate::storage::text::strings;

/// One indicator as the classifier sees it.
#[derive(Debug, Clone)]
pub struct Indicator {
    /// Code.
    pub code: String,
    /// Unit (`count`, `percent`, `rank`, `days`, `minutes`).
    pub unit: String,
    /// Kind (`stock`, `flow`, `ratio`, `attainment`, `change`, `rank`).
    pub kind: String,
    /// For a share: the count it is a share of (`cccd_issued_rate` of `cccd_cards_issued`).
    pub rate_of: Option<String>,
    /// Folded word sequences that name it.
    phrases: Vec<Vec<String>>,
}

/// The built-in indicator catalog, loaded once.
pub fn catalog() -> &'static [Indicator] {
    static CELL: OnceLock<Vec<Indicator>> = OnceLock::new();
    CELL.get_or_init(|| {
        // The catalog is compiled in: one that does not parse is a mistake in the build, which
        // every extraction test finds.
        let def = table_def("indicators").expect("the built-in indicators table");
        let batches = read_table(&Datasets::Embedded, def).expect("the built-in indicator catalog parses");
        let mut out = Vec::new();
        for b in &batches {
            let col = |name: &str| strings(b, name);
            let (Some(code), Some(unit), Some(kind), Some(name), Some(keywords)) =
                (col("code"), col("unit"), col("kind"), col("name_vi"), col("keywords"))
            else {
                continue;
            };
            let rate_of = col("rate_of");
            for i in 0..b.num_rows() {
                let mut phrases: Vec<Vec<String>> = keywords
                    .value(i)
                    .split(';')
                    .chain(std::iter::once(name.value(i)))
                    .map(|p| words(p).into_iter().map(|w| w.folded).collect::<Vec<_>>())
                    .filter(|p| !p.is_empty())
                    .collect();
                let mut seen = std::collections::HashSet::new();
                phrases.retain(|p| seen.insert(p.clone()));
                out.push(Indicator {
                    code: code.value(i).to_string(),
                    unit: unit.value(i).to_string(),
                    kind: kind.value(i).to_string(),
                    rate_of: rate_of
                        .as_ref()
                        .filter(|r| r.is_valid(i) && !r.value(i).is_empty())
                        .map(|r| r.value(i).to_string()),
                    phrases,
                });
            }
        }
        out
    })
}

/// The catalog entry with `code`.
pub fn indicator(code: &str) -> Option<&'static Indicator> {
    catalog().iter().find(|i| i.code == code)
}

/// Words that end a figure's context (the next clause speaks of something else). A percentage
/// ends its clause at a comma or `và` too (`hồ sơ nhận trực tuyến tăng 21%, hồ sơ được số hóa
/// tăng 23,3% và thanh toán trực tuyến tăng 37,16%`); a count may not (`52 tin, bài`).
fn stops_after(text: &str, a: &Word, b: &Word, percent: bool) -> bool {
    let gap = &text[a.end..b.start];
    gap.contains([';', ')', ':']) || (percent && (gap.contains(',') || b.folded == "va"))
}

/// How strongly the words around figure `f` speak of `ind`.
fn score(text: &str, words: &[Word], figures: &[Figure], f: &Figure, ind: &Indicator) -> f64 {
    let i = f.word;
    let other_figure = |k: usize| figures.iter().any(|g| g.word == k && g.word != i);
    // For each phrase, its best match: (weight, first word, one past the last word).
    let mut found: Vec<(f64, usize, usize)> = Vec::new();
    let mut head = false;
    // A percentage is also named by the words of the count it is a share of (`974.000 căn cước
    // công dân đã được cấp, đạt 93,72%`), a little below the share's own words.
    // A running total (`cccd_applications_total`) lends the words of what it totals too.
    let of = ind.rate_of.as_deref().filter(|_| f.percent);
    let borrowed = of.into_iter().chain(of.and_then(|c| c.strip_suffix("_total"))).filter_map(indicator);
    let phrases =
        ind.phrases.iter().map(|p| (p, 1.0)).chain(borrowed.flat_map(|c| c.phrases.iter().map(|p| (p, 0.8))));
    for (phrase, weight) in phrases {
        let phrase: Vec<&str> = phrase.iter().map(String::as_str).collect();
        let len = phrase.len();
        let size = (len as f64).powf(1.5) * weight;
        let mut best: Option<(f64, usize, usize)> = None;
        let mut keep = |w: f64, at: usize| {
            if best.is_none_or(|b| w * size > b.0) {
                best = Some((w * size, at, at + len));
            }
        };
        // After the number: what it counts (`52 tin`, `23/25 dịch vụ công thiết yếu`).
        let mut k = i + 1;
        while k < words.len() && k <= i + 14 {
            if other_figure(k) || stops_after(text, &words[k - 1], &words[k], f.percent) {
                break;
            }
            if phrase_at(words, k, &phrase) {
                let d = (k - i - 1) as f64;
                head |= d == 0.0;
                keep(1.3 / (1.0 + d / 3.0), k);
            }
            k += 1;
        }
        // Before the number: what is measured (`tỷ lệ hồ sơ trực tuyến toàn trình đạt 78%`). A rate
        // may look back past the count it is a rate of; a count stops at the figure before it.
        let mut crossed = 0;
        let mut k = i;
        while k > 0 && i - k < 24 {
            k -= 1;
            if text[words[k].end..words[k + 1].start].contains([';', ':']) {
                break;
            }
            if other_figure(k) {
                crossed += 1;
                if crossed > 1 || !f.percent {
                    break;
                }
                continue;
            }
            if k + len <= i && phrase_at(words, k, &phrase) {
                let d = (i - (k + len)) as f64;
                let penalty = if crossed > 0 { 0.4 } else { 1.0 };
                keep(penalty / (1.0 + d / 4.0), k);
            }
        }
        found.extend(best);
    }
    // The best phrase decides; other phrases elsewhere in the context add a little. A phrase
    // inside the best one's words (`định danh điện tử` in `tài khoản định danh điện tử`) adds nothing.
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let Some(&(top, from, to)) = found.first() else { return 0.0 };
    let others: f64 = found.iter().skip(1).filter(|(_, a, b)| *b <= from || *a >= to).map(|x| x.0).sum();
    // The word right after a count names what is counted (`25.000 lượt`): the strongest clue.
    let head_bonus = if head { 1.5 } else { 1.0 };
    (top + 0.25 * others) * head_bonus * fit(f, ind)
}

/// How well the figure's form fits the indicator's unit and kind.
fn fit(f: &Figure, ind: &Indicator) -> f64 {
    let mut m = match (f.percent, ind.unit.as_str()) {
        (true, "percent") | (false, "count") | (false, "minutes") | (false, "days") | (false, "rank") => 1.0,
        _ => 0.15,
    };
    match (f.unit, ind.unit.as_str()) {
        (Some(u), unit) if u == unit => m *= 2.0,
        (Some(_), _) => m *= 0.3,
        (None, "days") | (None, "minutes") => m *= 0.3,
        _ => {}
    }
    match (f.change, ind.kind == "change") {
        (true, true) => m *= 2.0,
        (true, false) | (false, true) => m *= 0.3,
        _ => {}
    }
    if f.denominator.is_some() && ind.unit == "count" {
        m *= 1.2;
    }
    m
}

/// The indicator figure `f` most likely measures and a confidence in 0..1; `None` when nothing fits.
pub fn classify(text: &str, words: &[Word], figures: &[Figure], f: &Figure) -> (Option<&'static str>, f64) {
    let mut scored: Vec<(f64, &Indicator)> = catalog()
        .iter()
        .map(|ind| (score(text, words, figures, f, ind), ind))
        .filter(|(s, _)| *s > 0.0)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    if std::env::var_os("CHISO_DEBUG_CLASSIFY").is_some() {
        eprintln!(
            "{:?} {:?}",
            &text[f.start..f.end],
            scored.iter().take(4).map(|(s, i)| (i.code.as_str(), *s)).collect::<Vec<_>>()
        );
    }
    let Some(&(best, ind)) = scored.first() else {
        return (None, 0.1);
    };
    let second = scored.get(1).map(|s| s.0).unwrap_or(0.0);
    let confidence = (best / (best + second)) * (best / 2.0).min(1.0);
    if best < 0.6 {
        return (None, confidence.min(0.3));
    }
    (Some(ind.code.as_str()), (confidence * 100.0).round() / 100.0)
}
