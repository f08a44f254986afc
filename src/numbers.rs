//! Numbers as Vietnamese reports write them: `.` groups thousands and `,` marks decimals
//! (`1.494.541`, `99,68`), though reports also mix in `85.7`; scale words (`1,5 triệu`, `8 nghìn`).
//!
//! The rule for a lone separator: a `.` followed by groups of exactly three digits groups thousands,
//! otherwise it is a decimal point; a single `,` is a decimal comma (the Vietnamese convention),
//! several `,` with three-digit groups group thousands. With both, the last one is the decimal mark.

/// Parse one number token such as `1.494.541`, `99,68`, `85.7` or `1,5 triệu`; `None` if it is not one.
pub fn parse_vn_number(text: &str) -> Option<f64> {
    let text = text.trim().trim_end_matches('%').trim();
    let (digits, scale) = match text.split_once(char::is_whitespace) {
        Some((d, word)) => (d, scale_of(word.trim())?),
        None => (text, 1.0),
    };
    parse_digits(digits).map(|v| v * scale)
}

/// The multiplier a scale word stands for.
pub fn scale_of(word: &str) -> Option<f64> {
    match word.to_lowercase().as_str() {
        "nghìn" | "ngàn" => Some(1e3),
        "triệu" => Some(1e6),
        "tỷ" | "tỉ" => Some(1e9),
        _ => None,
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parse digits with `.`/`,` separators (no sign, no scale word).
pub fn parse_digits(token: &str) -> Option<f64> {
    let (negative, token) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let dots = token.matches('.').count();
    let commas = token.matches(',').count();
    let normal = match (dots, commas) {
        (0, 0) => all_digits(token).then(|| token.to_string())?,
        (_, 0) => grouped(token, '.').or_else(|| decimal(token, '.'))?,
        (0, _) if commas == 1 => decimal(token, ',')?,
        (0, _) => grouped(token, ',')?,
        _ => {
            let (group, mark) = if token.rfind('.') > token.rfind(',') { (',', '.') } else { ('.', ',') };
            let (int, frac) = token.rsplit_once(mark)?;
            let int = grouped(int, group).or_else(|| all_digits(int).then(|| int.to_string()))?;
            if !all_digits(frac) {
                return None;
            }
            format!("{int}.{frac}")
        }
    };
    let value: f64 = normal.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// `1.494.541` → `1494541` when every group after the first has exactly three digits.
fn grouped(token: &str, sep: char) -> Option<String> {
    let mut parts = token.split(sep);
    let first = parts.next()?;
    if !all_digits(first) || first.len() > 3 {
        return None;
    }
    let mut out = first.to_string();
    let mut any = false;
    for part in parts {
        if part.len() != 3 || !all_digits(part) {
            return None;
        }
        out.push_str(part);
        any = true;
    }
    any.then_some(out)
}

/// `99,68` → `99.68`: exactly one separator with digits on both sides.
fn decimal(token: &str, sep: char) -> Option<String> {
    let (int, frac) = token.split_once(sep)?;
    (all_digits(int) && all_digits(frac)).then(|| format!("{int}.{frac}"))
}

/// Every number written in `text`, with the parts of `x/y` and scaled values (`1,5 triệu`) included.
pub fn numbers_in(text: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let prev_alnum = i > 0 && chars[i - 1].1.is_alphanumeric();
        if !c.is_ascii_digit() || prev_alnum {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len()
            && (chars[j].1.is_ascii_digit()
                || ((chars[j].1 == '.' || chars[j].1 == ',')
                    && j + 1 < chars.len()
                    && chars[j + 1].1.is_ascii_digit()))
        {
            j += 1;
        }
        let end = chars.get(j).map(|(b, _)| *b).unwrap_or(text.len());
        if let Some(v) = parse_digits(&text[start..end]) {
            out.push(v);
            let rest = text[end..].trim_start();
            if let Some(word) = rest.split(|ch: char| !ch.is_alphabetic()).next() {
                if let Some(scale) = scale_of(word) {
                    out.push(v * scale);
                }
            }
        }
        i = j.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_forms() {
        assert_eq!(parse_vn_number("1.494.541"), Some(1494541.0)); // dots before 3-digit groups
        assert_eq!(parse_vn_number("99,68%"), Some(99.68)); // lone comma: decimal
        assert_eq!(parse_vn_number("85.7%"), Some(85.7)); // dot before 1 digit: decimal
        assert_eq!(parse_vn_number("99.98"), Some(99.98)); // dot before 2 digits: decimal
        assert_eq!(parse_vn_number("2.245"), Some(2245.0)); // dot before exactly 3 digits: thousands
        assert_eq!(parse_vn_number("1,5 triệu"), Some(1_500_000.0));
        assert_eq!(parse_vn_number("98,5 triệu"), Some(98_500_000.0));
        assert_eq!(parse_vn_number("8 nghìn"), Some(8000.0));
        assert_eq!(parse_vn_number("1.234,5"), Some(1234.5)); // both: the last one is decimal
        assert_eq!(parse_vn_number("1,234,567"), Some(1234567.0)); // several commas: thousands
        assert_eq!(parse_vn_number("01"), Some(1.0));
    }

    #[test]
    fn not_numbers() {
        for bad in ["", "abc", "1..2", "1.2.3", "12.34.567", "1,5 cái", ",5", "5,"] {
            assert_eq!(parse_vn_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numbers_in_text() {
        let found = numbers_in("thu nhận 194.675/194.703 hồ sơ (đạt 99.98%), hơn 1,5 triệu thẻ");
        assert_eq!(found, vec![194675.0, 194703.0, 99.98, 1.5, 1_500_000.0]);
    }
}
