//! Reading files people hand to `ingest` (CSV, JSON/NDJSON, Excel `.xlsx`, Parquet) into batches
//! of a table's schema, finding every problem on the way with where it is: `file:line: column:
//! reason`. Rows with a problem of their own can be set aside instead ([`Rejected`]), for
//! `ingest --rejects`.
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Date32Array, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::compute::kernels::cast_utils::Parser;
use datafusion::arrow::datatypes::{DataType, Date32Type, SchemaRef};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::Problem;
use crate::numbers::parse_vn_number;
use crate::storage::reference::reference;
use crate::storage::schema::{schema, TABLES};

/// Rows read from one or more files, in the table's schema, with where each row came from.
#[derive(Debug)]
pub struct Loaded {
    /// The table the rows belong to.
    pub table: &'static str,
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// `file:line` of each row, in order.
    pub origins: Vec<String>,
    /// Rows set aside for problems of their own (only when asked to go on past them).
    pub rejected: Vec<Rejected>,
}

/// A row left out, with why.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// `file:line`.
    pub origin: String,
    /// Its cells as written, in the order of the table's columns.
    pub cells: Vec<Option<String>>,
    /// `column: reason` for each problem.
    pub reasons: Vec<String>,
}

fn problem(file: &str, line: Option<usize>, column: Option<&str>, reason: impl Into<String>) -> Problem {
    Problem { file: file.to_string(), line, column: column.map(str::to_string), reason: reason.into() }
}

/// The table whose columns the header names: the one whose required columns are all present,
/// with the most columns in common. `into` forces one.
pub fn table_for(header: &[String], into: Option<&str>) -> Option<&'static str> {
    if let Some(name) = into {
        return TABLES.iter().find(|t| t.name == name).map(|t| t.name);
    }
    TABLES
        .iter()
        .filter(|t| {
            schema(t.name).fields().iter().filter(|f| !f.is_nullable()).all(|f| header.contains(f.name()))
        })
        .max_by_key(|t| schema(t.name).fields().iter().filter(|f| header.contains(f.name())).count())
        .map(|t| t.name)
}

