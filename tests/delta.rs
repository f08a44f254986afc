//! The warehouse as Delta Lake tables: versions and time travel (`history`, `--as-of`), the
//! upgrade of a warehouse chiso wrote before Delta Lake, and other Delta readers and writers
//! (Python `deltalake`, where `.ci/run` installed it) agreeing with chiso on the same tables.
mod common;

use std::fs;
use std::path::Path;

use common::{chiso, ok, parse_csv, warehouse, OBS_HEADER};

fn query(wh: &Path, sql: &str, extra: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["query", sql, "--warehouse", wh.to_str().unwrap(), "--format", "csv"];
    args.extend_from_slice(extra);
    parse_csv(&ok(&args))
}

fn history(wh: &Path, table: &str) -> Vec<Vec<String>> {
    parse_csv(&ok(&["history", table, "--warehouse", wh.to_str().unwrap(), "--format", "csv"]))
}

/// Two new observations of e-ID accounts in Nghệ An, as an ingest file.
fn two_rows(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("two.csv");
    let row = |id: &str, value: u32| {
        format!(
            "{id},eid_accounts,province,40,,,,2023-05-15,{value},,,,exact,na-2023-04,cấp {value} tài khoản"
        )
    };
    fs::write(&file, format!("{OBS_HEADER}\n{}\n{}\n", row("t-1", 1000), row("t-2", 2000))).unwrap();
    file
}

