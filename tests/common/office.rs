//! Word and Excel files written by the tests themselves (a zip of the few XML parts a reader
//! needs), so that what they hold is known cell by cell.
use std::io::Write;

/// A zip of `(name, content)` parts.
pub fn zip(parts: &[(&str, String)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in parts {
        out.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(content.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

pub fn paragraph(text: &str) -> String {
    format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
}

/// A Word cell: text, columns spanned, `vMerge` (`Some(true)` restart, `Some(false)` go on).
pub fn cell(text: &str, span: usize, merge: Option<bool>) -> String {
    let mut props = String::new();
    if span > 1 {
        props.push_str(&format!("<w:gridSpan w:val=\"{span}\"/>"));
    }
    match merge {
        Some(true) => props.push_str("<w:vMerge w:val=\"restart\"/>"),
        Some(false) => props.push_str("<w:vMerge/>"),
        None => {}
    }
    format!("<w:tc><w:tcPr>{props}</w:tcPr>{}</w:tc>", paragraph(text))
}

pub fn docx(body: &str) -> Vec<u8> {
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document \
         xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    zip(&[("[Content_Types].xml", String::new()), ("word/document.xml", document)])
}

/// A one-sheet workbook: rows of cells (`#1234.5` a number cell, else text), merged ranges.
pub fn xlsx(sheet: &str, rows: &[&[&str]], merged: &[&str]) -> Vec<u8> {
    let mut data = String::new();
    for (r, row) in rows.iter().enumerate() {
        data.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, value) in row.iter().enumerate() {
            let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            match value.strip_prefix('#') {
                Some(n) => data.push_str(&format!("<c r=\"{at}\"><v>{n}</v></c>")),
                None if value.is_empty() => {}
                None => data.push_str(&format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{value}</t></is></c>")),
            }
        }
        data.push_str("</row>");
    }
    let merges: String = merged.iter().map(|m| format!("<mergeCell ref=\"{m}\"/>")).collect();
    let ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
              xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"";
    zip(&[
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>"
                .to_string(),
        ),
        (
            "xl/workbook.xml",
            format!("<?xml version=\"1.0\"?><workbook {ns}><sheets><sheet name=\"{sheet}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"
                .to_string(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!("<?xml version=\"1.0\"?><worksheet {ns}><sheetData>{data}</sheetData><mergeCells count=\"{}\">{merges}</mergeCells></worksheet>", merged.len()),
        ),
    ])
}
