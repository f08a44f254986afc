//! Tables in a report's text: runs of lines whose cells are set apart by tabs (how [`super::read`]
//! writes the tables of a `.docx` or `.xlsx`), by `|`, or by wide gaps (a PDF or text that keeps
//! its columns), with the caption above them (`Biểu 2: ...`, `Phụ lục`, `Bảng`) as their name.
use super::text::words;

/// A table: a grid of cell texts, every row as wide as the widest.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The caption's label (`Biểu 2`), else `Bảng N` by its place among the report's tables.
    pub name: String,
    /// The caption line, if the table has one (it may date the figures).
    pub caption: Option<String>,
    /// The cells, row by row.
    pub rows: Vec<Vec<String>>,
    /// Byte offset of each row's line in the text.
    pub row_starts: Vec<usize>,
    /// Byte offset just past the table's last line.
    pub end: usize,
}

/// The cells of one line, if it is a table's row: split at tabs, else at `|`, else at runs of
/// three or more spaces; two cells at least (three for `|` and spaces, which prose also holds).
/// Also which of the three separates them (a table keeps one).
fn cells(line: &str) -> Option<(u8, Vec<String>)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let kind = if line.contains('\t') {
        b'\t'
    } else if line.matches('|').count() >= 2 {
        b'|'
    } else {
        b' '
    };
    let split: Vec<String> = if kind == b'\t' {
        line.split('\t').map(|c| c.trim().to_string()).collect()
    } else if kind == b'|' {
        let inner = line.trim().trim_matches('|');
        let cells: Vec<String> = inner.split('|').map(|c| c.trim().to_string()).collect();
        if cells.len() < 3 {
            return None;
        }
        cells
    } else {
        let cells: Vec<String> =
            line.trim().split("   ").map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect();
        if cells.len() < 3 {
            return None;
        }
        cells
    };
    // A row of `|---|---|` rules is no row.
    if split.iter().all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | '=' | '+' | ' '))) {
        return Some((kind, Vec::new()));
    }
    (split.iter().filter(|c| !c.is_empty()).count() >= 2).then_some((kind, split))
}

/// Words that open a table's caption, folded.
const CAPTIONS: &[&[&str]] = &[&["bieu"], &["bang"], &["phu", "luc"]];

/// The tables of `text`, in order: two rows at least.
pub fn tables(text: &str) -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    let mut current: Option<(u8, Table)> = None;
    let mut before: Vec<&str> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let row = cells(line);
        // A line of another kind ends the table before it.
        if current.as_ref().is_some_and(|(k, _)| row.as_ref().is_none_or(|(kind, _)| kind != k)) {
            if let Some((_, t)) = current.take().filter(|(_, t)| t.rows.len() >= 2) {
                out.push(t);
            }
            before.clear();
        }
        match row {
            Some((kind, row)) => {
                let (_, table) = current.get_or_insert_with(|| {
                    let t = Table {
                        name: String::new(),
                        caption: caption(&before),
                        rows: Vec::new(),
                        row_starts: Vec::new(),
                        end: start,
                    };
                    (kind, t)
                });
                if !row.is_empty() {
                    table.rows.push(row);
                    table.row_starts.push(start);
                }
                table.end = at;
            }
            None if !line.trim().is_empty() => before.push(line.trim()),
            None => {}
        }
    }
    out.extend(current.map(|(_, t)| t).filter(|t| t.rows.len() >= 2));
    for (n, t) in out.iter_mut().enumerate() {
        let width = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        for row in &mut t.rows {
            row.resize(width, String::new());
        }
        t.name = t.caption.as_deref().map(label).unwrap_or_else(|| format!("Bảng {}", n + 1));
    }
    out
}

/// The caption of a table: one of the two lines above it that opens with a caption word.
fn caption(before: &[&str]) -> Option<String> {
    before.iter().rev().take(2).find_map(|line| {
        let ws = words(line);
        CAPTIONS.iter().any(|c| super::text::phrase_at(&ws, 0, c)).then(|| line.to_string())
    })
}

/// A caption's label: up to its first `:`, `.` after the number, `-` or `–` (`Biểu 2: Kết quả`
/// → `Biểu 2`), at most eight words.
fn label(caption: &str) -> String {
    let cut = caption.find([':', '–', '(']).unwrap_or(caption.len());
    let head = caption[..cut].trim().trim_end_matches(['.', '-']).trim();
    head.split_whitespace().take(8).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_by_tabs_bars_and_gaps_with_their_captions() {
        let text = "Mở đầu báo cáo.\nBiểu 2: Kết quả đến 30/9/2025\nĐơn vị\tSố hồ sơ\tTỷ lệ\n\
                    Phường A\t1.234\t45,6%\nPhường B\t-\t50\n\nGiữa hai bảng, một câu.\n\
                    | Xã | Số tài khoản | Tỷ lệ |\n|---|---|---|\n| Xã C | 10 | 20 |\n| Xã D | 30 | 40 |\n\
                    Đơn vị     Số hồ sơ     Tỷ lệ\nXã E       12           13\n";
        let t = tables(text);
        assert_eq!(t.len(), 3, "{t:#?}");
        assert_eq!(t[0].name, "Biểu 2");
        assert_eq!(t[0].caption.as_deref(), Some("Biểu 2: Kết quả đến 30/9/2025"));
        assert_eq!(t[0].rows[1], ["Phường A", "1.234", "45,6%"]);
        assert_eq!(&text[t[0].row_starts[2]..t[0].end], "Phường B\t-\t50\n");
        // No caption: named by its place; the rule row is dropped.
        assert_eq!(t[1].name, "Bảng 2");
        assert_eq!(t[1].rows, [["Xã", "Số tài khoản", "Tỷ lệ"], ["Xã C", "10", "20"], ["Xã D", "30", "40"]]);
        assert_eq!(t[2].rows[1], ["Xã E", "12", "13"]);
        // Prose with a single `|` or one wide gap is not a table, nor is one line alone.
        assert!(tables("Một câu | hai phần.\nCâu   khác.\nA\tB\n").is_empty());
    }
}
