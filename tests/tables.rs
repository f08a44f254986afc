//! Figures from the tables of a report: a Word `.docx` and an Excel `.xlsx` written here (merged
//! header cells, a total row that disagrees, percentages with a decimal comma, 2025 ward names,
//! legacy districts), a text table, and the quotes `validate` finds again in the file.
mod common;

use std::path::Path;

use common::office::{cell, docx, paragraph, xlsx};
use common::{chiso, ok, parse_csv};

/// (indicator, geo_level, province, district, commune, period_start, period_end, value, quote, review) of each row.
fn rows_of(path: &Path) -> Vec<[String; 10]> {
    let out = ok(&["extract", path.to_str().unwrap(), "--format", "csv"]);
    parse_csv(&out).into_iter().map(|r| [1, 2, 3, 4, 5, 6, 7, 8, 14, 19].map(|k| r[k].clone())).collect()
}

fn row<'a>(rows: &'a [[String; 10]], value: &str) -> &'a [String; 10] {
    let mut found = rows.iter().filter(|r| r[7] == value);
    let one = found.next().unwrap_or_else(|| panic!("no row with value {value}: {rows:#?}"));
    assert!(found.next().is_none(), "two rows with value {value}: {rows:#?}");
    one
}

#[test]
fn a_word_table_of_2025_wards_with_merged_headers_and_a_total_that_disagrees() {
    let dir = tempfile::tempdir().unwrap();
    let header = format!(
        "<w:tr>{}{}{}</w:tr><w:tr>{}{}{}{}</w:tr>",
        cell("STT", 1, Some(true)),
        cell("Đơn vị", 1, Some(true)),
        cell("Định danh điện tử", 2, None),
        cell("", 1, Some(false)),
        cell("", 1, Some(false)),
        cell("Số tài khoản đã kích hoạt", 1, None),
        cell("Tỷ lệ kích hoạt (%)", 1, None),
    );
    let body_row = |n: &str, unit: &str, count: &str, rate: &str| {
        format!(
            "<w:tr>{}{}{}{}</w:tr>",
            cell(n, 1, None),
            cell(unit, 1, None),
            cell(count, 1, None),
            cell(rate, 1, None)
        )
    };
    let body = [
        paragraph("UBND TỈNH GIA LAI"),
        paragraph("Báo cáo kết quả thực hiện Đề án 06 tháng 9 năm 2025, ngày 10/10/2025."),
        paragraph("Biểu 1: Kết quả kích hoạt tài khoản định danh điện tử đến ngày 30/9/2025"),
        format!(
            "<w:tbl>{header}{}{}{}{}</w:tbl>",
            body_row("1", "Phường Quy Nhơn Nam", "12.345", "45,6"),
            body_row("2", "Xã Ia Rsai", "1.200", "50,2"),
            body_row("3", "Đak Pơ", "-", "38,9%"),
            body_row("", "Tổng cộng", "13.000", "47,1"),
        ),
        paragraph("Nơi nhận: như trên."),
    ]
    .concat();
    let path = dir.path().join("bao-cao.docx");
    std::fs::write(&path, docx(&body)).unwrap();
    let rows = rows_of(&path);
    assert_eq!(rows.len(), 7, "{rows:#?}");
    let day = "2025-09-30";
    // Phường Quy Nhơn Nam of 2025 (21592, its parts from Bình Định, 52): the count and the rate
    // under the merged header "Định danh điện tử".
    let r = row(&rows, "12345.0");
    assert_eq!(&r[..8], ["eid_activated", "commune_2025", "52", "", "21592", "", day, "12345.0"]);
    assert_eq!(r[8], "Biểu 1, Phường Quy Nhơn Nam, Định danh điện tử - Số tài khoản đã kích hoạt: 12.345");
    let r = row(&rows, "45.6");
    assert_eq!(&r[..8], ["eid_activated_rate", "commune_2025", "52", "", "21592", "", day, "45.6"]);
    // Xã Ia Rsai (24112, from legacy Gia Lai, 64); Đak Pơ without its type word (23995), its
    // empty count skipped and its rate written with `%`.
    assert_eq!(&row(&rows, "1200.0")[1..5], ["commune_2025", "64", "", "24112"]);
    assert_eq!(&row(&rows, "50.2")[..5], ["eid_activated_rate", "commune_2025", "64", "", "24112"]);
    assert_eq!(&row(&rows, "38.9")[..5], ["eid_activated_rate", "commune_2025", "64", "", "23995"]);
    // The total row: the province, kept as reported; its count is not the sum of its rows
    // (12.345 + 1.200 = 13.545), which the review column says; a rate is not summed.
    let r = row(&rows, "13000.0");
    assert_eq!(&r[..3], ["eid_activated", "province", "64"]);
    assert!(r[9].contains("says 13000 but its rows add up to 13545"), "{r:?}");
    assert_eq!(row(&rows, "47.1")[9], "");
    assert_eq!(row(&rows, "12345.0")[9], "");
}