/// Convert one cell to the column's type, or say why it cannot be.
fn check_cell(table: &str, column: &str, ty: &DataType, raw: &str) -> Result<Option<String>, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match ty {
        DataType::Float64 => {
            if value.parse::<f64>().is_ok_and(|v| v.is_finite()) {
                Ok(Some(value.to_string()))
            } else if let Some(v) = parse_vn_number(value) {
                Err(format!("{value:?} is written with Vietnamese separators; write the number plainly: {v}"))
            } else {
                Err(format!("{value:?} is not a number"))
            }
        }
        DataType::Date32 => {
            let iso = value.len() == 10 && value.as_bytes()[4] == b'-' && value.as_bytes()[7] == b'-';
            if iso && Date32Type::parse(value).is_some() {
                return Ok(Some(value.to_string()));
            }
            let parts: Vec<&str> = value.split(['/', '.', '-']).collect();
            let hint = match parts.as_slice() {
                [d, m, y] if y.len() == 4 => match (d.parse::<u32>(), m.parse::<u32>()) {
                    (Ok(d), Ok(m)) => format!(" (did you mean {y}-{m:02}-{d:02}?)"),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            Err(format!("{value:?} is not a date written YYYY-MM-DD{hint}"))
        }
        DataType::Boolean => match value.to_ascii_lowercase().as_str() {
            "true" | "false" => Ok(Some(value.to_ascii_lowercase())),
            _ => Err(format!("{value:?} is not true or false")),
        },
        _ => {
            let digits = match (table, column) {
                ("observations", "province_code") | ("sources", "province_code") => Some(2),
                ("observations", "district_code") => Some(3),
                ("observations", "commune_code") => Some(5),
                _ => None,
            };
            if let Some(n) = digits {
                if !value.bytes().all(|b| b.is_ascii_digit()) {
                    let code = if n == 2 { reference().province_code(value) } else { None };
                    return Err(match code {
                        Some(code) => format!("{value:?} is a province name; write its code {code}"),
                        None => format!("{value:?} is not a {n}-digit code"),
                    });
                }
                if value.len() < n {
                    return Err(format!(
                        "{value:?} is too short: codes are {n} digits and keep their leading zeros ({value:0>n$})"
                    ));
                }
                if value.len() > n {
                    return Err(format!("{value:?} is not a {n}-digit code"));
                }
            }
            Ok(Some(raw.to_string()))
        }
    }
}

/// Build typed columns from text cells that have already been checked.
fn build_batch(schema: &SchemaRef, columns: Vec<Vec<Option<String>>>) -> Result<RecordBatch, String> {
    let arrays: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .zip(columns)
        .map(|(field, cells)| -> ArrayRef {
            match field.data_type() {
                DataType::Float64 => Arc::new(
                    cells
                        .iter()
                        .map(|c| c.as_deref().and_then(|v| v.trim().parse::<f64>().ok()))
                        .collect::<Float64Array>(),
                ),
                DataType::Date32 => Arc::new(
                    cells
                        .iter()
                        .map(|c| c.as_deref().and_then(|v| Date32Type::parse(v.trim())))
                        .collect::<Date32Array>(),
                ),
                DataType::Boolean => Arc::new(
                    cells.iter().map(|c| c.as_deref().map(|v| v == "true")).collect::<BooleanArray>(),
                ),
                _ => Arc::new(cells.iter().map(|c| c.as_deref()).collect::<StringArray>()),
            }
        })
        .collect();
    RecordBatch::try_new(schema.clone(), arrays).map_err(|e| e.to_string())
}

/// Text rows of one file: its header and `(line, cells)` for each record.
struct TextRows {
    header: Vec<String>,
    rows: Vec<(usize, Vec<Option<String>>)>,
}

fn read_csv(file: &str, bytes: &[u8], problems: &mut Vec<Problem>) -> Option<TextRows> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(problem(file, Some(1), None, format!("cannot read the header: {e}")));
            return None;
        }
    };
    let mut names = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        let Ok(mut name) = String::from_utf8(raw.to_vec()) else {
            problems.push(problem(
                file,
                Some(1),
                None,
                "the header is not UTF-8 text; save the file as UTF-8",
            ));
            return None;
        };
        if i == 0 {
            name = name.trim_start_matches('\u{feff}').to_string();
        }
        names.push(name.trim().to_string());
    }
    let mut rows = Vec::new();
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                problems.push(problem(file, line, None, format!("cannot read the row: {e}")));
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.len() != names.len() {
            problems.push(problem(
                file,
                Some(line),
                None,
                format!("{} fields where the header has {}", record.len(), names.len()),
            ));
            continue;
        }
        let mut cells = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(text) => cells.push(Some(text.to_string())),
                Err(_) => {
                    problems.push(problem(
                        file,
                        Some(line),
                        Some(&names[i]),
                        "not UTF-8 text; save the file as UTF-8",
                    ));
                    cells.push(None);
                }
            }
        }
        rows.push((line, cells));
    }
    Some(TextRows { header: names, rows })
}

