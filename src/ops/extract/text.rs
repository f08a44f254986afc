//! Text structure for extraction: sentences (with byte offsets) and folded words.
use crate::storage::reference::fold;

/// A sentence of the report: its byte range and text.
#[derive(Debug, Clone)]
pub struct Sentence<'a> {
    /// Byte offset of the first character in the report.
    pub start: usize,
    /// The text.
    pub text: &'a str,
    /// Words on the sentence's line (to recognise short page-furniture lines).
    pub line_words: usize,
}

/// Split a report into sentences: at line breaks, and at `.`, `!` or `?` followed by white space
/// (a dot between digits is part of a number, not an end).
pub fn sentences(text: &str) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let words = words(line).len();
        let mut start = 0;
        let bytes = line.as_bytes();
        for (i, c) in line.char_indices() {
            let end_mark = matches!(c, '.' | '!' | '?')
                && bytes.get(i + 1).is_some_and(|b| b.is_ascii_whitespace())
                && !(c == '.' && abbreviation(&line[..i]));
            if end_mark {
                push(&mut out, line, line_start, start, i + 1, words);
                start = i + 1;
            }
        }
        push(&mut out, line, line_start, start, line.len(), words);
        line_start += line.len();
    }
    out
}

/// Short forms written with a dot that does not end a sentence (`TP. Pleiku`, `ThS. Nguyễn`).
const ABBREVIATIONS: &[&str] =
    &["TP", "Tp", "tp", "TX", "TT", "Q", "P", "H", "X", "TS", "ThS", "PGS", "GS", "BS"];

/// Does `before` end with one of [`ABBREVIATIONS`] as a whole word?
fn abbreviation(before: &str) -> bool {
    let word_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_alphanumeric())
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    ABBREVIATIONS.contains(&&before[word_start..])
}

fn push<'a>(
    out: &mut Vec<Sentence<'a>>,
    line: &'a str,
    line_start: usize,
    from: usize,
    to: usize,
    words: usize,
) {
    let piece = &line[from..to];
    let trimmed_start = piece.len() - piece.trim_start().len();
    let text = piece.trim();
    if !text.is_empty() {
        out.push(Sentence { start: line_start + from + trimmed_start, text, line_words: words });
    }
}

/// A word of a sentence: its byte range in the sentence and its folded form.
#[derive(Debug, Clone)]
pub struct Word {
    /// Byte offset in the sentence.
    pub start: usize,
    /// Byte offset just past the word.
    pub end: usize,
    /// Lower case without tone marks.
    pub folded: String,
}

/// The words of `text`, folded: runs of letters and digits, where a `.`, `,` or `/` between two
/// digits stays inside the word (`1.494.541`, `99,68`, `23/25` are one word each).
pub fn words(text: &str) -> Vec<Word> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (k, &(i, c)) in chars.iter().enumerate() {
        let inner = matches!(c, '.' | ',' | '/')
            && k > 0
            && chars[k - 1].1.is_ascii_digit()
            && chars.get(k + 1).is_some_and(|(_, n)| n.is_ascii_digit());
        let part = c.is_alphanumeric() || inner;
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Word { start: s, end: i, folded: fold(&text[s..i]) });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Word { start: s, end: text.len(), folded: fold(&text[s..]) });
    }
    out
}

/// True when the folded words `phrase` (space-separated) occur in `words` starting at `at`.
pub fn phrase_at(words: &[Word], at: usize, phrase: &[&str]) -> bool {
    phrase.iter().enumerate().all(|(k, p)| words.get(at + k).is_some_and(|w| w.folded == *p))
}
