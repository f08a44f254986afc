//! Report files as text, the way people receive them: UTF-8 text, Word `.docx` (a zip of XML,
//! read with `zip` and `quick-xml`) and PDF with a text layer (`pdf-extract`). What cannot be
//! read gets one message saying what the file is and what to do: an empty file, a binary file, a
//! scanned PDF with no text, text in a legacy Vietnamese encoding (TCVN3, VNI, Windows-1258).
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
        docx_text(&bytes).map_err(invalid)?
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
    "a binary file, not a report: give a text (UTF-8), .docx or PDF file".into()
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

/// The paragraphs of a Word document, one per line.
fn docx_text(bytes: &[u8]) -> std::result::Result<String, String> {
    let not_docx = |why: String| {
        format!("a zip file but not a Word .docx report ({why}); give the report as .docx, PDF or text")
    };
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| not_docx(e.to_string()))?;
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .map_err(|_| not_docx("it has no word/document.xml".into()))?
        .read_to_string(&mut xml)
        .map_err(|e| not_docx(e.to_string()))?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut out = String::new();
    let mut in_text = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.name().as_ref() == b"w:t" => in_text = true,
            Ok(Event::End(e)) => match e.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:p" => out.push('\n'),
                _ => {}
            },
            Ok(Event::Empty(e)) => match e.name().as_ref() {
                b"w:tab" => out.push('\t'),
                b"w:br" | b"w:cr" => out.push('\n'),
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => {
                out.push_str(&t.unescape().map_err(|e| not_docx(e.to_string()))?);
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(not_docx(format!("its document.xml is broken: {e}"))),
            _ => {}
        }
    }
    Ok(out)
}

/// The text layer of a PDF.
fn pdf_text(bytes: &[u8]) -> std::result::Result<String, String> {
    // pdf-extract panics on some malformed files; a panic here is a file it cannot read, said in
    // one line below, so the panic's own report is silenced while it runs.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes));
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

/// A page's text with the lines the page wrapped joined again: a line that does not end a
/// sentence continues on the next one, up to a blank line.
fn unwrap_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim_end) {
        let open = out.ends_with(|c: char| !matches!(c, '\n' | '.' | '!' | '?' | ':' | ';'));
        if open && !line.trim().is_empty() {
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
