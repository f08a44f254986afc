//! Every saved query answers its question on the curated data. The expected values were read off
//! the reports by hand (quoted beside each).
mod common;

use common::{chiso, ok, parse_csv};

fn run(name: &str, params: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["run", name, "--format", "csv"];
    for p in params {
        args.push("--param");
        args.push(p);
    }
    parse_csv(&ok(&args))
}

fn col(header: &str, name: &str) -> usize {
    header.split(',').position(|c| c == name).unwrap_or_else(|| panic!("no column {name} in {header}"))
}

fn run_with_header(name: &str, params: &[&str]) -> (String, Vec<Vec<String>>) {
    let mut args = vec!["run", name, "--format", "csv"];
    for p in params {
        args.push("--param");
        args.push(p);
    }
    let out = ok(&args);
    (out.lines().next().unwrap_or_default().to_string(), parse_csv(&out))
}

#[test]
fn every_saved_query_is_listed_with_its_header() {
    let names = [
        "compare_provinces",
        "coverage",
        "data_quality",
        "essential_services",
        "growth",
        "latest_by_province",
        "province_scorecard",
        "region_summary",
        "rollup_2025",
        "targets_vs_actual",
        "timeseries",
    ];
    let listed = ok(&["queries"]);
    for name in names {
        assert!(listed.contains(name), "{name} is not listed");
        let help = ok(&["run", name, "--help"]);
        assert!(help.starts_with(name) && help.contains("Parameters"), "{help}");
    }
}

#[test]
fn which_province_had_the_most_e_id_accounts_by_mid_2023() {
    // Nghệ An: 1.494.541 by 15/4/2023; Thái Bình: 803.868 in the first half of 2023.
    let rows = run("compare_provinces", &["indicator=eid_accounts", "as_of=2023-06-30", "tolerance_days=90"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][..4], ["1", "40", "Nghệ An", "1494541.0"]);
    assert_eq!(rows[0][6], "-76"); // 15 April is 76 days before 30 June
    assert_eq!(&rows[1][..4], ["2", "34", "Thái Bình", "803868.0"]);
    // A tighter tolerance leaves only the figure dated 30 June.
    let rows = run("compare_provinces", &["indicator=eid_accounts", "as_of=2023-06-30", "tolerance_days=30"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][2], "Thái Bình");
}

#[test]
fn how_far_each_province_is_from_25_essential_services() {
    let (h, rows) = run_with_header("essential_services", &[]);
    let (place, district, deployed, remaining) =
        (col(&h, "province"), col(&h, "district"), col(&h, "deployed"), col(&h, "remaining"));
    let got: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| (r[place].clone(), r[district].clone(), r[deployed].clone(), r[remaining].clone()))
        .collect();
    let want = [
        ("Thái Bình", "", "25.0", "0.0"), // "Đã triển khai 25/25 dịch vụ công thiết yếu"
        ("Hưng Yên", "", "23.0", "2.0"),  // "đã triển khai 23/25 dịch vụ công thiết yếu"
        ("Thái Nguyên", "", "22.0", "3.0"), // "22/25 dịch vụ công thiết yếu đã được tỉnh hoàn thành" (2022)
        ("Long An", "Bến Lức", "14.0", "11.0"), // "huyện Bến Lức thực hiện 14/25"
        ("Long An", "Cần Giuộc", "11.0", "14.0"), // "Huyện Cần Giuộc đã triển khai 11/25"
    ];
    assert_eq!(got, want.map(|(a, b, c, d)| (a.into(), b.into(), c.into(), d.into())));
}

