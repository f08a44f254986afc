//! Report files as text, the way people receive them: UTF-8 text, Word `.docx` (a zip of XML,
//! read with `zip` and `quick-xml`), Excel `.xlsx` (`calamine`) and PDF with a text layer
//! (`pdf-extract`). A table becomes one line per row with its cells between tabs, a merged cell
//! repeated in every row and column it covers, so that [`super::tables`] finds it in the text as
//! it finds a table a text file or a PDF keeps in columns. What cannot be read gets one message
//! saying what the file is and what to do: an empty file, a binary file, a scanned PDF with no
//! text, text in a legacy Vietnamese encoding (TCVN3, VNI, Windows-1258).
use std::io::Read;
use std::path::Path;

use quick_xml::events::Event;

use crate::error::{Error, Result};

/// The text of the report at `path`, by its content (a `.docx` or PDF is recognised by its first
/// bytes, whatever its name).
pub fn read_report(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read", e))?;
    let invalid = |problem: String| Error::Invalid { what: path.display().to_string(), problem };
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(invalid("the file is empty; give the report's text".into()));
    }
    let text = if bytes.starts_with(b"%PDF") {
        pdf_text(&bytes).map_err(invalid)?
    } else if bytes.starts_with(b"PK\x03\x04") {
        zip_text(&bytes).map_err(invalid)?
    } else {
        plain_text(bytes).map_err(invalid)?
    };
    if text.trim().is_empty() {
        return Err(invalid("no text in the file; give the report's text".into()));
    }
    Ok(text)
}

/// UTF-8 text, or a message naming the encoding it seems to be in.
fn plain_text(bytes: Vec<u8>) -> std::result::Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").map(<[u8]>::to_vec).unwrap_or(bytes);
    match String::from_utf8(bytes) {
        Ok(text) if text.contains('\0') => Err(binary()),
        Ok(text) => Ok(text),
        Err(e) => {
            let bytes = e.as_bytes();
            let line = bytes[..e.utf8_error().valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            if looks_binary(bytes) {
                return Err(binary());
            }
            Err(match legacy_encoding(bytes) {
                Some((name, iconv)) => format!(
                    "line {line}: not UTF-8 text; it looks like {name}. Convert it to UTF-8 \
                     (e.g. `iconv -f {iconv} -t UTF-8`, or Unikey's converter for TCVN3 and VNI) and run again"
                ),
                None => format!("line {line}: not UTF-8 text; save the report as UTF-8"),
            })
        }
    }
}

fn binary() -> String {
    "a binary file, not a report: give a text (UTF-8), .docx, .xlsx or PDF file".into()
}

/// Control bytes other than white space: a binary file, not text in any encoding.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    let control =
        sample.iter().filter(|b| **b < 0x20 && !matches!(**b, b'\n' | b'\r' | b'\t' | 0x0c)).count();
    control * 100 > sample.len()
}

/// Which legacy Vietnamese encoding non-UTF-8 `bytes` are most like, with its iconv name.
///
/// No maintained crate recognises TCVN3 (ABC) or VNI, which are font encodings rather than
/// registered charsets, so this counts the byte patterns each one writes Vietnamese with:
/// Windows-1258 writes tones as combining bytes after a vowel (0xCC, 0xEC, 0xD2, 0xDE, 0xF2) and
/// đ as 0xF0; VNI writes a vowel, then its mark as a second byte (`aù`, `eá`) and đ as 0xF1;
/// TCVN3 writes each toned vowel as one byte in 0xA1–0xFE (`¸` for á, `µ` for à, `®` for đ).
fn legacy_encoding(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let vowel = |b: u8| b"aeiouyAEIOUY".contains(&b);
    let (mut cp1258, mut vni, mut tcvn3) = (0usize, 0usize, 0usize);
    for (k, &b) in bytes.iter().enumerate() {
        let after_vowel = k > 0 && vowel(bytes[k - 1]);
        match b {
            0xCC | 0xEC | 0xD2 | 0xDE | 0xF2 if after_vowel => cp1258 += 1,
            0xF8 | 0xF9 | 0xFB | 0xF5 | 0xEF | 0xE1 | 0xE0 | 0xE2 | 0xE3 | 0xE4 | 0xE5 if after_vowel => {
                vni += 1
            }
            0xF1 => vni += 1,
            0xA8..=0xAE | 0xB5..=0xB9 | 0xBB..=0xBE | 0xC6..=0xDE => tcvn3 += 1,
            0xF0 => cp1258 += 1,
            _ => {}
        }
    }
    let best = cp1258.max(vni).max(tcvn3);
    if best < 3 {
        return None;
    }
    Some(if best == cp1258 {
        ("Windows-1258", "CP1258")
    } else if best == vni {
        ("VNI (VNI-Windows)", "VNI")
    } else {
        ("TCVN3 (ABC)", "TCVN")
    })
}

