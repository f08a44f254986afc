//! `chiso generate`: the shape of the data (counts, hierarchy, stocks that only grow, consistent
//! rates), determinism for a seed, the declared layout, and saved queries running on it unchanged.
mod common;

use common::{chiso, ok, parse_csv};
use std::fs;

fn generated(args: &[&str]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wh");
    let mut all = vec!["generate", "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let run = chiso(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("generated "), "{}", run.stdout);
    (dir, out.to_str().unwrap().to_string())
}

fn q(wh: &str, sql: &str) -> Vec<Vec<String>> {
    parse_csv(&ok(&["query", sql, "--warehouse", wh, "--format", "csv"]))
}

#[test]
fn province_level_history() {
    let (_d, wh) =
        generated(&["--years", "1", "--start", "2023-01-01", "--level", "province", "--indicators", "3"]);
    // 63 provinces x 365 days x 3 indicators, less the days before late starters begin.
    let rows = q(&wh, "select count(*), count(distinct province_code), count(distinct indicator), min(period_end), max(period_end) from observations");
    let n: u64 = rows[0][0].parse().unwrap();
    assert!(n <= 63 * 365 * 3 && n > 63 * 365 * 3 * 8 / 10, "{n}");
    assert_eq!(&rows[0][1..], ["63", "3", "2023-01-01", "2023-12-31"]);
    // Stocks never fall.
    let falls = q(&wh, "select count(*) from (select value - lag(value) over (partition by province_code order by period_end) as d \
        from observations where indicator = 'eid_accounts') t where d < 0");
    assert_eq!(falls, [["0"]]);
    // Rates are within 0..100 and agree with their parts; flows are lower on Sundays.
    let bad = q(&wh, "select count(*) from observations where indicator = 'online_dossiers_on_time_rate' \
        and (value < 0 or value > 100 or numerator > denominator or abs(value - 100 * numerator / denominator) > 1e-9)");
    assert_eq!(bad, [["0"]]);
    let week = q(&wh, "select sum(case when extract(dow from period_end) = 0 then value end) < sum(case when extract(dow from period_end) = 1 then value end) \
        from observations where indicator = 'online_dossiers_received'");
    assert_eq!(week, [["true"]]);
    // The whole warehouse validates, and saved queries run on it unchanged.
    let run = chiso(&["validate", "--warehouse", &wh]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let latest = q(&wh, "select count(*) from observations where geo_level = 'province'");
    assert_eq!(latest[0][0], n.to_string());
    let out = ok(&["run", "latest_by_province", "--warehouse", &wh, "--format", "csv"]);
    assert_eq!(parse_csv(&out).len(), 63);
    let out = ok(&["run", "rollup_2025", "--warehouse", &wh, "--format", "csv"]);
    assert_eq!(parse_csv(&out).len(), 34);
}

#[test]
fn same_seed_same_data_and_the_layout_is_declared() {
    let args = ["--years", "1", "--level", "province", "--indicators", "2", "--seed", "42"];
    let (_a, wa) = generated(&args);
    let (_b, wb) = generated(&args);
    let log = fs::read_to_string(format!("{wa}/observations/_delta_log/00000000000000000000.json")).unwrap();
    assert!(
        log.contains(r#""chiso.sortOrder":"indicator,province_code,district_code,commune_code,period_end""#),
        "{log}"
    );
    // File names are new each run; their bytes are the same for the same seed.
    let contents = |wh: &str| {
        let mut files: Vec<Vec<u8>> = fs::read_dir(format!("{wh}/observations"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".parquet"))
            .map(|e| fs::read(e.path()).unwrap())
            .collect();
        files.sort();
        files
    };
    assert_eq!(contents(&wa).len(), 2, "one file per indicator");
    assert_eq!(contents(&wa), contents(&wb), "two runs with the same seed differ");
    let (_c, wc) = generated(&["--years", "1", "--level", "province", "--indicators", "2", "--seed", "43"]);
    assert_ne!(contents(&wa), contents(&wc));
    // Reading in the declared order needs no sort.
    let plan = ok(&[
        "query",
        "explain select * from observations where indicator = 'eid_accounts' \
        order by indicator, province_code, district_code, commune_code, period_end",
        "--warehouse",
        &wa,
        "--format",
        "csv",
    ]);
    assert!(!plan.contains("SortExec"), "{plan}");
    // Each file holds one indicator: choosing the file is the whole filter, so no row is
    // compared (no FilterExec) and the answer is the one a row-by-row filter gives.
    let sql = "select count(*), sum(value) from observations where indicator = 'eid_accounts'";
    let plan = ok(&["query", &format!("explain {sql}"), "--warehouse", &wa, "--format", "csv"]);
    assert!(!plan.contains("FilterExec"), "{plan}");
    assert!(!plan.contains("online_dossiers_received.parquet"), "{plan}");
    let by_file = q(&wa, sql);
    let by_row =
        q(&wa, "select count(*), sum(value) from observations where upper(indicator) = 'EID_ACCOUNTS'");
    assert_eq!(by_file, by_row);
    let total = q(&wa, "select count(*) from observations");
    let n = |rows: &[Vec<String>]| rows[0][0].parse::<u64>().unwrap();
    assert!(n(&by_file) > 0 && n(&by_file) < n(&total), "{by_file:?} of {total:?}");
}

#[test]
fn a_join_prunes_the_big_table_through_the_small_ones() {
    let (_d, wh) =
        generated(&["--years", "1", "--level", "district", "--indicators", "1", "--row-group-size", "10000"]);
    // The region's filter reaches the districts' rows, and the districts' codes the
    // observations' row groups (files are sorted by province, then district).
    let join = "select count(*) from observations o join districts d on d.code = o.district_code \
        join provinces p on p.code = d.province_code where p.region = 'Tây Nguyên'";
    let plan = ok(&["query", &format!("explain analyze {join}"), "--warehouse", &wh, "--format", "csv"]);
    let scan = plan.lines().find(|l| l.contains("DataSourceExec") && l.contains("observations")).unwrap();
    let pruned = numbers(scan, r"row_groups_pruned_statistics=(\d+) total → (\d+) matched");
    assert!(pruned[1] > 0 && pruned[1] * 4 < pruned[0], "{scan}");
    // The same rows as a plain filter finds.
    let direct = "select count(*) from observations where province_code in \
        (select code from provinces where region = 'Tây Nguyên')";
    let (a, b) = (q(&wh, join), q(&wh, direct));
    assert_eq!(a, b);
    assert!(a[0][0].parse::<u64>().unwrap() > 0);
}

#[test]
fn files_cut_into_ranges_give_the_same_answers() {
    let (_d, wh) =
        generated(&["--years", "3", "--level", "district", "--indicators", "2", "--row-group-size", "20000"]);
    // Files this small are normally read whole; with no minimum size, each is cut into ranges
    // of about a row group, which four partitions share.
    let cut = [
        ("DATAFUSION_OPTIMIZER_REPARTITION_FILE_MIN_SIZE", "1"),
        ("DATAFUSION_EXECUTION_TARGET_PARTITIONS", "4"),
    ];
    let sql = "select district_code, count(*), sum(value), min(period_end), max(period_end) \
        from observations where indicator = 'eid_accounts' group by district_code order by district_code";
    let run = |vars: &[(&str, &str)], sql: &str| {
        let run = common::chiso_env(&["query", sql, "--warehouse", &wh, "--format", "csv"], vars);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let plan = run(&cut, &format!("explain analyze {sql}"));
    let scan = plan.lines().find(|l| l.contains("DataSourceExec")).unwrap();
    assert!(numbers(scan, r"files_opened=(\d+)")[0] > 4, "{scan}");
    let whole = run(&[], sql);
    assert_eq!(run(&cut, sql), whole);
    // A count DataFusion answers from the files' statistics counts each row once, not once per range.
    let count = "select count(*) from observations where indicator = 'eid_accounts'";
    let by_row = "select count(*) from observations where upper(indicator) = 'EID_ACCOUNTS'";
    assert_eq!(run(&cut, count), run(&[], by_row));
    assert!(parse_csv(&whole).len() > 600, "{whole}");
    // A query that reads in the declared order still gets it without a sort.
    let ordered = "select province_code, district_code, period_end, value from observations \
        where indicator = 'eid_accounts' order by indicator, province_code, district_code, commune_code, period_end";
    assert!(!run(&cut, &format!("explain {ordered}")).contains("SortExec"));
    assert_eq!(run(&cut, ordered), run(&[], ordered));
    // A filter its row groups' statistics can judge: only the bytes of the two row groups of Hà
    // Nội's 30 districts (of 38 in the file) are read, not ranges of the whole file, and the answer
    // is the one read row by row.
    let hanoi = "select count(*), sum(value) from observations where indicator = 'eid_accounts' and province_code = '01'";
    let plan = run(&cut, &format!("explain analyze {hanoi}"));
    let scan = plan.lines().find(|l| l.contains("DataSourceExec")).unwrap();
    let judged = numbers(scan, r"row_groups_pruned_statistics=(\d+) total → (\d+) matched");
    assert!(judged[1] >= 1 && judged[0] <= 4, "{scan}");
    let by_row = "select count(*), sum(value) from observations where indicator = 'eid_accounts' \
        and upper(province_code) = '01'";
    assert_eq!(run(&cut, hanoi), run(&[], by_row));
    assert_ne!(parse_csv(&run(&[], hanoi))[0][0], "0");
}

/// The numbers the groups of `pattern` capture in `text`.
fn numbers(text: &str, pattern: &str) -> Vec<u64> {
    let caps = regex::Regex::new(pattern)
        .unwrap()
        .captures(text)
        .unwrap_or_else(|| panic!("{pattern} not in {text}"));
    caps.iter().skip(1).map(|c| c.unwrap().as_str().parse().unwrap()).collect()
}

#[test]
fn bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let run = chiso(&["generate", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("already exists; pass --overwrite"), "{}", run.stderr);
    let out = dir.path().join("x");
    let run = chiso(&["generate", "--out", out.to_str().unwrap(), "--indicators", "9"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--indicators must be 1 to 8"), "{}", run.stderr);
    let run = chiso(&["generate", "--out", out.to_str().unwrap(), "--start", "1/1/2022"]);
    assert_eq!(run.code, 2);
    assert!(!out.exists());
}
