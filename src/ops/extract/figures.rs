//! Figures in a sentence: numbers as Vietnamese reports write them, with what the words around
//! them say (qualifier, change, range, target), and the numbers that are not figures left out:
//! dates, years, durations, document numbers, programme names, list numbering, levels, clock times.
use super::text::{phrase_at, Word};
use crate::numbers::{parse_digits, scale_of};

/// One figure found in a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Byte range of the figure in the sentence (number, `/total`, `%`, scale word).
    pub start: usize,
    /// End of that range.
    pub end: usize,
    /// Index of the figure's word in the sentence's words.
    pub word: usize,
    /// The value (negative for a fall: `giảm 11 bậc`).
    pub value: f64,
    /// `x` of `x/y`.
    pub numerator: Option<f64>,
    /// `y` of `x/y`.
    pub denominator: Option<f64>,
    /// Written with `%`.
    pub percent: bool,
    /// `exact`, `approx`, `lower_bound` or `upper_bound`.
    pub qualifier: &'static str,
    /// A change from an earlier figure (`tăng 5,41% so với tháng 3/2023`), not a level.
    pub change: bool,
    /// A target the sentence states for this figure (`đạt 66,79% (vượt mục tiêu 16,79%)` → 50).
    pub target: Option<f64>,
    /// The unit the next word gives (`days`, `minutes`), or `rank` after `vị trí`.
    pub unit: Option<&'static str>,
}

/// Words before a number that make it a reference, a date part or a label rather than a figure.
const NOT_AFTER: &[&[&str]] = &[
    &["so"],
    &["bieu"],
    &["bang"],
    &["phu", "luc"],
    &["de", "an"],
    &["chi", "thi"],
    &["quyet", "dinh"],
    &["nghi", "quyet"],
    &["nghi", "dinh"],
    &["ke", "hoach"],
    &["cong", "van"],
    &["van", "ban"],
    &["thong", "bao"],
    &["bao", "cao"],
    &["thong", "tu"],
    &["muc", "do"],
    &["muc"],
    &["cap", "do"],
    &["ngay"],
    &["thang"],
    &["nam"],
    &["quy"],
    &["khanh"],
    &["giai", "doan"],
    &["phien", "hop", "thu"],
    &["lan", "thu"],
    &["dot"],
    &["khoa"],
    &["dieu"],
    &["khoan"],
    &["sinh"],
    &["ma"],
    &["luc"],
    &["anh"],
    &["hinh"],
];

/// Words after a number that make it a duration, a clock time or a period, not a figure.
const NOT_BEFORE: &[&str] = &["thang", "nam", "gio", "tuoi", "quy"];

fn ends_with(words: &[Word], at: usize, phrase: &[&str]) -> bool {
    at >= phrase.len() && phrase_at(words, at - phrase.len(), phrase)
}

fn folded(words: &[Word], i: usize) -> &str {
    words.get(i).map(|w| w.folded.as_str()).unwrap_or("")
}

/// Parse `a` or `a/b` (one word) into (value, numerator, denominator).
fn parse_word(word: &str) -> Option<(f64, Option<f64>, Option<f64>)> {
    match word.split_once('/') {
        Some((a, b)) => {
            let (a, b) = (parse_digits(a)?, parse_digits(b)?);
            Some((a, Some(a), Some(b)))
        }
        None => parse_digits(word).map(|v| (v, None, None)),
    }
}

/// Is the `x/y` word a day/month date (`02/9`, `15/4`) rather than a count out of a total?
fn looks_like_date(text: &str, words: &[Word], i: usize) -> bool {
    let word = &text[words[i].start..words[i].end];
    let parts: Vec<&str> = word.split('/').collect();
    if parts.len() > 2 {
        return true; // d/m/yyyy
    }
    let (Ok(d), Ok(m)) = (parts[0].parse::<u32>(), parts.get(1).unwrap_or(&"").parse::<u32>()) else {
        return false;
    };
    if !(1..=31).contains(&d) || !(1..=12).contains(&m) {
        return false;
    }
    let date_word_before =
        matches!(folded(words, i.wrapping_sub(1)), "ngay" | "khanh" | "den" | "tu" | "truoc" | "sau" | "tet");
    // A count out of a total is followed by what it counts; a date by punctuation or nothing.
    let gap = &text[words[i].end..words.get(i + 1).map(|w| w.start).unwrap_or(text.len())];
    let followed_by_word = words.get(i + 1).is_some() && gap.trim().is_empty();
    date_word_before || !followed_by_word
}

