//! Warehouses on S3-compatible storage, against a real S3 API on loopback: moto's server (from
//! PyPI, in the venv `.ci/run` makes; without it these tests say so and pass, unless
//! `CHISO_REQUIRE_CLIENTS=1` makes them fail).
mod common;

use std::path::{Path, PathBuf};

use common::{moto, parse_csv, Run, OBS_HEADER};

/// An ingest file of `n` new e-ID figures for Nghệ An, keys `{prefix}-0` on.
fn figures(dir: &Path, prefix: &str, n: usize) -> PathBuf {
    let file = dir.join(format!("{prefix}.csv"));
    let mut text = format!("{OBS_HEADER}\n");
    for i in 0..n {
        let value = 1000 + i;
        text.push_str(&format!(
            "{prefix}-{i},eid_accounts,province,40,,,,2023-05-15,{value},,,,exact,na-2023-04,cấp {value} tài khoản\n"
        ));
    }
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn a_warehouse_on_s3_is_built_queried_ingested_and_read_by_others() {
    let Some(s3) = moto(&[]) else { return };
    s3.bucket("chiso-test");
    let wh = "s3://chiso-test/warehouse";
    let built = s3.ok(&["build", "--out", wh]);
    assert!(built.contains("178 rows"), "{built}");
    assert_eq!(s3.count(wh, &[]), 178);
    // Saved queries run unchanged.
    let latest = s3.ok(&["run", "latest_by_province", "--warehouse", wh, "--format", "csv"]);
    assert_eq!(latest, common::ok(&["run", "latest_by_province", "--format", "csv"]));
    // A second build does not overwrite tables it cannot replace atomically.
    let again = s3.chiso(&["build", "--out", wh]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already holds tables"), "{}", again.stderr);

    // Two ingests racing: every ingest that succeeds added its rows once, every one that failed
    // says so clearly and added nothing; run again, the losers add theirs.
    let dir = tempfile::tempdir().unwrap();
    let files = [figures(dir.path(), "a", 50), figures(dir.path(), "b", 50)];
    let racers: Vec<_> = files
        .iter()
        .map(|file| {
            let env = s3.env();
            let file = file.to_str().unwrap().to_string();
            std::thread::spawn(move || {
                let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                common::chiso_env(&["ingest", &file, "--warehouse", "s3://chiso-test/warehouse"], &vars)
            })
        })
        .collect();
    let results: Vec<Run> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    let won = results.iter().filter(|r| r.code == 0).count();
    eprintln!("{won} of 2 racing ingests committed first time");
    assert!(won >= 1, "no ingest committed: {:?}", results.iter().map(|r| &r.stderr).collect::<Vec<_>>());
    for lost in results.iter().filter(|r| r.code != 0) {
        assert!(lost.stderr.contains("another writer changed table"), "{}", lost.stderr);
        assert!(lost.stderr.contains("nothing was committed"), "{}", lost.stderr);
    }
    assert_eq!(s3.count(wh, &[]), 178 + 50 * won as u64);
    for (file, result) in files.iter().zip(&results) {
        if result.code != 0 {
            s3.ok(&["ingest", file.to_str().unwrap(), "--warehouse", wh]);
        }
    }
    assert_eq!(s3.count(wh, &[]), 278);
    let distinct = s3.ok(&[
        "query",
        "select count(distinct obs_id) from observations",
        "--warehouse",
        wh,
        "--format",
        "csv",
    ]);
    assert_eq!(parse_csv(&distinct), [["278"]], "no key twice");
    // The same file again is refused: its keys are there.
    let twice = s3.chiso(&["ingest", files[0].to_str().unwrap(), "--warehouse", wh]);
    assert_eq!(twice.code, 1);
    assert!(twice.stderr.contains("is already in the warehouse"), "{}", twice.stderr);

    // History and time travel work the same on S3.
    let versions = parse_csv(&s3.ok(&["history", "observations", "--warehouse", wh, "--format", "csv"]));
    assert_eq!(versions.len(), 3, "{versions:?}");
    assert_eq!(s3.count(wh, &["--as-of", "0"]), 178);
    assert_eq!(s3.count(wh, &["--as-of", "1"]), 228);

    // Python's deltalake reads the same table on S3.
    let read = "import sys, deltalake; o = {'AWS_ENDPOINT_URL': sys.argv[2], 'AWS_ALLOW_HTTP': 'true', \
                'AWS_ACCESS_KEY_ID': 'test', 'AWS_SECRET_ACCESS_KEY': 'test', 'AWS_REGION': 'us-east-1'}; \
                print(deltalake.DeltaTable(sys.argv[1], storage_options=o).to_pyarrow_table().num_rows)";
    let rows = common::python_out(&s3.python, read, &[&format!("{wh}/observations"), &s3.endpoint]);
    assert_eq!(rows, "278");
}

#[test]
fn s3_mistakes_get_one_clear_message() {
    let Some(s3) = moto(&[]) else { return };
    let no_bucket = s3.chiso(&["query", "select 1", "--warehouse", "s3://no-such-bucket/wh"]);
    assert_eq!(no_bucket.code, 2);
    assert!(no_bucket.stderr.contains("there is no bucket no-such-bucket"), "{}", no_bucket.stderr);
    assert_eq!(no_bucket.stderr.lines().count(), 1, "{}", no_bucket.stderr);
    let unknown = s3.chiso(&["query", "select 1", "--warehouse", "gs://bucket/wh"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("gs:// is not a storage chiso knows"), "{}", unknown.stderr);
    let build = s3.chiso(&["build", "--out", "gs://bucket/wh"]);
    assert!(build.code == 2 && build.stderr.contains("gs://"), "{}", build.stderr);
    let export = s3.chiso(&["export", "--sql", "select 1", "--out", "s3://bucket/x.parquet"]);
    assert!(export.code == 2 && export.stderr.contains("export writes to local disk"), "{}", export.stderr);
    let out = s3.chiso(&["query", "select 1", "--out", "s3://bucket/x.csv"]);
    assert!(out.code == 2 && out.stderr.contains("results are written to local files"), "{}", out.stderr);
    assert!(!Path::new(env!("CARGO_TARGET_TMPDIR")).join("s3:").exists(), "a URL became a local folder");

    // A store that checks credentials refuses ours, and the message says which settings to check.
    let Some(strict) = moto(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]) else { return };
    let refused = strict.chiso(&["query", "select 1", "--warehouse", "s3://chiso-test/wh"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        "{}",
        refused.stderr
    );
}