#[test]
fn an_excel_sheet_of_legacy_districts_with_a_merged_header_and_a_total_that_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let book = xlsx(
        "Biểu 3",
        &[
            &["Huyện, thành phố", "Hồ sơ dịch vụ công trực tuyến", "", "Ghi chú"],
            &["", "Số hồ sơ đã tiếp nhận", "Tỷ lệ tiếp nhận hồ sơ trực tuyến", ""],
            &["(1)", "(2)", "(3)", "(4)"],
            &["Huyện Nam Đàn", "#1520", "85,5%", ""],
            &["Hưng Nguyên", "#980", "#72.25", "số liệu tạm tính"],
            &["Thị xã Thái Hòa", "#1500", "", ""],
            &["Toàn tỉnh", "#4000", "", ""],
        ],
        &["B1:C1", "A1:A2", "D1:D2"],
    );
    let path = dir.path().join("phu-luc-nghe-an-2024.xlsx");
    std::fs::write(&path, book).unwrap();
    let out = ok(&[
        "extract",
        path.to_str().unwrap(),
        "--province",
        "Nghệ An",
        "--date",
        "2024-06-30",
        "--format",
        "csv",
    ]);
    let rows: Vec<[String; 10]> =
        parse_csv(&out).into_iter().map(|r| [1, 2, 3, 4, 5, 6, 7, 8, 14, 19].map(|k| r[k].clone())).collect();
    assert_eq!(rows.len(), 6, "{rows:#?}");
    // Nam Đàn (430), Hưng Nguyên without its type word (431), Thái Hòa (414), in Nghệ An (40).
    let r = row(&rows, "1520.0");
    assert_eq!(&r[1..5], ["district", "40", "430", ""]);
    // No date in the sheet: the report's day (--date), so a count of a flow as of that day is its
    // running total, as in a sentence.
    assert_eq!(r[0], "online_dossiers_received_total");
    assert_eq!(r[8], "Biểu 3, Huyện Nam Đàn, Hồ sơ dịch vụ công trực tuyến - Số hồ sơ đã tiếp nhận: 1520");
    assert_eq!(&row(&rows, "980.0")[1..4], ["district", "40", "431"]);
    assert_eq!(&row(&rows, "1500.0")[1..4], ["district", "40", "414"]);
    // Percentages: `85,5%` as text, 72.25 as a number (written back as 72,25).
    assert_eq!(&row(&rows, "85.5")[..4], ["online_dossier_receipt_rate", "district", "40", "430"]);
    assert_eq!(row(&rows, "72.25")[0], "online_dossier_receipt_rate");
    // 1.520 + 980 + 1.500 = 4.000: the total agrees, nothing to review beyond the period.
    let r = row(&rows, "4000.0");
    assert_eq!(&r[1..3], ["province", "40"]);
    assert!(!r[9].contains("total"), "{r:?}");
}