#[test]
fn legacy_figures_mapped_onto_the_2025_provinces() {
    let (h, rows) = run_with_header("rollup_2025", &["indicator=eid_accounts"]);
    assert_eq!(rows.len(), 34);
    let by = |code: &str| rows.iter().find(|r| r[0] == code).unwrap().clone();
    let (value, contributors, missing, note) =
        (col(&h, "value"), col(&h, "contributors"), col(&h, "missing"), col(&h, "note"));
    // The 2025 Hưng Yên joins Hưng Yên (33, no e-ID figure) and Thái Bình (34, 803.868): no sum.
    let hy = by("33");
    assert_eq!((hy[value].as_str(), hy[contributors].as_str(), hy[missing].as_str()), ("", "34", "33"));
    assert!(hy[note].starts_with("incomplete"));
    // Nghệ An was not merged: its figure carries over.
    let na = by("40");
    assert_eq!((na[value].as_str(), na[note].as_str()), ("1494541.0", "as reported"));
    // Counts of services out of 25 are never summed across the merged provinces.
    let (h, rows) = run_with_header("rollup_2025", &["indicator=essential_services_deployed"]);
    let hy = rows.iter().find(|r| r[0] == "33").unwrap();
    assert_eq!(hy[col(&h, "value")], "");
    assert_eq!(hy[col(&h, "contributors")], "33 34");
    assert_eq!(hy[col(&h, "note")], "not combinable (count)");
}

