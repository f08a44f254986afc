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

/// `text` as a PDF string of the font [`pdf`] uses: UTF-16 code units in hex.
pub fn pdf_string(text: &str) -> String {
    let hex: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
    format!("<{hex}>")
}

/// A one-page PDF whose page draws `content` (text operators on font `/F1`, strings written with
/// [`pdf_string`]): a Type0 font with Identity-H codes equal to the characters' Unicode values and
/// a ToUnicode map that says so (no glyphs are needed to read it), every glyph half an em wide.
pub fn pdf(content: &str) -> Vec<u8> {
    let mut ranges = String::new();
    for high in [0x00u32, 0x01, 0x1E] {
        ranges.push_str(&format!("<{:02X}00> <{:02X}FF> <{:02X}00>\n", high, high, high));
    }
    let cmap = format!(
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /U def /CMapType 2 def\n\
         1 begincodespacerange <0000> <FFFF> endcodespacerange\n3 beginbfrange\n{ranges}endbfrange\n\
         endcmap CMapName currentdict /CMap defineresource pop end end"
    );
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /Font /Subtype /Type0 /BaseFont /Chiso /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Chiso /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /DW 500 >>".to_string(),
        format!("<< /Length {} >>\nstream\n{cmap}\nendstream", cmap.len() + 1),
        "<< /Type /FontDescriptor /FontName /Chiso /Flags 32 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (k, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{object}\nendobj\n", k + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    pdf
}