/// Words that make the figure after them a goal; `chỉ tiêu` only when nothing says it was met.
const GOAL_WORDS: &[&[&str]] = &[
    &["muc", "tieu"],
    &["chi", "tieu"],
    &["phan", "dau"],
    &["huong", "toi"],
    &["phai", "dat"],
    &["ke", "hoach", "dat"],
];

/// Words before `chỉ tiêu` / `mục tiêu` that make it a goal reached, not one set.
const MET: &[&str] = &["hoan", "thanh", "dat", "vuot", "dich"];

/// Does a goal phrase stand before word `i`, within its clause and twelve words?
fn goal_before(text: &str, words: &[Word], i: usize) -> bool {
    let mut k = i;
    while k > 0 && i - k < 12 {
        if text[words[k - 1].end..words[k].start].contains([',', ';', '(', ':', '.']) {
            return false;
        }
        k -= 1;
        for goal in GOAL_WORDS {
            if phrase_at(words, k, goal) {
                let met = k > 0 && MET.contains(&folded(words, k - 1));
                return !met;
            }
        }
    }
    false
}

/// Inside “...” or "..." (a name or slogan, not a figure)?
fn quoted(text: &str, at: usize) -> bool {
    let before = &text[..at];
    let opens = before.matches('“').count();
    let closes = before.matches('”').count();
    opens > closes || before.matches('"').count() % 2 == 1
}