#[test]
fn each_ingest_is_a_version_and_any_version_can_be_read() {
    let (dir, wh) = warehouse();
    let w = wh.to_str().unwrap();
    let count = "select count(*) from observations";
    let first = history(&wh, "observations");
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(
        (first[0][0].as_str(), &first[0][2..]),
        ("0", &["CREATE TABLE", "178", "1"].map(String::from)[..])
    );

    ok(&["ingest", two_rows(dir.path()).to_str().unwrap(), "--warehouse", w]);
    let second = history(&wh, "observations");
    assert_eq!(second.len(), 2, "{second:?}");
    assert_eq!((second[0][0].as_str(), second[0][2].as_str(), second[0][3].as_str()), ("1", "MERGE", "180"));
    assert_eq!(second[1], first[0], "an older version's line does not change");

    assert_eq!(query(&wh, count, &[]), [["180"]]);
    assert_eq!(query(&wh, count, &["--as-of", "0"]), [["178"]]);
    assert_eq!(query(&wh, count, &["--as-of", "1"]), [["180"]]);
    // A time reads the version current then: version 0's own commit time gives version 0.
    let committed = &first[0][1];
    assert_eq!(query(&wh, count, &["--as-of", committed]), [["178"]]);
    // Saved queries and exports read the same past.
    let out = dir.path().join("old.csv");
    ok(&["export", "--sql", count, "--out", out.to_str().unwrap(), "--warehouse", w, "--as-of", "0"]);
    assert_eq!(parse_csv(&fs::read_to_string(&out).unwrap()), [["178"]]);

    let run = chiso(&["query", count, "--warehouse", w, "--as-of", "7"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("has no version 7") && run.stderr.contains("chiso history"),
        "{}",
        run.stderr
    );
    let run = chiso(&["query", count, "--warehouse", w, "--as-of", "2000-01-01"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("did not exist yet at 2000-01-01"), "{}", run.stderr);
    let run = chiso(&["query", count, "--warehouse", w, "--as-of", "yesterday"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("give a version number, a date"), "{}", run.stderr);
    let run = chiso(&["ingest", "x.csv", "--warehouse", w, "--as-of", "0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--as-of reads tables as they were"), "{}", run.stderr);
    let run = chiso(&["history", "observatons", "--warehouse", w]);
    assert!(run.code != 0 && run.stderr.contains("observations"), "{}", run.stderr);
}

/// A warehouse in the format chiso wrote before Delta Lake: each table of a built warehouse as
/// its Parquet file listed by a manifest, and in `observations` a file the manifest does not list
/// (left by a writer that died).
fn manifest_warehouse(dir: &Path) -> std::path::PathBuf {
    let (_built_dir, built) = warehouse();
    let wh = dir.join("old");
    for entry in fs::read_dir(&built).unwrap().flatten().filter(|e| e.path().is_dir()) {
        let part = fs::read_dir(entry.path())
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".parquet"))
            .unwrap()
            .path();
        let table = wh.join(entry.file_name());
        fs::create_dir_all(&table).unwrap();
        fs::copy(&part, table.join("part-1.parquet")).unwrap();
        if entry.file_name() == "observations" {
            fs::copy(&part, table.join("part-stale.parquet")).unwrap();
        }
        let manifest = r#"{"version":1,"files":["part-1.parquet"],"sort_order":["indicator"]}"#;
        fs::write(table.join("_manifest.json"), manifest).unwrap();
    }
    wh
}

#[test]
fn a_warehouse_from_before_delta_is_read_then_upgraded_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let wh = manifest_warehouse(dir.path());
    let w = wh.to_str().unwrap();
    let count = "select count(*) from observations";
    assert_eq!(query(&wh, count, &[]), [["178"]], "the manifest's files only");
    let run = chiso(&["ingest", two_rows(dir.path()).to_str().unwrap(), "--warehouse", w]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("chiso upgrade --warehouse"), "{}", run.stderr);
    let run = chiso(&["query", count, "--warehouse", w, "--as-of", "0"]);
    assert!(run.code != 0 && run.stderr.contains("before Delta Lake"), "{}", run.stderr);

    assert!(ok(&["upgrade", "--warehouse", w]).contains("observations"));
    let table = wh.join("observations");
    assert!(table.join("_delta_log").is_dir());
    assert!(!table.join("_manifest.json").exists() && !table.join("part-stale.parquet").exists());
    assert_eq!(query(&wh, count, &[]), [["178"]]);
    let versions = history(&wh, "observations");
    let operations: Vec<&str> = versions.iter().map(|v| v[2].as_str()).collect();
    assert_eq!(operations, ["SET TBLPROPERTIES", "CREATE TABLE"]);
    let log = fs::read_to_string(table.join("_delta_log/00000000000000000001.json")).unwrap();
    assert!(log.contains(r#""chiso.sortOrder":"indicator""#), "{log}");
    assert!(ok(&["upgrade", "--warehouse", w]).contains("every table is already a Delta table"));
    // Now it takes new rows like any Delta warehouse.
    ok(&["ingest", two_rows(dir.path()).to_str().unwrap(), "--warehouse", w]);
    assert_eq!(query(&wh, count, &[]), [["180"]]);
}

#[test]
fn python_deltalake_and_chiso_read_each_others_tables() {
    let Some(python) = common::delta_python() else { return };
    let (_dir, wh) = warehouse();
    // What chiso wrote, Python reads: the same rows and the same total.
    let table = wh.join("observations");
    assert_eq!(common::python_delta_rows(&python, &table), 178);
    let total = "import sys, deltalake, pyarrow.compute as pc; \
                 t = deltalake.DeltaTable(sys.argv[1]).to_pyarrow_table(); \
                 print(round(pc.sum(t['value']).as_py(), 2), len(set(t['obs_id'].to_pylist())))";
    let ours = query(&wh, "select round(sum(value), 2), count(distinct obs_id) from observations", &[]);
    let theirs = common::python_out(&python, total, &[table.to_str().unwrap()]);
    let ours_value: f64 = ours[0][0].parse().unwrap();
    let (theirs_value, theirs_ids) = theirs.split_once(' ').unwrap();
    assert!((ours_value - theirs_value.parse::<f64>().unwrap()).abs() < 0.01, "{ours:?} vs {theirs}");
    assert_eq!(ours[0][1], theirs_ids);

    // What Python writes, chiso reads, version by version.
    let write = "import sys, deltalake, pyarrow as pa; \
                 p = sys.argv[1]; \
                 deltalake.write_deltalake(p, pa.table({'code': ['01', '40'], 'n': [1.5, 2.5]})); \
                 deltalake.write_deltalake(p, pa.table({'code': ['79'], 'n': [4.0]}), mode='append')";
    common::python_out(&python, write, &[wh.join("from_python").to_str().unwrap()]);
    let sql = "select count(*), sum(n), max(code) from from_python";
    assert_eq!(query(&wh, sql, &[]), [["3", "8.0", "79"]]);
    assert_eq!(query(&wh, sql, &["--as-of", "0"]), [["2", "4.0", "40"]]);
    let versions = history(&wh, "from_python");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!((versions[0][3].as_str(), versions[1][3].as_str()), ("3", "2"));

    // An export as a Delta table: Python reads it; a second export is its next version.
    let out = wh.parent().unwrap().join("extract");
    let o = out.to_str().unwrap();
    let sql = "select obs_id, indicator, value from observations where province_code = '40'";
    let run = |extra: &[&str]| {
        let mut args = vec![
            "export",
            "--sql",
            sql,
            "--format",
            "delta",
            "--out",
            o,
            "--warehouse",
            wh.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        chiso(&args)
    };
    let first = run(&[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let rows = query(&wh, "select count(*) from observations where province_code = '40'", &[]);
    assert_eq!(common::python_delta_rows(&python, &out).to_string(), rows[0][0]);
    let again = run(&[]);
    assert_eq!(again.code, 2, "an existing table is kept without --overwrite: {}", again.stderr);
    assert_eq!(run(&["--overwrite"]).code, 0);
    let version = "import sys, deltalake; print(deltalake.DeltaTable(sys.argv[1]).version())";
    assert_eq!(common::python_out(&python, version, &[o]), "1");
    assert_eq!(common::python_delta_rows(&python, &out).to_string(), rows[0][0]);
    let run = chiso(&[
        "export",
        "--sql",
        sql,
        "--format",
        "delta",
        "--partition-by",
        "indicator",
        "--out",
        o,
        "--overwrite",
    ]);
    assert!(run.code != 0 && run.stderr.contains("unpartitioned"), "{}", run.stderr);
}