fn json_cell(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn read_json(file: &str, text: &str, problems: &mut Vec<Problem>) -> Option<TextRows> {
    let mut objects: Vec<(usize, serde_json::Map<String, serde_json::Value>)> = Vec::new();
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('[') {
        match serde_json::from_str::<Vec<serde_json::Value>>(trimmed) {
            Ok(values) => {
                for (i, v) in values.into_iter().enumerate() {
                    match v {
                        serde_json::Value::Object(map) => objects.push((i + 1, map)),
                        _ => problems.push(problem(file, Some(i + 1), None, "expected a JSON object")),
                    }
                }
            }
            Err(e) => {
                problems.push(problem(file, Some(e.line()), None, format!("not valid JSON: {e}")));
                return None;
            }
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            let line_text = line.trim().trim_start_matches('\u{feff}');
            if line_text.is_empty() {
                continue;
            }
            match serde_json::from_str::<serde_json::Value>(line_text) {
                Ok(serde_json::Value::Object(map)) => objects.push((i + 1, map)),
                Ok(_) => problems.push(problem(file, Some(i + 1), None, "expected a JSON object")),
                Err(e) => problems.push(problem(file, Some(i + 1), None, format!("not valid JSON: {e}"))),
            }
        }
    }
    let mut header: Vec<String> = Vec::new();
    for (_, map) in &objects {
        for key in map.keys() {
            if !header.contains(key) {
                header.push(key.clone());
            }
        }
    }
    let rows = objects
        .iter()
        .map(|(line, map)| (*line, header.iter().map(|k| map.get(k).and_then(json_cell)).collect()))
        .collect();
    Some(TextRows { header, rows })
}

fn read_parquet(file: &str, path: &Path, into: Option<&str>, problems: &mut Vec<Problem>) -> Option<Loaded> {
    let opened = std::fs::File::open(path)
        .map_err(|e| e.to_string())
        .and_then(|f| ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| e.to_string()));
    let builder = match opened {
        Ok(b) => b,
        Err(e) => {
            problems.push(problem(file, None, None, format!("not a readable Parquet file: {e}")));
            return None;
        }
    };
    let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let table = check_header(file, &header, into, problems)?;
    let target = schema(table);
    let reader = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            problems.push(problem(file, None, None, format!("not a readable Parquet file: {e}")));
            return None;
        }
    };
    let mut batches = Vec::new();
    let mut origins = Vec::new();
    for batch in reader {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                problems.push(problem(file, None, None, format!("damaged Parquet data: {e}")));
                return None;
            }
        };
        let mut columns = Vec::new();
        for field in target.fields() {
            let column = match batch.column_by_name(field.name()) {
                Some(c) => cast(c, field.data_type()).map_err(|e| e.to_string()),
                None => Ok(datafusion::arrow::array::new_null_array(field.data_type(), batch.num_rows())),
            };
            match column {
                Ok(c) => columns.push(c),
                Err(e) => {
                    problems.push(problem(
                        file,
                        None,
                        Some(field.name()),
                        format!("cannot be read as {}: {e}", field.data_type()),
                    ));
                    return None;
                }
            }
        }
        match RecordBatch::try_new(target.clone(), columns) {
            Ok(b) => {
                let start = origins.len();
                origins.extend((0..b.num_rows()).map(|i| format!("{file}:row {}", start + i + 1)));
                batches.push(b);
            }
            Err(e) => {
                problems.push(problem(file, None, None, format!("rows do not fit the {table} table: {e}")));
                return None;
            }
        }
    }
    Some(Loaded { table, batches, origins, rejected: Vec::new() })
}

/// The first sheet of a workbook, its first row the header. Numbers are written plainly
/// (`1234.5`), dates `YYYY-MM-DD`, as in a CSV file; a row's line is its row in the sheet.
fn read_xlsx(file: &str, bytes: &[u8], problems: &mut Vec<Problem>) -> Option<TextRows> {
    use calamine::{Data, DataType as _, Reader, Xlsx};
    let mut fail = |e: String| {
        problems.push(problem(file, None, None, format!("cannot read the workbook: {e}")));
        None
    };
    let mut book: Xlsx<_> = match Xlsx::new(std::io::Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => return fail(e.to_string()),
    };
    let Some(Ok(range)) = book.worksheet_range_at(0) else {
        return fail("it has no sheet".into());
    };
    let top = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let text = |d: &Data| -> Option<String> {
        match d {
            Data::Empty => None,
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
            Data::Float(f) => Some(f.to_string()),
            Data::DateTime(_) | Data::DateTimeIso(_) => d.as_date().map(|day| day.to_string()),
            other => Some(other.to_string()),
        }
    };
    let mut rows = range.rows();
    let header: Vec<String> =
        rows.next()?.iter().map(|c| text(c).unwrap_or_default().trim().to_string()).collect();
    let rows: Vec<(usize, Vec<Option<String>>)> = rows
        .enumerate()
        .map(|(k, cells)| (top + k + 2, cells.iter().map(text).collect::<Vec<_>>()))
        .filter(|(_, cells)| cells.iter().any(Option::is_some))
        .collect();
    // A sheet's used range often runs past its last column: columns with neither a name nor a
    // value are not there.
    let used: Vec<usize> = (0..header.len())
        .filter(|&c| {
            !header[c].is_empty() || rows.iter().any(|(_, cells)| cells.get(c).is_some_and(Option::is_some))
        })
        .collect();
    let header = used.iter().map(|&c| header[c].clone()).collect();
    let rows = rows
        .into_iter()
        .map(|(line, cells)| (line, used.iter().map(|&c| cells.get(c).cloned().flatten()).collect()))
        .collect();
    Some(TextRows { header, rows })
}

/// Columns `chiso extract` adds for the reviewer, which ingest ignores.
pub const REVIEW_COLUMNS: [&str; 4] = ["confidence", "start_byte", "end_byte", "review"];

