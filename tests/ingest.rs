//! `chiso ingest`: validated before anything is written, atomic, one writer at a time, and every
//! kind of bad input a new user might try gets one clear message and changes nothing.
mod common;

use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use common::{chiso, ok, snapshot, warehouse, OBS_HEADER};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn count(wh: &Path) -> u64 {
    let out = ok(&[
        "query",
        "select count(*) as n from observations",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    out.lines().nth(1).unwrap().parse().unwrap()
}

fn row(id: &str, value: &str, quote: &str) -> String {
    format!("{id},eid_accounts,province,40,,,,2023-05-15,{value},,,,exact,na-2023-04,{quote}")
}

fn ingest(wh: &Path, file: &Path, extra: &[&str]) -> common::Run {
    let mut args = vec!["ingest", file.to_str().unwrap(), "--warehouse", wh.to_str().unwrap()];
    args.extend_from_slice(extra);
    chiso(&args)
}

#[test]
fn ingest_adds_rows_and_rejects_a_second_time() {
    let (dir, wh) = warehouse();
    let file = dir.path().join("new.csv");
    fs::write(&file, format!("{OBS_HEADER}\n{}\n", row("n-1", "1500000", "đạt 1.500.000 tài khoản")))
        .unwrap();
    let run = ingest(&wh, &file, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("ingested 1 row into observations"), "{}", run.stdout);
    assert_eq!(count(&wh), 179);

    let before = snapshot(&wh);
    let run = ingest(&wh, &file, &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("new.csv:2: obs_id: \"n-1\" is already in the warehouse"), "{}", run.stderr);
    assert_eq!(snapshot(&wh), before, "a rejected ingest changed the warehouse");

    // --upsert replaces: the same file twice is a no-op in content.
    fs::write(&file, format!("{OBS_HEADER}\n{}\n", row("n-1", "1600000", "đạt 1.600.000 tài khoản")))
        .unwrap();
    let run = ingest(&wh, &file, &["--upsert"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("1 replaced"), "{}", run.stdout);
    let v = ok(&[
        "query",
        "select value from observations where obs_id = 'n-1'",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(v, "value\n1600000.0\n");
    assert_eq!(count(&wh), 179);
    // The files chiso writes hold plain Utf8 text, whatever type the engine read it as.
    for entry in fs::read_dir(wh.join("observations")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "parquet") {
            let file = fs::File::open(&path).unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
            let field = reader.schema().field_with_name("province_code").unwrap().clone();
            assert_eq!(field.data_type(), &DataType::Utf8, "{}", path.display());
        }
    }
}

#[test]
fn ingest_lists_every_problem_with_its_place() {
    let (dir, wh) = warehouse();
    let before = snapshot(&wh);
    let file = dir.path().join("bad.csv");
    let rows = [
        row("b-1", "1494541", "1.494.541 tài khoản"),
        "b-2,eid_acounts,province,40,,,,2023-05-15,12,,,,exact,na-2023-04,12 tài khoản".to_string(),
        row("b-1", "5", "5 tài khoản"),
        "b-4,eid_accounts,province,40,,,,2023-05-15,7,,,,maybe,nowhere,7 tài khoản".to_string(),
    ];
    fs::write(&file, format!("{OBS_HEADER}\n{}\n", rows.join("\n"))).unwrap();
    let run = ingest(&wh, &file, &[]);
    assert_eq!(run.code, 1);
    for expect in [
        "bad.csv:4: obs_id: \"b-1\" is also at",
        "bad.csv:3: indicator: unknown indicator eid_acounts",
        "bad.csv:5: qualifier:",
        "bad.csv:5: source_id: unknown source nowhere",
    ] {
        assert!(run.stderr.contains(expect), "missing {expect:?} in\n{}", run.stderr);
    }
    assert_eq!(snapshot(&wh), before);
}

#[test]
fn more_than_fifty_problems_are_counted() {
    let (dir, wh) = warehouse();
    let file = dir.path().join("many.csv");
    let rows: Vec<String> = (0..70).map(|i| row(&format!("m-{i}"), "1.494.541", "q")).collect();
    fs::write(&file, format!("{OBS_HEADER}\n{}\n", rows.join("\n"))).unwrap();
    let run = ingest(&wh, &file, &[]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr.lines().filter(|l| l.starts_with("  ")).count(), 51, "{}", run.stderr);
    assert!(run.stderr.contains("... and 20 more"), "{}", run.stderr);
}

/// Each bad input: exit 1 or 2, a message containing `expect`, and the warehouse untouched.
fn rejected(name: &str, bytes: &[u8], expect: &str) {
    let (dir, wh) = warehouse();
    let before = snapshot(&wh);
    let file = dir.path().join(name);
    fs::write(&file, bytes).unwrap();
    let run = ingest(&wh, &file, &[]);
    assert!(run.code == 1 || run.code == 2, "{name}: exit {}", run.code);
    assert!(run.stderr.contains(expect), "{name}: expected {expect:?} in\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(snapshot(&wh), before, "{name} changed the warehouse");
}

#[test]
fn bad_inputs_a_new_user_might_try() {
    rejected("empty.csv", b"", "the file is empty");
    rejected("header.csv", format!("{OBS_HEADER}\n").as_bytes(), "no rows after the header");
    rejected("semi.csv", OBS_HEADER.replace(',', ";").as_bytes(), "chiso reads comma-separated files");
    let latin1 = format!("{OBS_HEADER}\n{}\n", row("l-1", "5", "5 tài khoản")).replace("tài", "t\u{e0}i");
    let mut bytes = latin1.into_bytes();
    let at = bytes.windows(2).position(|w| w == "à".as_bytes()).unwrap();
    bytes.splice(at..at + 2, [0xe0u8]); // à in Latin-1
    rejected("latin1.csv", &bytes, "latin1.csv:2: quote: not UTF-8 text");
    rejected("vn.csv", format!("{OBS_HEADER}\n{}\n", row("v-1", "1.494.541", "q")).as_bytes(),
        "vn.csv:2: value: \"1.494.541\" is written with Vietnamese separators; write the number plainly: 1494541");
    rejected(
        "date.csv",
        format!("{OBS_HEADER}\n{}\n", row("d-1", "5", "5").replace("2023-05-15", "15/4/2023")).as_bytes(),
        "date.csv:2: period_end: \"15/4/2023\" is not a date written YYYY-MM-DD (did you mean 2023-04-15?)",
    );
    rejected(
        "name.csv",
        format!("{OBS_HEADER}\n{}\n", row("p-1", "5", "5").replace(",40,", ",Nghệ An,")).as_bytes(),
        "name.csv:2: province_code: \"Nghệ An\" is a province name; write its code 40",
    );
    rejected(
        "zero.csv",
        format!("{OBS_HEADER}\n{}\n", row("z-1", "5", "5").replace(",40,", ",4,")).as_bytes(),
        "zero.csv:2: province_code: \"4\" is too short: codes are 2 digits and keep their leading zeros (04)",
    );
    rejected("trunc.parquet", b"PAR1\x00\x00\x00", "trunc.parquet: not a readable Parquet file");
    rejected(
        "short.csv",
        format!("{OBS_HEADER}\nonly,three,fields\n").as_bytes(),
        "short.csv:2: 3 fields where the header has 15",
    );
    rejected("missing.csv", b"obs_id,value\nx,1\n", "the header lacks required columns");
}

#[test]
fn bom_and_crlf_are_fine() {
    let (dir, wh) = warehouse();
    let file = dir.path().join("bom.csv");
    let text = format!("\u{feff}{OBS_HEADER}\r\n{}\r\n", row("w-1", "5", "5 tài khoản"));
    fs::write(&file, text).unwrap();
    let run = ingest(&wh, &file, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&wh), 179);
}

#[test]
fn json_and_parquet_inputs() {
    let (dir, wh) = warehouse();
    let nd = dir.path().join("new.ndjson");
    fs::write(
        &nd,
        "{\"obs_id\":\"j-1\",\"indicator\":\"eid_accounts\",\"geo_level\":\"province\",\"province_code\":\"40\",\
         \"period_end\":\"2023-05-15\",\"value\":5,\"qualifier\":\"exact\",\"source_id\":\"na-2023-04\",\"quote\":\"5 tài khoản\"}\n",
    )
    .unwrap();
    assert_eq!(ingest(&wh, &nd, &[]).code, 0);
    // Export those rows to Parquet and ingest them into a second warehouse.
    let pq = dir.path().join("rows.parquet");
    ok(&[
        "export",
        "--sql",
        "select * from observations where obs_id = 'j-1'",
        "--out",
        pq.to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
    ]);
    let (_d2, wh2) = warehouse();
    let run = ingest(&wh2, &pq, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&wh2), 179);
}

#[test]
fn paths_that_are_not_files() {
    let (dir, wh) = warehouse();
    let run = ingest(&wh, &dir.path().join("nope.csv"), &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("nope.csv: no such file"), "{}", run.stderr);
    let run = ingest(&wh, dir.path(), &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("is a directory"), "{}", run.stderr);
    let run = chiso(&["ingest", "x.csv"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pass --warehouse DIR"), "{}", run.stderr);
}

#[test]
fn a_second_writer_waits_or_fails_clearly() {
    let (dir, wh) = warehouse();
    let file = dir.path().join("new.csv");
    fs::write(&file, format!("{OBS_HEADER}\n{}\n", row("l-1", "5", "5 tài khoản"))).unwrap();
    let lock =
        fs::OpenOptions::new().create(true).truncate(false).write(true).open(wh.join(".chiso.lock")).unwrap();
    lock.try_lock().unwrap();
    let run = ingest(&wh, &file, &["--wait", "0"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("another chiso is writing to the warehouse"), "{}", run.stderr);
    drop(lock);
    assert_eq!(ingest(&wh, &file, &["--wait", "0"]).code, 0);
}

/// A tiny deterministic generator, so the kill points differ between runs but a failure can be replayed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn killed_at_random_points_the_warehouse_reads_as_before_or_after_for_every_reader() {
    let (dir, wh) = warehouse();
    let rows = 20_000;
    let file = dir.path().join("big.csv");
    let mut text = format!("{OBS_HEADER}\n");
    for i in 0..rows {
        text.push_str(&row(
            &format!("k-{i:06}"),
            &(1000 + i).to_string(),
            &format!("cấp {} tài khoản", 1000 + i),
        ));
        text.push('\n');
    }
    fs::write(&file, text).unwrap();
    let base = count(&wh);

    // How long one uninterrupted ingest takes, on a copy.
    let (_d2, probe) = warehouse();
    let started = Instant::now();
    assert_eq!(ingest(&probe, &file, &[]).code, 0);
    let full = started.elapsed();

    let mut seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    eprintln!("kill test seed {seed}, full run {full:?}");
    let deadline = Instant::now() + Duration::from_secs(120);
    for _ in 0..12 {
        if Instant::now() > deadline {
            break;
        }
        let delay = Duration::from_micros(next(&mut seed) % (full.as_micros() as u64 * 11 / 10 + 1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_chiso"))
            .args(["ingest", file.to_str().unwrap(), "--warehouse", wh.to_str().unwrap(), "--upsert"])
            .env("CHISO_CACHE_DIR", common::cache())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let n = count(&wh);
        assert!(n == base || n == base + rows, "after a kill at {delay:?} the warehouse holds {n} rows");
    }
    // Another reader, Python's deltalake, sees only committed files: the same rows as chiso,
    // although the killed writers' uncommitted files are still on disk.
    let python = common::delta_python();
    if let Some(python) = &python {
        assert_eq!(common::python_delta_rows(python, &wh.join("observations")), count(&wh));
    }
    // A last, uninterrupted write completes.
    assert_eq!(ingest(&wh, &file, &["--upsert"]).code, 0);
    assert_eq!(count(&wh), base + rows);
    if let Some(python) = &python {
        assert_eq!(common::python_delta_rows(python, &wh.join("observations")), base + rows);
    }
}

#[test]
fn rejects_sets_aside_bad_rows_with_their_reasons_and_ingests_the_rest() {
    let (dir, wh) = warehouse();
    let before = count(&wh);
    let file = dir.path().join("batch.csv");
    let rejects = dir.path().join("rejected.csv");
    let no_indicator = "n-2,,province,40,,,,2023-05-15,12,,,,exact,na-2023-04,đạt 12 xã";
    let bad_date = row("n-3", "7", "có 7 huyện").replace("2023-05-15", "15/5/2023");
    let lines = [OBS_HEADER, &row("n-1", "1500000", "đạt 1.500.000 tài khoản"), no_indicator, &bad_date];
    fs::write(&file, lines.join("\n") + "\n").unwrap();
    // Without --rejects the whole file is refused.
    let run = ingest(&wh, &file, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(count(&wh), before);
    let run = ingest(&wh, &file, &["--rejects", rejects.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("ingested 1 row into observations"), "{}", run.stdout);
    assert!(run.stdout.contains("set aside 2 rows"), "{}", run.stdout);
    assert_eq!(count(&wh), before + 1);
    let set_aside = common::parse_csv(&fs::read_to_string(&rejects).unwrap());
    assert_eq!(set_aside.len(), 2, "{set_aside:?}");
    // Each row as written, where it was (file:line) and why.
    let file_name = file.to_str().unwrap();
    assert_eq!(set_aside[0][0], "n-2");
    assert_eq!(set_aside[0][16], format!("{file_name}:3"));
    assert_eq!(set_aside[0][17], "indicator: required: the cell is empty");
    assert_eq!(set_aside[1][7], "15/5/2023");
    assert!(set_aside[1][17].starts_with("period_end: \"15/5/2023\" is not a date"), "{:?}", set_aside[1]);
    // A row the checks against the warehouse refuse (its obs_id is there already) is set aside
    // too; the rejects file, mended, ingests as it is (its two extra columns are ignored).
    let mended = fs::read_to_string(&rejects)
        .unwrap()
        .replace(",,province,40", ",eid_accounts,province,40")
        .replace("15/5/2023", "2023-05-15");
    let again = dir.path().join("mended.csv");
    fs::write(&again, format!("{mended}{}\n", row("n-1", "1500000", "đạt 1.500.000 tài khoản") + ",,,"))
        .unwrap();
    let run = ingest(&wh, &again, &["--rejects", rejects.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("ingested 2 rows"), "{}", run.stdout);
    assert_eq!(count(&wh), before + 3);
    let set_aside = common::parse_csv(&fs::read_to_string(&rejects).unwrap());
    assert_eq!(set_aside.len(), 1, "{set_aside:?}");
    assert_eq!(set_aside[0][17], "obs_id: \"n-1\" is already in the warehouse (an upsert replaces it)");
}

#[test]
fn rejects_with_nothing_left_changes_nothing_and_says_so() {
    let (dir, wh) = warehouse();
    let file = dir.path().join("batch.csv");
    let rejects = dir.path().join("rejected.csv");
    fs::write(
        &file,
        format!("{OBS_HEADER}\nn-9,,province,40,,,,2023-05-15,12,,,,exact,na-2023-04,đạt 12 xã\n"),
    )
    .unwrap();
    let files = snapshot(&wh);
    let run = ingest(&wh, &file, &["--rejects", rejects.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("no row passed the checks: nothing ingested; the 1 rows"), "{}", run.stderr);
    assert_eq!(snapshot(&wh), files);
    assert_eq!(common::parse_csv(&fs::read_to_string(&rejects).unwrap()).len(), 1);
    // The rows set aside never overwrite an input.
    let run = ingest(&wh, &file, &["--rejects", file.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("that is one of the input files"), "{}", run.stderr);
}

#[test]
fn an_excel_sheet_ingests_as_a_csv_file_does() {
    let (dir, wh) = warehouse();
    let before = count(&wh);
    let header: Vec<&str> = OBS_HEADER.split(',').collect();
    let first: Vec<&str> =
        "x-1,eid_accounts,province,40,,,,2023-05-15,#1500000,,,,exact,na-2023-04,đạt 1.500.000 tài khoản"
            .split(',')
            .collect();
    let second: Vec<&str> =
        "x-2,eid_accounts_level2,district,40,430,,,2023-05-15,#81.5,,,,exact,na-2023-04,đạt 81.5 phần trăm"
            .split(',')
            .collect();
    let book = common::office::xlsx("Sheet1", &[&header, &first, &second], &[]);
    let file = dir.path().join("new.xlsx");
    fs::write(&file, book).unwrap();
    let run = ingest(&wh, &file, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(count(&wh), before + 2);
    let out = ok(&[
        "query",
        "select value, district_code from observations where obs_id like 'x-%' order by obs_id",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(out, "value,district_code\n1500000.0,\n81.5,430\n");
    // A problem names the sheet's row.
    let bad: Vec<&str> =
        "x-3,eid_accounts,province,40,,,,15/5/2023,#7,,,,exact,na-2023-04,7".split(',').collect();
    fs::write(&file, common::office::xlsx("Sheet1", &[&header, &bad], &[])).unwrap();
    let run = ingest(&wh, &file, &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("new.xlsx:2: period_end: \"15/5/2023\" is not a date"), "{}", run.stderr);
}
