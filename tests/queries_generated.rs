//! Every saved query answers on a generated commune-level warehouse, where no province reports a
//! figure of its own: the province figures come from the communes (the table `figures`). Each
//! answer is checked against the same value summed by plain SQL over the commune rows.
mod common;

use common::{ok, parse_csv};

/// Runs saved query `name` on `wh` with `params`; returns the header and the rows.
fn run(wh: &str, name: &str, params: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut args = vec!["--warehouse", wh, "run", name, "--format", "csv"];
    for p in params {
        args.extend(["--param", p]);
    }
    let out = ok(&args);
    let header = out.lines().next().unwrap_or_default().split(',').map(str::to_string).collect();
    (header, parse_csv(&out))
}

/// The one value `sql` gives on `wh`.
fn scalar(wh: &str, sql: &str) -> String {
    parse_csv(&ok(&["--warehouse", wh, "query", sql, "--format", "csv"]))[0][0].clone()
}

/// The value in column `name` of `row`.
fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    &row[i]
}

/// The sum over the communes of `province` of `indicator` on `day`, as chiso prints a number.
fn communes_sum(wh: &str, indicator: &str, province: &str, day: &str) -> String {
    scalar(
        wh,
        &format!(
            "SELECT sum(value) FROM observations WHERE indicator = '{indicator}' AND province_code = '{province}' \
             AND period_end = DATE '{day}'"
        ),
    )
}

#[test]
fn every_saved_query_answers_for_all_63_provinces_from_commune_figures() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    let wh = wh.to_str().unwrap();
    // One year of daily figures of every commune: e-ID accounts (a stock) and dossiers received (a flow).
    ok(&["generate", "--out", wh, "--years", "1", "--indicators", "2", "--start", "2024-01-01"]);
    assert_eq!(scalar(wh, "SELECT count(*) FROM observations WHERE geo_level <> 'commune'"), "0");

    // The latest e-ID accounts of each province: the sum of its communes on the last day.
    let (h, rows) = run(wh, "latest_by_province", &["indicator=eid_accounts"]);
    assert_eq!(rows.len(), 63);
    let nghe_an = rows.iter().find(|r| r[0] == "40").unwrap();
    assert_eq!(cell(&h, nghe_an, "value"), communes_sum(wh, "eid_accounts", "40", "2024-12-31"));
    assert_eq!(cell(&h, nghe_an, "as_of"), "2024-12-31");
    assert_eq!(cell(&h, nghe_an, "derived"), "true");
    let communes_40 = scalar(wh, "SELECT count(*) FROM communes WHERE province_code = '40'");
    assert_eq!(
        (cell(&h, nghe_an, "reporting"), cell(&h, nghe_an, "expected")),
        (&*communes_40, &*communes_40)
    );

    // Compared at mid-year, ranked from the most accounts.
    let (h, rows) = run(wh, "compare_provinces", &["indicator=eid_accounts", "as_of=2024-06-30"]);
    assert_eq!(rows.len(), 63);
    let best = scalar(
        wh,
        "SELECT province_code FROM observations WHERE indicator = 'eid_accounts' AND period_end = DATE '2024-06-30' \
         GROUP BY province_code ORDER BY sum(value) DESC LIMIT 1",
    );
    assert_eq!((cell(&h, &rows[0], "rank"), cell(&h, &rows[0], "province_code")), ("1", best.as_str()));

    // Hà Nội's series is monthly: a stock's month is its last day; a flow's month its sum.
    let (h, rows) = run(wh, "timeseries", &["indicator=eid_accounts", "province=Hà Nội"]);
    assert_eq!(rows.len(), 12);
    assert_eq!(cell(&h, &rows[11], "grain"), "month");
    assert_eq!(cell(&h, &rows[11], "value"), communes_sum(wh, "eid_accounts", "01", "2024-12-31"));
    let (h, rows) = run(wh, "timeseries", &["indicator=online_dossiers_received", "province=01"]);
    let march = scalar(
        wh,
        "SELECT sum(value) FROM observations WHERE indicator = 'online_dossiers_received' AND province_code = '01' \
         AND period_end BETWEEN DATE '2024-03-01' AND DATE '2024-03-31'",
    );
    assert_eq!((cell(&h, &rows[2], "period"), cell(&h, &rows[2], "value")), ("2024-03", march.as_str()));

    // Growth between two dates in every province.
    let (h, rows) = run(wh, "growth", &["indicator=eid_accounts", "from=2024-03-31", "to=2024-09-30"]);
    assert_eq!(rows.len(), 63);
    let r = rows.iter().find(|r| r[0] == "34").unwrap();
    let (from, to) = (
        communes_sum(wh, "eid_accounts", "34", "2024-03-31"),
        communes_sum(wh, "eid_accounts", "34", "2024-09-30"),
    );
    assert_eq!((cell(&h, r, "from_value"), cell(&h, r, "to_value")), (from.as_str(), to.as_str()));

    // Every region, with all its provinces reporting.
    let (h, rows) = run(wh, "region_summary", &[]);
    assert_eq!(rows.len(), 6);
    for r in &rows {
        assert_eq!(cell(&h, r, "provinces"), cell(&h, r, "reporting_provinces"));
    }
    let all: u64 = rows.iter().map(|r| cell(&h, r, "observations").parse::<u64>().unwrap()).sum();
    assert_eq!(all.to_string(), scalar(wh, "SELECT count(*) FROM observations"));

    // Nghệ An's scorecard: each indicator for the province and for each of its districts.
    let (h, rows) = run(wh, "province_scorecard", &["province=Nghệ An"]);
    let districts =
        scalar(wh, "SELECT count(DISTINCT district_code) FROM communes WHERE province_code = '40'");
    assert_eq!(rows.len(), 2 * (1 + districts.parse::<usize>().unwrap()));
    let province_row =
        rows.iter().find(|r| r[0] == "eid_accounts" && cell(&h, r, "place") == "Nghệ An").unwrap();
    assert_eq!(cell(&h, province_row, "value"), communes_sum(wh, "eid_accounts", "40", "2024-12-31"));

    // The 34 provinces of 2025, each the sum of its legacy provinces.
    let (h, rows) = run(wh, "rollup_2025", &["indicator=eid_accounts"]);
    assert_eq!(rows.len(), 34);
    let hung_yen = rows.iter().find(|r| r[0] == "33").unwrap();
    let merged = scalar(
        wh,
        "SELECT sum(value) FROM observations WHERE indicator = 'eid_accounts' AND province_code IN ('33', '34') \
         AND period_end = DATE '2024-12-31'",
    );
    assert_eq!((cell(&h, hung_yen, "value"), cell(&h, hung_yen, "note")), (merged.as_str(), "summed"));

    // The others answer too (no targets, services or self-contradictions in generated data).
    let (_, rows) = run(wh, "coverage", &[]);
    assert_eq!(rows.len(), 63);
    for name in ["data_quality", "essential_services", "targets_vs_actual"] {
        assert!(run(wh, name, &[]).1.is_empty(), "{name}");
    }
}