/// Columns `ingest --rejects` adds to each row it sets aside, which ingest ignores, so the file
/// can be mended and ingested again.
pub const REJECT_COLUMNS: [&str; 2] = ["rejected_at", "reasons"];

/// Check a header against the table it names; returns that table.
fn check_header(
    file: &str,
    header: &[String],
    into: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<&'static str> {
    if header.len() == 1 {
        for sep in [';', '\t', '|'] {
            if header[0].contains(sep) {
                problems.push(problem(
                    file,
                    Some(1),
                    None,
                    format!("the header is one column holding {sep:?}: chiso reads comma-separated files; save it with commas"),
                ));
                return None;
            }
        }
    }
    let Some(table) = table_for(header, into) else {
        let want = schema("observations");
        let missing: Vec<&str> = want
            .fields()
            .iter()
            .filter(|f| !f.is_nullable() && !header.contains(f.name()))
            .map(|f| f.name().as_str())
            .collect();
        problems.push(problem(
            file,
            Some(1),
            None,
            format!(
                "the columns match no table; for observations the header lacks required columns: {}",
                missing.join(", ")
            ),
        ));
        return None;
    };
    let target = schema(table);
    let mut ok = true;
    for field in target.fields() {
        if !field.is_nullable() && !header.contains(field.name()) {
            problems.push(problem(
                file,
                Some(1),
                Some(field.name()),
                format!("required column missing from the header ({table})"),
            ));
            ok = false;
        }
    }
    for name in header {
        // The review columns `chiso extract` adds are left out, so its output ingests as it is.
        if REVIEW_COLUMNS.contains(&name.as_str()) || REJECT_COLUMNS.contains(&name.as_str()) {
            continue;
        }
        if target.field_with_name(name).is_err() {
            problems.push(problem(file, Some(1), Some(name), format!("no such column in table {table}")));
            ok = false;
        }
    }
    ok.then_some(table)
}

