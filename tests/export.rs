//! `chiso export`: ordinary Parquet (read back with the parquet crate), CSV/JSON, hive-style
//! partitions, atomic publication, and flat memory under --memory-limit.
mod common;

use common::{chiso, ok};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs;
use std::path::Path;

fn read_parquet(path: &Path) -> Vec<datafusion::arrow::record_batch::RecordBatch> {
    let file = fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap().map(|b| b.unwrap()).collect()
}

#[test]
fn parquet_extract_keeps_the_table_types() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tb.parquet");
    let run = chiso(&[
        "export",
        "--sql",
        "select * from observations where source_id = 'tb-2023h1' order by obs_id",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("wrote 12 rows"), "{}", run.stdout);
    assert_eq!(run.stderr, "", "no progress output when not on a terminal");
    let batches = read_parquet(&out);
    let batch = &batches[0];
    let schema = batch.schema();
    assert_eq!(schema.field_with_name("period_end").unwrap().data_type(), &DataType::Date32);
    assert_eq!(schema.field_with_name("province_code").unwrap().data_type(), &DataType::Utf8);
    assert_eq!(schema.field_with_name("value").unwrap().data_type(), &DataType::Float64);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 12);
    // tb-2023h1-05: "cấp 803.868 tài khoản định danh điện tử"
    let ids = batch.column_by_name("obs_id").unwrap().as_string::<i32>();
    let row = (0..ids.len()).find(|&i| ids.value(i) == "tb-2023h1-05").unwrap();
    assert_eq!(batch.column_by_name("value").unwrap().as_primitive::<Float64Type>().value(row), 803868.0);
    assert_eq!(batch.column_by_name("province_code").unwrap().as_string::<i32>().value(row), "34");

    // `query --format parquet` writes the same plain text type.
    let out = dir.path().join("q.parquet");
    let sql = "select province_code, value from observations where obs_id = 'tb-2023h1-05'";
    ok(&["query", sql, "--format", "parquet", "--out", out.to_str().unwrap()]);
    let batches = read_parquet(&out);
    assert_eq!(batches[0].schema().field(0).data_type(), &DataType::Utf8);
    assert_eq!(batches[0].column(0).as_string::<i32>().value(0), "34");
}

#[test]
fn saved_query_to_csv_json_ndjson() {
    let dir = tempfile::tempdir().unwrap();
    for (file, first) in [
        ("e.csv", "province_code,"),
        ("e.json", "[{\"province_code\":\"34\""),
        ("e.ndjson", "{\"province_code\":\"34\""),
    ] {
        let out = dir.path().join(file);
        ok(&["export", "--query", "essential_services", "--out", out.to_str().unwrap()]);
        let text = fs::read_to_string(&out).unwrap();
        assert!(text.starts_with(first), "{file}: {text}");
    }
    let codes = fs::read_to_string(dir.path().join("e.csv")).unwrap();
    assert!(codes.contains("\n80,Long An,803,Bến Lức,14.0,25.0,11.0,56.0,2024-08-31,la-2024\n"), "{codes}");
}