/// The figures of one sentence.
pub fn figures(text: &str, words: &[Word], line_words: usize) -> Vec<Figure> {
    let mut out: Vec<Figure> = Vec::new();
    // Page furniture (visitor counters, menus) sits on short lines.
    if line_words <= 7 {
        return out;
    }
    for (i, w) in words.iter().enumerate() {
        if !w.folded.starts_with(|c: char| c.is_ascii_digit())
            || !w.folded.bytes().all(|b| b.is_ascii_digit() || b"./,".contains(&b))
        {
            continue;
        }
        let raw = &text[w.start..w.end];
        // Document numbers: `628/QĐ-UBND`, `45-CT/TU`, `220-BC/BCSĐ`.
        let next_char = text[w.end..].chars().next();
        let prev_char = text[..w.start].chars().next_back();
        if matches!(next_char, Some('/') | Some('-')) || matches!(prev_char, Some('/') | Some('-')) {
            continue;
        }
        // List numbering at the start of a line: `1.`, `2.3.`.
        if i == 0 && matches!(next_char, Some('.') | Some(')')) {
            continue;
        }
        // `Văn bản số 761`, `mức độ 2`: a label right before the number (no punctuation between).
        let joined = i > 0 && text[words[i - 1].end..w.start].trim().is_empty();
        if (joined && NOT_AFTER.iter().any(|p| ends_with(words, i, p))) || quoted(text, w.start) {
            continue;
        }
        // `6 tháng`, `2 năm`, `21 giờ` are durations and clock times; but in `vị trí 56 năm 2022`
        // the year names when, and the figure stands.
        let year_follows = words
            .get(i + 2)
            .is_some_and(|n| n.folded.len() == 4 && n.folded.bytes().all(|b| b.is_ascii_digit()));
        if NOT_BEFORE.contains(&folded(words, i + 1)) && !year_follows {
            continue;
        }
        // `từ 7 đến 21 giờ`: both ends of a clock-time range.
        if folded(words, i.wrapping_sub(1)) == "tu"
            && folded(words, i + 1) == "den"
            && folded(words, i + 3) == "gio"
        {
            continue;
        }
        if raw.contains('/') && looks_like_date(text, words, i) {
            continue;
        }
        let Some((mut value, numerator, denominator)) = parse_word(raw) else { continue };
        // Years: 1900-2100 written as plain digits.
        if numerator.is_none() && !raw.contains(['.', ',']) && (1900.0..=2100.0).contains(&value) {
            continue;
        }
        // `1 trong 3 tỉnh`: the 1 is "one of", the 3 is the figure.
        if folded(words, i + 1) == "trong"
            && words.get(i + 2).is_some_and(|n| n.folded.starts_with(|c: char| c.is_ascii_digit()))
        {
            continue;
        }
        let mut end = w.end;
        let after = &text[w.end..];
        let percent = after.trim_start().starts_with('%');
        if percent {
            end = w.end + after.find('%').unwrap_or(0) + 1;
        }
        if !percent {
            let next_word = words.get(i + 1).map(|n| text[n.start..n.end].to_lowercase()).unwrap_or_default();
            if let Some(scale) = scale_of(&next_word) {
                value *= scale;
                end = words[i + 1].end;
            }
        }
        let prev = folded(words, i.wrapping_sub(1));
        let prev2 = folded(words, i.wrapping_sub(2));
        let next = folded(words, i + 1);
        let mut qualifier = match prev {
            "hon" if prev2 == "som" => "exact",
            "hon" | "tren" | "vuot" => "lower_bound",
            "gan" | "khoang" | "xap" | "uoc" => "approx",
            "xi" if prev2 == "xap" => "approx",
            "duoi" => "upper_bound",
            _ => "exact",
        };
        // A range `từ 95% đến 100%`: the first is a lower bound, the second an upper bound.
        if prev == "tu" && words.get(i + 1).is_some_and(|n| n.folded == "den") {
            qualifier = "lower_bound";
        }
        if prev == "den"
            && prev2.starts_with(|c: char| c.is_ascii_digit())
            && ends_with(words, i - 2, &["tu"])
        {
            qualifier = "upper_bound";
        }
        // `vượt mục tiêu 16,79%` states a target for the figure before it: not a figure itself.
        if ends_with(words, i, &["vuot", "muc", "tieu"]) || ends_with(words, i, &["vuot", "chi", "tieu"]) {
            if let Some(last) = out.last_mut().filter(|l| l.percent == percent) {
                last.target = Some(((last.value - value) * 1e6).round() / 1e6);
            }
            continue;
        }
        // A goal, not a result: `mục tiêu là đạt tối thiểu 500.000`, `phải đạt tối thiểu 50%`,
        // `hướng tới việc 80%`, `chỉ tiêu toàn quốc là 60%` (the target of the figure before it,
        // when it has the same form).
        if goal_before(text, words, i) {
            if let Some(last) = out.last_mut().filter(|l| l.percent == percent && l.target.is_none()) {
                last.target = Some(value);
            }
            continue;
        }
        // `còn 10 ngày nữa`: what is left to go, not a figure.
        if folded(words, i + 2) == "nua" {
            continue;
        }
        let rises = matches!(prev, "tang") || ends_with(words, i, &["tang", "them"]);
        let falls = matches!(prev, "giam") || ends_with(words, i, &["giam", "them"]);
        // The comparison may lead the sentence (`So với cùng kỳ, A tăng x%, B tăng y%`) or close
        // a list of changes (`A tăng x%, B tăng y%, đều so với năm 2023`).
        let compared = (0..words.len()).any(|k| phrase_at(words, k, &["so", "voi"]));
        let change = (rises || falls) && compared;
        if change && falls {
            value = -value;
        }
        let unit = match next {
            "ngay" => Some("days"),
            "phut" => Some("minutes"),
            _ if ends_with(words, i, &["vi", "tri"])
                || ends_with(words, i, &["vi", "tri", "thu"])
                || next == "bac" =>
            {
                Some("rank")
            }
            _ => None,
        };
        out.push(Figure {
            start: w.start,
            end,
            word: i,
            value,
            numerator,
            denominator,
            percent,
            qualifier,
            change,
            target: None,
            unit,
        });
    }
    drop_thresholds(text, words, &mut out);
    out
}

/// Words for bodies and units that a count out of a total (`4/13 sở`) may count.
const BODIES: &[&str] = &["so", "nganh", "dia", "huyen", "xa", "phuong", "don", "tinh", "co", "phong", "ban"];