/// Read `path` into rows of the table its columns name (or `into`). Every problem found is added
/// to `problems`; `None` when the file could not be read as a whole. With `go_on`, a row with
/// problems of its own is set aside in [`Loaded::rejected`] instead.
pub fn load(path: &Path, into: Option<&str>, go_on: bool, problems: &mut Vec<Problem>) -> Option<Loaded> {
    let first_problem = problems.len();
    let file = path.display().to_string();
    if path.is_dir() {
        problems.push(problem(&file, None, None, "is a directory; give the data files themselves"));
        return None;
    }
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if ext == "parquet" {
        return read_parquet(&file, path, into, problems);
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(problem(&file, None, None, format!("cannot read: {e}")));
            return None;
        }
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        problems.push(problem(&file, None, None, "the file is empty; expected a header line and rows"));
        return None;
    }
    let text_rows = match ext.as_str() {
        "csv" => read_csv(&file, &bytes, problems)?,
        "xlsx" => read_xlsx(&file, &bytes, problems)?,
        "json" | "ndjson" | "jsonl" => match std::str::from_utf8(&bytes) {
            Ok(text) => read_json(&file, text, problems)?,
            Err(e) => {
                let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
                problems.push(problem(&file, Some(line), None, "not UTF-8 text; save the file as UTF-8"));
                return None;
            }
        },
        _ => {
            problems.push(problem(
                &file,
                None,
                None,
                "unknown file type: use .csv, .json, .ndjson, .xlsx or .parquet",
            ));
            return None;
        }
    };
    let table = check_header(&file, &text_rows.header, into, problems)?;
    if text_rows.rows.is_empty() {
        problems.push(problem(&file, None, None, "no rows after the header: nothing to ingest"));
        return None;
    }
    let target = schema(table);
    let positions: Vec<Option<usize>> =
        target.fields().iter().map(|f| text_rows.header.iter().position(|h| h == f.name())).collect();
    let mut columns: Vec<Vec<Option<String>>> =
        vec![Vec::with_capacity(text_rows.rows.len()); target.fields().len()];
    let mut origins = Vec::with_capacity(text_rows.rows.len());
    let mut rejected = Vec::new();
    for (line, cells) in &text_rows.rows {
        let mut row: Vec<Option<String>> = Vec::with_capacity(target.fields().len());
        let mut raws: Vec<Option<String>> = Vec::with_capacity(target.fields().len());
        let mut own: Vec<Problem> = Vec::new();
        for (field, pos) in target.fields().iter().zip(&positions) {
            let raw = pos.and_then(|p| cells.get(p).cloned().flatten());
            let checked = match raw.as_deref() {
                Some(text) => check_cell(table, field.name(), field.data_type(), text),
                None => Ok(None),
            };
            let value = match checked {
                Ok(v) => v,
                Err(reason) => {
                    own.push(problem(&file, Some(*line), Some(field.name()), reason));
                    None
                }
            };
            if value.is_none() && !field.is_nullable() && raw.as_deref().is_none_or(|r| r.trim().is_empty()) {
                own.push(problem(&file, Some(*line), Some(field.name()), "required: the cell is empty"));
            }
            row.push(value);
            raws.push(raw);
        }
        let origin = format!("{file}:{line}");
        if go_on && !own.is_empty() {
            let reasons =
                own.iter().map(|p| format!("{}: {}", p.column.as_deref().unwrap_or(""), p.reason)).collect();
            rejected.push(Rejected { origin, cells: raws, reasons });
            continue;
        }
        problems.extend(own);
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
        origins.push(origin);
    }
    if problems.len() > first_problem {
        return None;
    }
    match build_batch(&target, columns) {
        Ok(batch) => Some(Loaded { table, batches: vec![batch], origins, rejected }),
        Err(e) => {
            problems.push(problem(&file, None, None, e));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(column: &str, ty: DataType, raw: &str) -> Result<Option<String>, String> {
        check_cell("observations", column, &ty, raw)
    }

    #[test]
    fn cells_are_checked_against_their_type() {
        assert_eq!(cell("value", DataType::Float64, " 1494541 "), Ok(Some("1494541".into())));
        assert_eq!(cell("value", DataType::Float64, ""), Ok(None));
        let e = cell("value", DataType::Float64, "1.494.541").unwrap_err();
        assert!(e.contains("write the number plainly: 1494541"), "{e}");
        assert!(cell("value", DataType::Float64, "NaN").unwrap_err().contains("is not a number"));
        assert_eq!(cell("period_end", DataType::Date32, "2023-04-15"), Ok(Some("2023-04-15".into())));
        let e = cell("period_end", DataType::Date32, "15/4/2023").unwrap_err();
        assert!(e.contains("(did you mean 2023-04-15?)"), "{e}");
        assert!(cell("period_end", DataType::Date32, "2023-02-30").is_err());
        assert_eq!(cell("province_code", DataType::Utf8, "40"), Ok(Some("40".into())));
        let e = cell("province_code", DataType::Utf8, "Nghệ An").unwrap_err();
        assert!(e.contains("is a province name; write its code 40"), "{e}");
        let e = cell("province_code", DataType::Utf8, "1").unwrap_err();
        assert!(e.contains("keep their leading zeros (01)"), "{e}");
        assert!(cell("commune_code", DataType::Utf8, "123456").unwrap_err().contains("5-digit code"));
    }

    #[test]
    fn the_header_names_the_table() {
        let header = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let obs =
            header(&["obs_id", "indicator", "geo_level", "period_end", "value", "qualifier", "source_id"]);
        assert_eq!(table_for(&obs, None), Some("observations"));
        assert_eq!(table_for(&header(&["nothing", "known"]), None), None);
        assert_eq!(table_for(&header(&["x"]), Some("sources")), Some("sources"));
        assert_eq!(table_for(&header(&["x"]), Some("nope")), None);
    }

    #[test]
    fn csv_rows_keep_their_line_and_problems_their_place() {
        let mut problems = Vec::new();
        let text = "\u{feff}obs_id,value\nn-1,5\nn-2\n\"n-3\",7\n";
        let rows = read_csv("new.csv", text.as_bytes(), &mut problems).unwrap();
        assert_eq!(rows.header, ["obs_id", "value"]);
        let lines: Vec<usize> = rows.rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].to_string(), "new.csv:3: 1 fields where the header has 2");
    }

    #[test]
    fn ndjson_lines_must_be_objects() {
        let mut problems = Vec::new();
        let rows =
            read_json("new.ndjson", "{\"obs_id\": \"a\", \"value\": 1}\n\n[1]\n", &mut problems).unwrap();
        assert_eq!(rows.header, ["obs_id", "value"]);
        assert_eq!(rows.rows, [(1, vec![Some("a".to_string()), Some("1".to_string())])]);
        assert_eq!(problems[0].to_string(), "new.ndjson:3: expected a JSON object");
    }
}
