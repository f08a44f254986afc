//! `chiso extract` on reports as people receive them: Word .docx and PDF files made here from a
//! text the project wrote give the same figures as the text; an empty file, a binary file, a PDF
//! with no text and text in legacy Vietnamese encodings each get one clear line.
mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use common::{chiso, ok, parse_csv};

fn fixture() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reports/made_up_1.txt");
    fs::read_to_string(path).unwrap()
}

/// (value, indicator, geo_level, province, district, period_start, period_end) of every row.
fn figures(file: &Path) -> Vec<Vec<String>> {
    let out = ok(&["extract", file.to_str().unwrap(), "--format", "csv", "--source-id", "r"]);
    parse_csv(&out)
        .into_iter()
        .map(|r| {
            vec![
                r[8].clone(),
                r[1].clone(),
                r[2].clone(),
                r[3].clone(),
                r[4].clone(),
                r[6].clone(),
                r[7].clone(),
            ]
        })
        .collect()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A minimal Word document: one `w:p` per line, a line's text split over two runs as Word does.
fn write_docx(path: &Path, text: &str) {
    let mut body = String::new();
    for line in text.lines() {
        let cut = line.char_indices().nth(line.chars().count() / 2).map(|(i, _)| i).unwrap_or(0);
        body.push_str(&format!(
            "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            xml_escape(&line[..cut]),
            xml_escape(&line[cut..])
        ));
    }
    fs::write(path, common::office::docx(&body)).unwrap();
}

/// A one-page PDF whose text layer is `text`, a line at a time.
fn write_pdf(path: &Path, text: &str) {
    let mut content = String::from("BT /F1 10 Tf 12 TL 40 800 Td\n");
    for line in text.lines() {
        // Long lines wrap at 90 characters, at a space, as a page would.
        let mut rest = line;
        loop {
            let cut = if rest.chars().count() <= 90 {
                rest.len()
            } else {
                let at = rest.char_indices().nth(90).map(|(i, _)| i).unwrap_or(rest.len());
                rest[..at].rfind(' ').map(|i| i + 1).unwrap_or(at)
            };
            content.push_str(&format!("{} Tj T*\n", common::office::pdf_string(&rest[..cut])));
            rest = &rest[cut..];
            if rest.is_empty() {
                break;
            }
        }
    }
    content.push_str("ET\n");
    fs::write(path, common::office::pdf(&content)).unwrap();
}

#[test]
fn docx_and_pdf_give_the_figures_of_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let text = fixture();
    let txt = dir.path().join("r.txt");
    fs::write(&txt, &text).unwrap();
    let want = figures(&txt);
    // The text's figures, read by hand: 812.400 accounts as of 30/6/2024, and more.
    assert!(want.iter().any(|r| r[0] == "812400.0" && r[6] == "2024-06-30"), "{want:#?}");
    let docx = dir.path().join("r.docx");
    write_docx(&docx, &text);
    assert_eq!(figures(&docx), want);
    let pdf = dir.path().join("r.pdf");
    write_pdf(&pdf, &text);
    // The page wraps long lines; extract joins them again, so the figures are the text's.
    assert_eq!(figures(&pdf), want);
}

#[test]
fn files_that_are_not_readable_reports_get_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let one_line = |name: &str, bytes: &[u8], expect: &str| {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        let run = chiso(&["extract", path.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(name) && run.stderr.contains(expect), "{name}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{name}: {}", run.stdout);
    };
    one_line("empty.txt", b"", "the file is empty");
    one_line("blank.txt", b"  \n\n", "the file is empty");
    one_line(
        "image.png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00",
        "a binary file",
    );
    // A page with no text on it, as a scan without OCR has; and a file that only starts like a PDF.
    let scan = dir.path().join("made.pdf");
    write_pdf(&scan, "");
    one_line("scan.pdf", &fs::read(&scan).unwrap(), "no text layer");
    one_line("broken.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF that cannot be read");
    // A zip that is neither (its workbook part alone is no workbook).
    one_line("sheet.docx", &zip_without_document(), "an .xlsx workbook that cannot be read");
    one_line("other.zip", &common::office::zip(&[("a.txt", "a".into())]), "not a Word .docx or Excel .xlsx");
    // "Tính đến ngày 30/6" in three legacy encodings, each written by hand from its code table:
    // Windows-1258 (í = i + 0xEC, đ = 0xF0, ế = ê 0xEA + 0xEC, à = a + 0xCC, y = y),
    one_line(
        "cp1258.txt",
        b"T\x69\xECnh \xF0\xEA\xECn nga\xCCy 30/6, to\x61\xCCn t\x69\xECnh",
        "Windows-1258",
    );
    // VNI (í = i + 0xF9, đ = 0xF1, ế = e + 0xE1, à = a + 0xF8),
    one_line("vni.txt", b"Ti\xF9nh \xF1e\xE1n nga\xF8y 30/6, toa\xF8n ti\xF9nh", "VNI");
    // TCVN3 (í = 0xDD, đ = 0xAE, ế = 0xD5, à = 0xB5).
    one_line("tcvn3.txt", b"T\xDDnh \xAE\xD5n ng\xB5y 30/6, to\xB5n t\xDDnh \xAE\xB5", "TCVN3");
}

fn zip_without_document() -> Vec<u8> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    zip.start_file("xl/workbook.xml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"<workbook/>").unwrap();
    zip.finish().unwrap();
    buffer.into_inner()
}