/// A Word document or an Excel workbook, by the parts its zip holds.
fn zip_text(bytes: &[u8]) -> std::result::Result<String, String> {
    let not_ours = |why: String| {
        format!("a zip file but not a Word .docx or Excel .xlsx report ({why}); give the report as .docx, .xlsx, PDF or text")
    };
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| not_ours(e.to_string()))?;
    if archive.by_name("xl/workbook.xml").is_ok() {
        return xlsx_text(bytes);
    }
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .map_err(|_| not_ours("it has neither word/document.xml nor xl/workbook.xml".into()))?
        .read_to_string(&mut xml)
        .map_err(|e| not_ours(e.to_string()))?;
    docx_text(&xml).map_err(|e| not_ours(format!("its document.xml is broken: {e}")))
}

/// A table cell as Word keeps it: its text, the grid columns it spans, and whether it goes on
/// from the cell above (`w:vMerge` without `restart`).
#[derive(Default)]
struct Cell {
    text: String,
    span: usize,
    continues: bool,
}

/// The paragraphs of a Word document, one per line, and its tables one row per line.
fn docx_text(xml: &str) -> std::result::Result<String, quick_xml::Error> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    let mut in_text = false;
    // Tables being read (a table in a cell is read into that cell's text).
    let mut depth = 0usize;
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut cell: Option<Cell> = None;
    let val = |e: &quick_xml::events::BytesStart| -> Option<String> {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == b"w:val")
            .map(|a| String::from_utf8_lossy(&a.value).into_owned())
    };
    loop {
        match reader.read_event()? {
            Event::Start(e) => match e.name().as_ref() {
                b"w:t" => in_text = true,
                b"w:tbl" => depth += 1,
                b"w:tr" if depth == 1 => rows.push(Vec::new()),
                b"w:tc" if depth == 1 => cell = Some(Cell { span: 1, ..Cell::default() }),
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                b"w:tab" | b"w:br" | b"w:cr" if cell.is_some() => push_cell(&mut cell, " "),
                b"w:tab" => out.push('\t'),
                b"w:br" | b"w:cr" => out.push('\n'),
                b"w:gridSpan" if depth == 1 => {
                    if let (Some(c), Some(n)) = (cell.as_mut(), val(&e).and_then(|v| v.parse().ok())) {
                        c.span = n;
                    }
                }
                b"w:vMerge" if depth == 1 => {
                    if let Some(c) = cell.as_mut() {
                        c.continues = val(&e).as_deref() != Some("restart");
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:p" if cell.is_some() => push_cell(&mut cell, " "),
                b"w:p" => out.push('\n'),
                b"w:tc" if depth == 1 => {
                    if let (Some(row), Some(c)) = (rows.last_mut(), cell.take()) {
                        row.push(c);
                    }
                }
                b"w:tbl" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        out.push_str(&grid_lines(std::mem::take(&mut rows)));
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => {
                let text = t.unescape()?;
                match cell {
                    Some(_) => push_cell(&mut cell, &text),
                    None => out.push_str(&text),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

fn push_cell(cell: &mut Option<Cell>, text: &str) {
    if let Some(c) = cell.as_mut() {
        c.text.push_str(text);
    }
}

/// Word's rows as grid lines: a cell spanning columns repeated in each, a cell that goes on from
/// the one above takes its text.
fn grid_lines(rows: Vec<Vec<Cell>>) -> String {
    let mut grid: Vec<Vec<String>> = Vec::new();
    for row in rows {
        let mut line: Vec<String> = Vec::new();
        for c in row {
            let col = line.len();
            let text = if c.continues {
                grid.last().and_then(|above| above.get(col)).cloned().unwrap_or_default()
            } else {
                c.text.split_whitespace().collect::<Vec<_>>().join(" ")
            };
            line.extend(std::iter::repeat_n(text, c.span.max(1)));
        }
        grid.push(line);
    }
    grid.iter().map(|row| row.join("\t") + "\n").collect()
}

/// Every sheet of a workbook: its name on a line, then its rows as grid lines, a merged range's
/// value repeated over the range. Numbers are written the Vietnamese way (`45,6`), as a report
/// would print them.
fn xlsx_text(bytes: &[u8]) -> std::result::Result<String, String> {
    use calamine::{Data, Reader, Xlsx};
    let broken = |e: calamine::XlsxError| format!("an .xlsx workbook that cannot be read ({e})");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(broken)?;
    let mut out = String::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(broken)?;
        let merged = book.worksheet_merge_cells(&name).transpose().map_err(broken)?.unwrap_or_default();
        let Some((top, left)) = range.start() else { continue };
        let cell_text = |row: u32, col: u32| -> String {
            let (row, col) = merged
                .iter()
                .find(|m| (m.start.0..=m.end.0).contains(&row) && (m.start.1..=m.end.1).contains(&col))
                .map(|m| m.start)
                .unwrap_or((row, col));
            match range.get_value((row, col)) {
                Some(Data::Float(f)) => vn_number(*f),
                Some(Data::Int(i)) => i.to_string(),
                Some(Data::Empty) | None => String::new(),
                Some(other) => other.to_string().split_whitespace().collect::<Vec<_>>().join(" "),
            }
        };
        let (height, width) = range.get_size();
        out.push_str(&format!("\n{name}\n"));
        for r in 0..height as u32 {
            let cells: Vec<String> = (0..width as u32).map(|c| cell_text(top + r, left + c)).collect();
            if cells.iter().any(|c| !c.is_empty()) {
                out.push_str(&cells.join("\t"));
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// A number as a Vietnamese report prints it: a decimal comma, no grouping (`1234,5`).
fn vn_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}").replace('.', ",")
    }
}

/// The text layer of a PDF, a wide gap between two pieces of a line written as a tab (a table's
/// columns).
fn pdf_text(bytes: &[u8]) -> std::result::Result<String, String> {
    // pdf-extract panics on some malformed files; a panic here is a file it cannot read, said in
    // one line below, so the panic's own report is silenced while it runs.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| -> std::result::Result<String, pdf_extract::OutputError> {
        let mut doc = pdf_extract::Document::load_mem(bytes)?;
        if doc.is_encrypted() {
            doc.decrypt("")?;
        }
        let mut out = Columns::default();
        pdf_extract::output_doc(&doc, &mut out)?;
        Ok(out.text)
    });
    std::panic::set_hook(hook);
    let text = match result {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => {
            return Err(format!("a PDF that cannot be read ({e}); save the report as text or .docx"))
        }
        Err(_) => return Err("a PDF that cannot be read; save the report as text or .docx".into()),
    };
    if text.chars().filter(|c| c.is_alphabetic()).count() < 20 {
        return Err(
            "a PDF with no text layer (a scan?): run OCR on it first, or give the report as text".into()
        );
    }
    Ok(unwrap_lines(&text))
}

/// pdf-extract's plain-text layout (a new line where the text moves down, a space where it moves
/// right), except that a gap wider than twice the font size is a tab: PDFs draw a table's
/// columns apart, and prose's word gaps are far narrower.
#[derive(Default)]
struct Columns {
    text: String,
    /// Where the last character ended, across the line (`None` before a page's first).
    last_end: Option<f64>,
    last_y: f64,
    first_char: bool,
}

impl pdf_extract::OutputDev for Columns {
    fn begin_page(
        &mut self,
        _: u32,
        _: &pdf_extract::MediaBox,
        _: Option<(f64, f64, f64, f64)>,
    ) -> std::result::Result<(), pdf_extract::OutputError> {
        self.last_end = None;
        Ok(())
    }
    fn end_page(&mut self) -> std::result::Result<(), pdf_extract::OutputError> {
        self.text.push('\n');
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &pdf_extract::Transform,
        width: f64,
        _: f64,
        font_size: f64,
        char: &str,
    ) -> std::result::Result<(), pdf_extract::OutputError> {
        // The font size as drawn: the side of a square of the glyph box's area.
        let size = ((font_size * (trm.m11 + trm.m21)) * (font_size * (trm.m12 + trm.m22))).abs().sqrt();
        let (x, y) = (trm.m31, trm.m32);
        if let (true, Some(last_end)) = (self.first_char, self.last_end) {
            let down = (y - self.last_y).abs();
            if down > size * 1.5 || (x < last_end && down > size * 0.5) {
                self.text.push('\n');
            } else if x > last_end + size * 2.0 {
                self.text.push('\t');
            } else if x > last_end + size * 0.1 {
                self.text.push(' ');
            }
        }
        self.text.push_str(char);
        self.first_char = false;
        self.last_y = y;
        self.last_end = Some(x + width * size);
        Ok(())
    }
    fn begin_word(&mut self) -> std::result::Result<(), pdf_extract::OutputError> {
        self.first_char = true;
        Ok(())
    }
    fn end_word(&mut self) -> std::result::Result<(), pdf_extract::OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> std::result::Result<(), pdf_extract::OutputError> {
        Ok(())
    }
}

/// A page's text with the lines the page wrapped joined again: a line that does not end a
/// sentence continues on the next one, up to a blank line; a table's row (cells between tabs)
/// stays a line of its own.
fn unwrap_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_row = false;
    for line in text.lines().map(str::trim_end) {
        let row = line.contains('\t');
        let open = out.ends_with(|c: char| !matches!(c, '\n' | '.' | '!' | '?' | ':' | ';'));
        let joined = open && !line.trim().is_empty() && !row && !last_row;
        last_row = row;
        if joined {
            out.push(' ');
            out.push_str(line.trim_start());
        } else {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
    }
    out
}