#[test]
fn partitioned_hive_style() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("by");
    let run = chiso(&[
        "export",
        "--sql",
        "select * from observations where province_code is not null",
        "--partition-by",
        "source_id",
        "--out",
        out.to_str().unwrap(),
        "--compression",
        "snappy",
        "--row-group-size",
        "10",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut parts: Vec<String> =
        fs::read_dir(&out).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    parts.sort();
    assert_eq!(
        parts,
        [
            "source_id=bp-2023-06",
            "source_id=dn-2024-01",
            "source_id=gl-2023-07",
            "source_id=gl-2025-11",
            "source_id=ht-2023-05",
            "source_id=hy-2023h1",
            "source_id=la-2024",
            "source_id=la-2025-06",
            "source_id=ls-2023-06",
            "source_id=na-2023-04",
            "source_id=na-2025-03",
            "source_id=na-2025-05",
            "source_id=qn-2024-08",
            "source_id=tb-2023-04",
            "source_id=tb-2023h1",
            "source_id=tb-2024-01",
            "source_id=tn-2022-07",
            "source_id=tn-2022-08",
            "source_id=tn-2023h1",
        ]
    );
    // Read back through chiso: the partition column comes back from the directory names.
    let spec = format!("x={}", out.display());
    let n = ok(&[
        "query",
        "select count(*) as n from x where source_id = 'la-2024'",
        "--table",
        &spec,
        "--format",
        "csv",
    ]);
    assert_eq!(n, "n\n30\n");
    // The files hold plain Utf8 text, as the single-file export does.
    let part = fs::read_dir(out.join("source_id=la-2024")).unwrap().flatten().next().unwrap().path();
    let batches = read_parquet(&part);
    let schema = batches[0].schema();
    assert_eq!(schema.field_with_name("province_code").unwrap().data_type(), &DataType::Utf8);
}

#[test]
fn output_is_never_overwritten_by_accident_nor_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.parquet");
    fs::write(&out, b"keep me").unwrap();
    let run = chiso(&["export", "--sql", "select 1", "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("already exists; pass --overwrite"), "{}", run.stderr);
    assert_eq!(fs::read(&out).unwrap(), b"keep me");
    // A query that fails while running leaves the old file and no temporary one.
    let run = chiso(&[
        "export",
        "--sql",
        "select cast('x' as int) from observations",
        "--out",
        out.to_str().unwrap(),
        "--overwrite",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(fs::read(&out).unwrap(), b"keep me");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "temporary files left behind");
    ok(&["export", "--sql", "select 1 as one", "--out", out.to_str().unwrap(), "--overwrite"]);
    assert_eq!(read_parquet(&out)[0].num_rows(), 1);
    // No write permission (even root cannot create files in /proc).
    let run = chiso(&["export", "--sql", "select 1", "--out", "/proc/chiso-test.parquet"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("/proc/"), "{}", run.stderr);
    let run = chiso(&["export", "--sql", "select 1", "--out", "/no/such/dir/x.parquet"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no such directory"), "{}", run.stderr);
    let run = chiso(&[
        "export",
        "--sql",
        "select 1 as a",
        "--partition-by",
        "b",
        "--out",
        dir.path().join("p").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--partition-by b: the result has no such column; it has a"),
        "{}",
        run.stderr
    );
}

/// Run chiso with `args` and return (exit code, its own peak resident memory in MB), read with
/// wait4 for exactly that child (other tests' processes do not count).
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which std does not know of
fn run_measured(args: &[&str]) -> (i32, u64) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(args)
        .env("CHISO_CACHE_DIR", common::cache())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage = unsafe { std::mem::zeroed::<libc::rusage>() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    (code, usage.ru_maxrss as u64 / 1024)
}

#[test]
fn memory_stays_flat_under_a_limit() {
    // 2.2 million rows sorted by a random key: the sort must hold everything or spill. Codes
    // (read as Utf8View) and long text (Utf8) both go through it.
    let sql = "select value * random() as v, obs_id, quote, indicator, province_code, commune_code from (select o.* from observations o, range(12000)) order by v";
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("limited.parquet");
    let (code, limited) =
        run_measured(&["--memory-limit", "128M", "export", "--sql", sql, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    let out2 = dir.path().join("unlimited.parquet");
    let (code, unlimited) = run_measured(&["export", "--sql", sql, "--out", out2.to_str().unwrap()]);
    assert_eq!(code, 0);
    eprintln!("peak RSS: {limited} MB with --memory-limit 128M, {unlimited} MB without");
    assert!(
        unlimited > limited,
        "the unlimited run should need more ({unlimited} MB) than the limited one ({limited} MB)"
    );
    // All 178 x 12,000 rows, sorted, whichever way it was made.
    let batches = read_parquet(&out);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 2_136_000);
    let mut last = f64::MIN;
    for b in &batches {
        let v = b.column(0).as_primitive::<Float64Type>();
        for i in 0..v.len() {
            assert!(v.value(i) >= last);
            last = v.value(i);
        }
    }
}