/// `ở 4/13 sở, ngành, hồ sơ ... đạt tỷ lệ trên 80%`: a bound after a count of bodies in the same
/// clause is the bar they cleared, not a figure of its own.
fn drop_thresholds(text: &str, words: &[Word], out: &mut Vec<Figure>) {
    let counts: Vec<(usize, usize)> = out
        .iter()
        .filter(|f| f.denominator.is_some() && BODIES.contains(&folded(words, f.word + 1)))
        .map(|f| (f.start, f.end))
        .collect();
    out.retain(|f| {
        let bar = f.percent && f.qualifier == "lower_bound";
        !(bar && counts.iter().any(|(a, b)| *a < f.start && !text[*b..f.start].contains(';')))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::extract::text::words;

    fn values(text: &str) -> Vec<(f64, &'static str)> {
        figures(text, &words(text), 99).into_iter().map(|f| (f.value, f.qualifier)).collect()
    }

    #[test]
    fn number_forms() {
        assert_eq!(values("đã thu nhận 1.494.541 tài khoản"), [(1494541.0, "exact")]); // dots before 3-digit groups
        assert_eq!(values("đạt tỷ lệ 99,68%"), [(99.68, "exact")]); // comma: decimal
        assert_eq!(values("đạt tỷ lệ 85.7% và 86,23%"), [(85.7, "exact"), (86.23, "exact")]); // dot before 1 digit: decimal
        assert_eq!(values("thực hiện 23/25 dịch vụ"), [(23.0, "exact")]);
        assert_eq!(
            values("hơn 1,5 triệu thẻ và 8 nghìn hồ sơ"),
            [(1_500_000.0, "lower_bound"), (8000.0, "exact")]
        );
        assert_eq!(
            values("cấp gần 8.000 chữ ký số, khoảng 25.000 lượt"),
            [(8000.0, "approx"), (25000.0, "approx")]
        );
        assert_eq!(values("trên 750.000 người"), [(750000.0, "lower_bound")]);
        assert_eq!(values("đạt từ 95% đến 100% trên Cổng"), [(95.0, "lower_bound"), (100.0, "upper_bound")]);
    }

    #[test]
    fn not_figures() {
        assert!(values("theo Quyết định số 628/QĐ-UBND ngày 30/3/2022 của UBND").is_empty());
        assert!(values("Văn bản số 761/VPCP-KSTT và Chỉ thị số 05/CT-TTg").is_empty());
        assert!(values("triển khai Đề án 06 trong 6 tháng đầu năm 2023").is_empty());
        assert!(values("trong kỳ nghỉ Lễ Quốc khánh 02/9, Công an").is_empty());
        assert!(values("từ 7 đến 21 giờ mỗi ngày, định danh mức độ 2").is_empty());
        assert!(values("sơ kết 2 năm thực hiện, tầm nhìn đến năm 2030").is_empty());
        assert!(values("thực hiện “cao điểm 70 ngày, đêm” trên địa bàn").is_empty());
        assert_eq!(values("1. Kết quả đạt được trong quý với 12 nhiệm vụ"), [(12.0, "exact")]);
        // Goals, the bar a count of bodies cleared, what is left to go, a photo's number.
        assert!(values("giai đoạn 1, mục tiêu là đạt tối thiểu 500.000 tài khoản ĐDĐT").is_empty());
        assert!(values("tỷ lệ hồ sơ được giải quyết trực tuyến phải đạt tối thiểu 50%").is_empty());
        assert_eq!(
            values("ở 4/13 sở, ngành, hồ sơ được nhận trực tuyến đạt tỷ lệ trên 80%"),
            [(4.0, "exact")]
        );
        assert!(values("đến nay, đợt cao điểm chỉ còn 10 ngày nữa là khép lại").is_empty());
        assert!(values("Ảnh 1. Ảnh minh họa tại trụ sở công an xã").is_empty());
        // A goal reached is a figure (`hoàn thành 100% chỉ tiêu`); the goal's own size is not.
        assert_eq!(values("Hà Tĩnh đã hoàn thành 100% chỉ tiêu về cấp CCCD"), [(100.0, "exact")]);
        assert_eq!(values("chỉ đạt 16,96% của chỉ tiêu 185.255 tài khoản"), [(16.96, "exact")]);
    }

    #[test]
    fn changes_targets_units() {
        let text = "tỷ lệ đạt 48,91%, tăng 5,41% so với tháng 3/2023";
        let f = figures(text, &words(text), 99);
        assert_eq!((f[1].value, f[1].change), (5.41, true));
        let text = "DTI giảm 11 bậc so với năm 2021";
        let f = figures(text, &words(text), 99);
        assert_eq!((f[0].value, f[0].change, f[0].unit), (-11.0, true, Some("rank")));
        let text = "tỷ lệ hồ sơ xử lý trực tuyến đạt 66,79% (vượt mục tiêu 16,79%)";
        let f = figures(text, &words(text), 99);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].target, Some(50.0));
        let text = "hồ sơ trực tuyến đạt tỉ lệ 94%, vượt mức chỉ tiêu toàn quốc là 60%";
        let f = figures(text, &words(text), 99);
        assert_eq!((f.len(), f[0].value, f[0].target), (1, 94.0, Some(60.0)));
        let text = "sớm hơn 65 ngày so với chỉ đạo; 1 trong 13 địa phương";
        let f = figures(text, &words(text), 99);
        assert_eq!((f[0].value, f[0].qualifier, f[0].unit), (65.0, "exact", Some("days")));
        assert_eq!(f[1].value, 13.0);
    }
}