#[test]
fn table_quotes_are_found_again_by_validate() {
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("reports");
    std::fs::create_dir(&sources).unwrap();
    let text = "Báo cáo của UBND tỉnh Nghệ An ngày 05/7/2024.\n\
                Biểu 2. Hồ sơ dịch vụ công trực tuyến 6 tháng đầu năm 2024\n\
                Huyện\tSố hồ sơ đã tiếp nhận\n\
                Nam Đàn\t1.520\n\
                Hưng Nguyên\t980\n";
    std::fs::write(sources.join("na-bieu.txt"), text).unwrap();
    let candidates = dir.path().join("candidates.csv");
    let out = ok(&["extract", sources.join("na-bieu.txt").to_str().unwrap(), "--format", "csv"]);
    let rows = parse_csv(&out);
    assert_eq!(rows.len(), 2, "{out}");
    // The caption dates them: the first half of 2024, stated.
    assert_eq!(
        (rows[0][6].as_str(), rows[0][7].as_str(), rows[0][15].as_str()),
        ("2024-01-01", "2024-06-30", "stated")
    );
    std::fs::write(&candidates, &out).unwrap();
    let (_keep, wh) = common::warehouse();
    let wh = wh.to_str().unwrap();
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sources.csv")).unwrap();
    let header = header.lines().next().unwrap().to_string();
    let source = header
        .split(',')
        .map(|c| match c {
            "source_id" => "na-bieu",
            "title" => "Biểu 2",
            "publisher" => "UBND tỉnh Nghệ An",
            "published" => "2024-07-05",
            "province_code" => "40",
            "seed_file" => "na-bieu.txt",
            _ => "",
        })
        .collect::<Vec<_>>()
        .join(",");
    let sources_csv = dir.path().join("sources.csv");
    std::fs::write(&sources_csv, format!("{header}\n{source}\n")).unwrap();
    let run = chiso(&["ingest", sources_csv.to_str().unwrap(), "--warehouse", wh]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // ingest checks each new quote against its report, as validate does.
    let reports = sources.to_str().unwrap();
    let run = chiso(&["ingest", candidates.to_str().unwrap(), "--warehouse", wh, "--sources", reports]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let run = chiso(&["validate", "--warehouse", wh, "--sources", reports]);
    assert!(!run.stdout.contains("na-bieu-x0"), "{}\n{}", run.stdout, run.stderr);
    // A quote changed by hand is not found.
    std::fs::write(sources.join("na-bieu.txt"), text.replace("1.520", "1.502")).unwrap();
    let run = chiso(&["validate", "--warehouse", wh, "--sources", reports]);
    assert!(
        run.stdout.contains("quote not found in the report of na-bieu"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn a_2025_report_table_answers_latest_by_province_at_the_2025_communes() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let text = "Báo cáo kết quả Đề án 06 của UBND tỉnh Gia Lai, ngày 10/10/2025.\n\
                Biểu 1: Tỷ lệ kích hoạt định danh điện tử đến ngày 30/9/2025\n\
                Đơn vị\tSố tài khoản đã kích hoạt\tTỷ lệ kích hoạt (%)\n\
                Phường Quy Nhơn Nam\t12.345\t45,6\n\
                Xã Ia Rsai\t1.200\t50,2\n\
                Tổng\t13.545\t47,1\n";
    std::fs::write(reports.join("gl-bieu.txt"), text).unwrap();
    let candidates = dir.path().join("gl-bieu.csv");
    std::fs::write(
        &candidates,
        ok(&["extract", reports.join("gl-bieu.txt").to_str().unwrap(), "--format", "csv"]),
    )
    .unwrap();
    let sources = dir.path().join("sources.csv");
    std::fs::write(
        &sources,
        "source_id,title,publisher,published,province_code,seed_file\ngl-bieu,Biểu 1,UBND tỉnh Gia Lai,2025-10-10,52,gl-bieu.txt\n",
    )
    .unwrap();
    let (_keep, wh) = common::warehouse();
    let wh = wh.to_str().unwrap();
    ok(&["ingest", sources.to_str().unwrap(), "--warehouse", wh]);
    let out = ok(&[
        "ingest",
        candidates.to_str().unwrap(),
        "--warehouse",
        wh,
        "--sources",
        reports.to_str().unwrap(),
    ]);
    // The total agrees with its rows (12.345 + 1.200): nothing set aside, nothing flagged.
    assert!(out.contains("ingested 6 rows into observations"), "{out}");
    let out = ok(&[
        "run",
        "latest_by_province",
        "-p",
        "level=commune_2025",
        "-p",
        "indicator=eid_activated_rate",
        "--warehouse",
        wh,
        "--format",
        "csv",
    ]);
    let rows = parse_csv(&out);
    // (code, place, value, as_of, source) of the table's two wards.
    let of = |code: &str| {
        let r = rows.iter().find(|r| r[8] == code).unwrap_or_else(|| panic!("no {code}: {out}"));
        (r[9].clone(), r[2].clone(), r[5].clone(), r[6].clone())
    };
    let want =
        |p: &str, v: &str| (p.to_string(), v.to_string(), "2025-09-30".to_string(), "gl-bieu".to_string());
    assert_eq!(of("21592"), want("Quy Nhơn Nam", "45.6"));
    assert_eq!(of("24112"), want("Ia Rsai", "50.2"));
}

#[test]
fn a_pdf_that_keeps_its_columns() {
    let dir = tempfile::tempdir().unwrap();
    // Each piece of text drawn where a page puts it: prose on its lines, a table's cells in columns.
    let mut content = String::from("BT /F1 10 Tf\n");
    let mut draw = |x: u32, y: u32, text: &str| {
        content.push_str(&format!("1 0 0 1 {x} {y} Tm {} Tj\n", common::office::pdf_string(text)));
    };
    draw(40, 800, "Báo cáo kết quả thực hiện Đề án 06 của UBND tỉnh Gia Lai tháng 9 năm 2025, trong đó");
    draw(40, 788, "có kết quả kích hoạt tài khoản tại các xã, phường.");
    draw(40, 760, "Biểu 1: Kết quả kích hoạt định danh điện tử đến ngày 30/9/2025");
    for (y, cells) in [
        (740, ["Đơn vị", "Số tài khoản đã kích hoạt", "Tỷ lệ kích hoạt (%)"]),
        (725, ["Phuong Quy Nhon Nam", "12.345", "45,6"]),
        (710, ["Xã Ia Rsai", "1.200", "50,2"]),
        (695, ["Tổng cộng", "13.545", "47,1"]),
    ] {
        for (x, cell) in [40, 220, 400].into_iter().zip(cells) {
            draw(x, y, cell);
        }
    }
    content.push_str("ET\n");
    let path = dir.path().join("bao-cao.pdf");
    std::fs::write(&path, common::office::pdf(&content)).unwrap();
    let out = ok(&["extract", path.to_str().unwrap(), "--date", "2025-10-10", "--format", "csv"]);
    let rows: Vec<[String; 10]> =
        parse_csv(&out).into_iter().map(|r| [1, 2, 3, 4, 5, 6, 7, 8, 14, 19].map(|k| r[k].clone())).collect();
    assert_eq!(rows.len(), 6, "{out}");
    // A type word written without its tone marks (`Phuong`) still names a 2025 ward.
    let r = row(&rows, "45.6");
    assert_eq!(&r[..8], ["eid_activated_rate", "commune_2025", "52", "", "21592", "", "2025-09-30", "45.6"]);
    assert_eq!(r[8], "Biểu 1, Phuong Quy Nhon Nam, Tỷ lệ kích hoạt (%): 45,6");
    assert_eq!(&row(&rows, "1200.0")[..5], ["eid_activated", "commune_2025", "64", "", "24112"]);
    // The total agrees with its rows.
    assert_eq!(&row(&rows, "13545.0")[1..3], ["province", "64"]);
    assert_eq!(row(&rows, "13545.0")[9], "");
}

#[test]
fn a_layout_table_is_read_as_prose() {
    let dir = tempfile::tempdir().unwrap();
    // A letterhead in two columns and a paragraph set beside a note: tables whose rows name no
    // unit, whose text is the report's prose.
    let row = |a: &str, b: &str| format!("<w:tr>{}{}</w:tr>", cell(a, 1, None), cell(b, 1, None));
    let body = [
        format!(
            "<w:tbl>{}{}</w:tbl>",
            row("UBND TỈNH NGHỆ AN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
            row("Số: 123/BC-UBND", "Nghệ An, ngày 5 tháng 7 năm 2024")
        ),
        paragraph("BÁO CÁO Kết quả thực hiện Đề án 06 sáu tháng đầu năm 2024"),
        format!(
            "<w:tbl>{}{}</w:tbl>",
            row(
                "Tính đến ngày 30/6/2024, toàn tỉnh đã kích hoạt 812.400 tài khoản định danh điện tử.",
                "Số liệu do Công an tỉnh cung cấp."
            ),
            row("Các huyện, thị xã tiếp tục rà soát dữ liệu dân cư trên địa bàn.", "Xem thêm phụ lục.")
        ),
    ]
    .concat();
    let path = dir.path().join("bao-cao.docx");
    std::fs::write(&path, docx(&body)).unwrap();
    let out = ok(&["extract", path.to_str().unwrap(), "--format", "csv"]);
    let rows = parse_csv(&out);
    assert_eq!(rows.len(), 1, "{out}");
    // (indicator, level, province, start, end, value)
    let r = &rows[0];
    assert_eq!(
        [&r[1], &r[2], &r[3], &r[6], &r[7], &r[8]],
        ["eid_activated", "province", "40", "", "2024-06-30", "812400.0"]
    );
}