#[test]
fn rollup_recomputes_rates_from_their_parts() {
    // Two legacy provinces of one 2025 province, both with a rate and its parts: the rate of the
    // merged province is 100 × (a + b) / (c + d), not the mean of the two rates.
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    ok(&["build", "--out", wh.to_str().unwrap()]);
    let extra = dir.path().join("obs.csv");
    std::fs::write(
        &extra,
        "obs_id,indicator,geo_level,province_code,district_code,commune_code,period_start,period_end,value,numerator,denominator,target,qualifier,source_id,quote\n\
         t1,online_dossiers_on_time_rate,province,72,,,2023-01-01,2023-06-30,90,90,100,,exact,x,q\n\
         t2,online_dossiers_on_time_rate,province,80,,,2023-01-01,2023-06-30,50,150,300,,exact,x,q\n",
    )
    .unwrap();
    // Replace the warehouse's observations with those two rows (typed as the table's schema).
    let q = format!(
        "COPY (SELECT obs_id, indicator, geo_level, province_code, district_code, commune_code, \
         CAST(period_start AS DATE) AS period_start, CAST(period_end AS DATE) AS period_end, \
         CAST(value AS DOUBLE) AS value, CAST(numerator AS DOUBLE) AS numerator, CAST(denominator AS DOUBLE) AS denominator, \
         CAST(target AS DOUBLE) AS target, qualifier, source_id, quote FROM extra) TO '{}' STORED AS PARQUET",
        wh.join("observations.parquet").display()
    );
    std::fs::remove_dir_all(wh.join("observations")).unwrap();
    let spec = format!("extra={}", extra.display());
    ok(&["query", &q, "--table", &spec, "--warehouse", wh.to_str().unwrap()]);
    let out = ok(&[
        "run",
        "rollup_2025",
        "-p",
        "indicator=online_dossiers_on_time_rate",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    let header = out.lines().next().unwrap().to_string();
    let rows = parse_csv(&out);
    let tn = rows.iter().find(|r| r[0] == "80").unwrap();
    assert_eq!(tn[col(&header, "value")], "60.0"); // 100 × 240 / 400
    assert_eq!(tn[col(&header, "note")], "recomputed from numerators and denominators");
}

#[test]
fn latest_by_province_and_scorecard() {
    let rows = run("latest_by_province", &["indicator=cccd_cards_issued"]);
    // Nghệ An: "cấp được 2.687.882 thẻ CCCD gắn chíp"; Thái Bình: "hơn 1,5 triệu thẻ"; Thái
    // Nguyên: "gần 1 triệu thẻ căn cước công dân gắn chip" (its half-year review, published in
    // August 2022, its latest; "trên 974.000" to July 2022 before it).
    assert_eq!(
        rows.iter().map(|r| (r[0].as_str(), r[2].as_str(), r[3].as_str())).collect::<Vec<_>>(),
        [("40", "2687882.0", "exact"), ("34", "1500000.0", "lower_bound"), ("19", "1000000.0", "approx")]
    );
    // By name without tone marks or by code: the same figures of Thái Bình.
    let by_name = run("province_scorecard", &["province=thai binh"]);
    assert_eq!(by_name, run("province_scorecard", &["province=34"]));
    // 22 figures of three reports on 20 indicators: the latest of each (one DTI rank, 2022; one
    // cccd_cards_issued, 30/6/2023, not 9/4/2023).
    assert_eq!(by_name.len(), 20);
    let dti = by_name.iter().find(|r| r[0] == "dti_rank").unwrap();
    assert_eq!((dti[4].as_str(), dti[9].as_str()), ("56.0", "2022"));
    let run = chiso(&["run", "province_scorecard"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--param province=<place>"), "{}", run.stderr);
}

#[test]
fn timeseries_and_growth() {
    // Thái Bình's DTI rank: 45th in 2021, 56th in 2022 ("giảm 11 bậc").
    let rows = run("timeseries", &["indicator=dti_rank", "province=Thái Bình"]);
    assert_eq!(
        rows.iter().map(|r| (r[0].as_str(), r[3].as_str(), r[5].as_str())).collect::<Vec<_>>(),
        [("2021", "45.0", ""), ("2022", "56.0", "11.0")]
    );
    let rows = run("growth", &["indicator=dti_rank", "from=2021-12-31", "to=2022-12-31"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][..8], ["34", "Thái Bình", "", "2021-12-31", "45.0", "2022-12-31", "56.0", "11.0"]);
    assert!(rows[0][8].starts_with("24.44"), "{:?}", rows[0]);
}

#[test]
fn targets_vs_actual_lists_the_stated_targets() {
    let rows = run("targets_vs_actual", &[]);
    let got: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (r[2].as_str(), r[5].as_str(), r[6].as_str(), r[7].as_str(), r[8].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("e_documents_signed_rate", "99.5", "97.0", "2.5", "true"), // "99,5% (vượt mục tiêu 2,5%)"
            ("eid_target_attainment", "101.2", "100.0", "1.2", "true"), // "101,2% (vượt chỉ tiêu 1,2%)"
            ("online_dossier_processing_rate", "66.79", "50.0", "16.79", "true"), // "66,79% (vượt mục tiêu 16,79%)"
            ("online_dossier_receipt_rate", "94.0", "60.0", "34.0", "true"), // Đà Nẵng: "94%, vượt mức chỉ tiêu toàn quốc là 60%"
            ("eid_activated", "31426.0", "185255.0", "-153829.0", "false"), // Pleiku: "31.426 ... chỉ tiêu 185.255 tài khoản"
        ]
    );
}

#[test]
fn region_summary_and_coverage() {
    let rows = run("region_summary", &[]);
    let got: Vec<(&str, &str, &str, &str)> =
        rows.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str(), r[3].as_str())).collect();
    assert_eq!(
        got,
        [
            ("Trung du và miền núi phía Bắc", "14", "2", "54"), // Thái Nguyên 38+7+4, Lạng Sơn 5
            ("Bắc Trung Bộ và duyên hải miền Trung", "14", "4", "53"), // Nghệ An 22+9+6, Hà Tĩnh 5, Đà Nẵng 8, Bình Định 3
            ("Đồng bằng sông Cửu Long", "13", "1", "34"),              // Long An 30+4
            ("Đồng bằng sông Hồng", "11", "3", "26"), // Hưng Yên 2 (and 2 national), Thái Bình 12+3+7, Quảng Ninh 2
            ("Đông Nam Bộ", "6", "1", "5"),           // Bình Phước
            ("Tây Nguyên", "5", "1", "4"),            // Gia Lai (Pleiku)
        ]
    );
    let rows = run("coverage", &[]);
    let silent = rows.iter().filter(|r| r[3] == "0").count();
    assert_eq!(silent, 63 - 12, "provinces with no figure");
    let hy = rows.iter().find(|r| r[0] == "33").unwrap();
    assert_eq!(hy[5], "cccd_applications_rate essential_services_deployed");
}

#[test]
fn data_quality_finds_the_nghe_an_disagreement() {
    let rows = run("data_quality", &[]);
    assert_eq!(rows.len(), 1);
    // "đạt 20.934 trường hợp, trong đó ... 14.571 trường hợp, chiếm tỷ lệ 85.7%": 14571/20934 = 69.6%.
    assert_eq!(
        &rows[0][..6],
        ["rate", "na-2023-04-18", "40", "civil_registrations_essential_share", "85.7", "69.6"]
    );
}

#[test]
fn saved_queries_are_table_functions_in_sql() {
    // Parameters in header order; those left out take their defaults (level = province).
    let sql = "select province_code, value, source_id from latest_by_province('eid_accounts') order by province_code";
    let from_sql = parse_csv(&ok(&["query", "--format", "csv", sql]));
    let from_run = run("latest_by_province", &["indicator=eid_accounts"]);
    let (header, _) = run_with_header("latest_by_province", &["indicator=eid_accounts"]);
    let cols = ["province_code", "value", "source_id"].map(|c| col(&header, c));
    let mut expected: Vec<Vec<String>> =
        from_run.iter().map(|r| cols.iter().map(|&i| r[i].clone()).collect()).collect();
    expected.sort();
    assert_eq!(from_sql, expected);
    // Nghệ An: "Tính đến ngày 15/4/2023, toàn tỉnh đã thu nhận 1.494.541 tài khoản định danh điện tử".
    assert!(from_sql.contains(&vec!["40".into(), "1494541.0".into(), "na-2023-04".into()]), "{from_sql:?}");

    let wrong = chiso(&["query", "select * from latest_by_province('eid_accounts', 'village')"]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("village") && wrong.stderr.contains("commune, district, province"),
        "{}",
        wrong.stderr
    );
    let many = chiso(&["query", "select * from timeseries('40', 'eid_accounts', 'day', 'x', 'y', 'z', 'w')"]);
    assert!(many.stderr.contains("takes at most"), "{}", many.stderr);
}

#[test]
fn a_value_that_names_nothing_is_an_error_and_an_empty_answer_says_why() {
    let fails = |args: &[&str], code: i32, says: &str| {
        let run = chiso(args);
        assert_eq!((run.code, run.stdout.as_str()), (code, ""), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    };
    fails(
        &["run", "timeseries", "-p", "province=99"],
        2,
        "no unit at level province has the code or name \"99\"",
    );
    fails(&["run", "province_scorecard", "-p", "province=nghe anh"], 2, "Did you mean Nghệ An?");
    fails(
        &["run", "timeseries", "-p", "level=district", "-p", "province=Châu Thành"],
        2,
        "10 units at level district are named \"Châu Thành\"; name one with its province after a comma",
    );
    let unknown = "figures has no indicator \"eid_accountz\": the indicators table has no such code. Did you mean eid_accounts?";
    fails(&["run", "timeseries", "-p", "province=40", "-p", "indicator=eid_accountz"], 1, unknown);
    fails(&["run", "latest_by_province", "-p", "indicator=eid_accountz"], 1, unknown);
    fails(
        &["query", "select * from timeseries('eid_accounts', 'Atlantis')"],
        1,
        "argument province=Atlantis",
    );
    fails(&["query", "select count(*) from figures where indicator = 'eid_accountz'"], 1, unknown);

    // Real values with no figures: an empty answer, and a line saying which part is empty.
    let empty = |args: &[&str], says: &str| {
        let run = chiso(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout.lines().count(), 1, "{args:?}: only the header: {}", run.stdout);
        assert_eq!(run.stderr.trim(), format!("note: {says}"), "{args:?}");
    };
    // The catalog has dossiers_digitised, but no report gave a figure of it.
    empty(
        &["run", "latest_by_province", "-p", "indicator=dossiers_digitised"],
        "no figures for dossiers_digitised in the warehouse",
    );
    // eid_accounts figures are province- and district-wide only.
    empty(
        &["run", "latest_by_province", "-p", "level=commune"],
        "no figures for eid_accounts at level commune",
    );
    // The DTI rank is Thái Bình's (see timeseries_and_growth).
    empty(
        &["run", "timeseries", "-p", "indicator=dti_rank", "-p", "province=Nghệ An"],
        "no figures for dti_rank in Nghệ An at level province",
    );
    empty(
        &["run", "growth", "-p", "indicator=dti_rank", "-p", "from=2010-01-01", "-p", "to=2011-01-01"],
        "growth found no rows: there are figures for dti_rank at level province, but none passes the query's other parameters",
    );
}
