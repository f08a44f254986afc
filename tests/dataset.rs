//! The curated dataset: reference counts, observations per source, hand-checked figures through
//! SQL, and `chiso validate` with the exact warnings the reports deserve.
mod common;

use common::{chiso, dev_reports, ok, rows, seeds};
use std::fs;

fn one(sql: &str) -> Vec<String> {
    let mut r = rows(sql);
    assert_eq!(r.len(), 1, "expected one row from {sql}, got {r:?}");
    r.remove(0)
}

#[test]
fn reference_tables_have_the_official_counts() {
    let counts =
        one("select (select count(*) from provinces) as p, (select count(*) from provinces_2025) as p25, \
         (select count(*) from districts) as d, (select count(*) from communes) as c, \
         (select count(*) from province_crosswalk) as x");
    assert_eq!(counts, ["63", "34", "696", "10035", "63"]);
    // Six statistical regions with 14, 11, 14, 5, 6 and 13 provinces.
    let regions = rows("select region, count(*) from provinces group by region order by region");
    let got: Vec<(String, String)> = regions.into_iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let want = [
        ("Bắc Trung Bộ và duyên hải miền Trung", "14"),
        ("Trung du và miền núi phía Bắc", "14"),
        ("Tây Nguyên", "5"),
        ("Đông Nam Bộ", "6"),
        ("Đồng bằng sông Cửu Long", "13"),
        ("Đồng bằng sông Hồng", "11"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

#[test]
fn crosswalk_merges_the_provinces_the_issue_names() {
    let merged = |code: &str| {
        rows(&format!(
            "select legacy_code from province_crosswalk where code_2025 = '{code}' order by legacy_code"
        ))
        .into_iter()
        .map(|r| r[0].clone())
        .collect::<Vec<_>>()
    };
    assert_eq!(merged("33"), ["33", "34"]); // Hưng Yên + Thái Bình
    assert_eq!(merged("80"), ["72", "80"]); // Tây Ninh + Long An
    assert_eq!(merged("19"), ["06", "19"]); // Thái Nguyên + Bắc Kạn
    assert_eq!(one("select min(effective_date) from province_crosswalk"), ["2025-07-01"]);
    // Every commune is a commune of a district of its province.
    assert_eq!(
        one("select count(*) from communes c left join districts d on c.district_code = d.code and c.province_code = d.province_code where d.code is null"),
        ["0"]
    );
}

#[test]
fn observations_per_source() {
    let counts = rows("select source_id, count(*) from observations group by source_id order by source_id");
    let got: Vec<(String, String)> = counts.into_iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let want = [
        ("bp-2023-06", "5"),
        ("dn-2024-01", "8"),
        ("gl-2023-07", "4"),
        ("gl-2025-11", "3"),
        ("ht-2023-05", "5"),
        ("hy-2023h1", "4"),
        ("la-2024", "30"),
        ("la-2025-06", "4"),
        ("ls-2023-06", "5"),
        ("na-2023-04", "22"),
        ("na-2025-03", "9"),
        ("na-2025-05", "6"),
        ("qn-2024-08", "2"),
        ("tb-2023-04", "3"),
        ("tb-2023h1", "12"),
        ("tb-2024-01", "7"),
        ("tn-2022-07", "7"),
        ("tn-2022-08", "4"),
        ("tn-2023h1", "38"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

/// Each figure here was read off the report text by hand.
/// Figures of the dev set (`../shared/reports`), each read off its text by hand.
#[test]
fn hand_checked_dev_set_figures() {
    let fig = |id: &str| {
        one(&format!(
            "select indicator, geo_level, province_code, district_code, commune_code, period_start, period_end, \
             value, numerator, denominator, target, qualifier, period_basis from observations where obs_id = '{id}'"
        ))
    };
    // Lạng Sơn: "Tính đến ngày 16/6/2023 ... đã kích hoạt thành công trên 305.000 trường hợp"
    assert_eq!(
        fig("ls-2023-06-04"),
        [
            "eid_activated",
            "province",
            "20",
            "",
            "",
            "",
            "2023-06-16",
            "305000.0",
            "",
            "",
            "",
            "lower_bound",
            "stated"
        ]
    );
    // Pleiku (district 622 of Gia Lai): "Con số này chỉ đạt 16,96% của chỉ tiêu 185.255 tài khoản";
    // 31.426 / 185.255 is 16,96 %. The article's month is an estimate: the date says so.
    assert_eq!(
        fig("gl-2023-07-04"),
        [
            "eid_target_attainment",
            "district",
            "64",
            "622",
            "",
            "",
            "2023-07-31",
            "16.96",
            "",
            "185255.0",
            "",
            "exact",
            "inferred"
        ]
    );
    // Quảng Ninh: "hơn 170 nghìn hồ sơ đề nghị cấp căn cước" since the Law on Identity took effect
    // (1/7/2024), to the article's day (26/8/2024).
    assert_eq!(
        fig("qn-2024-08-02"),
        [
            "can_cuoc_applications",
            "province",
            "22",
            "",
            "",
            "2024-07-01",
            "2024-08-26",
            "170000.0",
            "",
            "",
            "",
            "lower_bound",
            "report_date"
        ]
    );
    // Gia Lai after the merger: xã Vân Canh of 2025 (legacy Vân Canh with parts of three other
    // communes, its code kept), filed at commune_2025 with the legacy province of its parts.
    assert_eq!(
        fig("gl-2025-11-03"),
        [
            "eid_activated_rate",
            "commune_2025",
            "52",
            "",
            "21994",
            "",
            "2025-11-04",
            "79.0",
            "",
            "",
            "",
            "exact",
            "report_date"
        ]
    );
    // Nghệ An, April 2025: "2/13 sở có tỷ lệ đạt trên 65%" (online payment); the month is the
    // report's ("trong tháng 4/2025" two sentences before), not written in the figure's sentence.
    assert_eq!(
        fig("na-2025-05-03"),
        [
            "departments_online_payment_above_65pct",
            "province",
            "40",
            "",
            "",
            "2025-04-01",
            "2025-04-30",
            "2.0",
            "2.0",
            "13.0",
            "",
            "exact",
            "report_date"
        ]
    );
    // The curated data covers at least 11 provinces, 4 of them at two or more dates.
    assert_eq!(one("select count(distinct province_code) >= 11 from observations"), ["true"]);
    assert_eq!(
        one("select count(*) >= 4 from (select province_code from observations group by province_code \
             having count(distinct period_end) >= 2)"),
        ["true"]
    );
}

#[test]
fn hand_checked_figures() {
    let fig = |where_: &str| {
        one(&format!(
            "select value, numerator, denominator, target, qualifier, period_start, period_end, district_code \
             from observations where {where_}"
        ))
    };
    // Nghệ An: "Tính đến ngày 15/4/2023, toàn tỉnh đã thu nhận 1.494.541 tài khoản định danh điện tử"
    assert_eq!(
        fig("indicator = 'eid_accounts' and province_code = '40'"),
        ["1494541.0", "", "", "", "exact", "", "2023-04-15", ""]
    );
    // "(gồm: 669.951 tài khoản định danh điện tử mức 1 và 824.590 tài khoản định danh điện tử mức 2)"
    assert_eq!(fig("indicator = 'eid_accounts_level1' and province_code = '40'")[0], "669951.0");
    assert_eq!(fig("indicator = 'eid_accounts_level2' and province_code = '40'")[0], "824590.0");
    // "tỷ lệ tiếp nhận hồ sơ trực tuyến toàn tỉnh đạt mức trung bình 48,91%" in April to 18/4/2023
    assert_eq!(
        fig("indicator = 'online_dossier_receipt_rate' and source_id = 'na-2023-04'"),
        ["48.91", "", "", "", "exact", "2023-04-01", "2023-04-18", ""]
    );
    // Thái Nguyên: "xử lý đúng hạn 338.202 hồ sơ, đạt tỷ lệ 99,68%" of 339.287 processed, first half of 2023
    assert_eq!(
        fig("indicator = 'online_dossiers_on_time_rate'"),
        ["99.68", "338202.0", "339287.0", "", "exact", "2023-01-01", "2023-06-30", ""]
    );
    // "1.167.227/1.189.968 (đạt tỷ lệ 98,1%)"
    assert_eq!(
        fig("indicator = 'health_insurance_cccd_synced_rate'")[..3],
        ["98.1", "1167227.0", "1189968.0"]
    );
    // "cấp gần 8.000 chữ ký số"
    assert_eq!(fig("indicator = 'digital_signatures_issued'")[..5], ["8000.0", "", "", "", "approx"]);
    // Hưng Yên: "đã triển khai 23/25 dịch vụ công thiết yếu"
    assert_eq!(
        fig("indicator = 'essential_services_deployed' and province_code = '33'")[..3],
        ["23.0", "23.0", "25.0"]
    );
    // Long An, Bến Lức (803): "14/25"; Cần Giuộc (807): "11/25"
    assert_eq!(
        fig("indicator = 'essential_services_deployed' and district_code = '803'")[..3],
        ["14.0", "14.0", "25.0"]
    );
    assert_eq!(
        fig("indicator = 'essential_services_deployed' and district_code = '807'")[..3],
        ["11.0", "11.0", "25.0"]
    );
    // Cần Giuộc: "công dân đã kích hoạt hơn 110.100 tài khoản"
    assert_eq!(
        fig("indicator = 'eid_activated' and district_code = '807'")[..5],
        ["110100.0", "", "", "", "lower_bound"]
    );
    // Thái Bình: "cấp 803.868 tài khoản định danh điện tử, đạt tỷ lệ 101,2% (vượt chỉ tiêu 1,2%)"
    assert_eq!(
        fig("indicator = 'eid_target_attainment' and source_id = 'tb-2023h1'")[..4],
        ["101.2", "803868.0", "", "100.0"]
    );
    // "tỷ lệ hồ sơ xử lý trực tuyến đạt 66,79% (vượt mục tiêu 16,79%)": the target is 50%
    assert_eq!(fig("indicator = 'online_dossier_processing_rate'")[..4], ["66.79", "", "", "50.0"]);
    // "hơn 1,5 triệu thẻ"
    assert_eq!(
        fig("indicator = 'cccd_cards_issued' and source_id = 'tb-2023h1'")[..5],
        ["1500000.0", "", "", "", "lower_bound"]
    );
    // "từ vị trí thứ 45 năm 2021 giảm xuống vị trí 56 năm 2022"
    let ranks = rows("select extract(year from period_end), value from observations where indicator = 'dti_rank' order by 1");
    assert_eq!(ranks, [["2021", "45.0"], ["2022", "56.0"]]);
}

#[test]
fn every_figure_has_provenance() {
    assert_eq!(
        one("select count(*) from observations where obs_id is null or quote is null or source_id is null"),
        ["0"]
    );
    assert_eq!(one("select max(character_length(quote)) <= 200 from observations"), ["true"]);
}

#[test]
fn validate_reports_exactly_the_known_disagreement() {
    let (sources, dev) = (seeds(), dev_reports());
    let run =
        chiso(&["validate", "--sources", sources.to_str().unwrap(), "--sources", dev.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let findings: Vec<&str> =
        run.stdout.lines().filter(|l| l.starts_with("warning") || l.starts_with("error")).collect();
    // Nghệ An reports 14.571 of 20.934 registrations as "85.7%"; 14571/20934 is 69.6%.
    assert_eq!(findings.len(), 2, "{}", run.stdout);
    assert!(
        findings[0].starts_with("warning [rate] na-2023-04-18: stated 85.7% but 14571.0/20934.0 = 69.6%"),
        "{}",
        findings[0]
    );
    // Thái Nguyên had working groups in "178/178 đơn vị cấp xã" in July 2022 and in "177/177" in
    // its report on the first half of 2023: kept as reported. (Its review of the first half of
    // 2022, "trên 58.000" accounts, is dated by its month of publication, August, after the July
    // article's "gần 50.500": no fall.)
    assert!(
        findings[1].starts_with(
            "warning [stock_falls] tn-2023h1-05: stock working_groups_commune falls to 177.0 on 2023-06-30 \
             from 178.0 on 2022-07-31 (tn-2022-07-02)"
        ),
        "{}",
        findings[1]
    );
    assert!(run.stdout.ends_with("0 errors, 2 warnings\n"), "{}", run.stdout);
}

#[test]
fn validate_warns_of_the_slips_an_audit_of_the_curated_data_found() {
    let (sources, dev) = (seeds(), dev_reports());
    let warns = |file: &str, edit: &dyn Fn(String) -> String, expect: &[&str]| {
        let dir = broken_file(file, edit);
        let datasets = dir.path().to_str().unwrap();
        let args = ["validate", "--datasets", datasets, "--sources", sources.to_str().unwrap()];
        let run = chiso(&[&args[..], &["--sources", dev.to_str().unwrap()]].concat());
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        for e in expect {
            assert!(run.stdout.contains(e), "expected {e:?} in:\n{}", run.stdout);
        }
    };
    // A date called stated that the figure's sentence does not give (Thái Nguyên's half-year
    // review: "Kết quả là 22/25 ...; ... trên 58.000 tài khoản định danh điện tử ...").
    warns(
        "observations/tn-2022-08.csv",
        &|t| t.replace(",inferred", ",stated"),
        &["warning [basis_stated] tn-2022-08-04: period_basis is stated, but the sentence of \"trên 58.000 tài khoản"],
    );
    // A legacy commune that did not keep its code in 2025 (Vĩnh Kim, 21790, of district 546)
    // given a figure of November 2025, and a district figure of that day.
    warns(
        "observations/gl-2025-11.csv",
        &|t| t.replacen(",commune_2025,52,,21787,", ",commune,52,546,21790,", 1).replacen(",commune_2025,52,,21994,", ",district,52,551,,", 1),
        &[
            "warning [unit_after_reform] gl-2025-11-01: legacy commune 21790 ended on 2025-06-30 (no commune of 2025 has its code), but the figure is dated 2025-11-04",
            "warning [unit_after_reform] gl-2025-11-03: a district figure dated 2025-11-04, after districts ended on 2025-06-30",
        ],
    );
    // A figure of a 2025 commune (Vĩnh Sơn, 21787) dated before the communes of 2025 existed.
    warns(
        "observations/gl-2025-11.csv",
        &|t| t.replacen(",commune_2025,52,,21787,,2025-11-04,", ",commune_2025,52,,21787,,2025-06-01,", 1),
        &["warning [unit_before_reform] gl-2025-11-01: commune 21787 of 2025 exists from 2025-07-01, but the figure is dated 2025-06-01"],
    );
    // Hà Tĩnh's 100% of applications received, filed once more as of the ceremony two days later.
    warns(
        "observations/ht-2023-05.csv",
        &|t| {
            let line = t.lines().find(|l| l.starts_with("ht-2023-05-05,")).unwrap().to_string();
            format!("{t}{}\n", line.replace("ht-2023-05-05,", "ht-2023-05-09,").replace("2023-05-10", "2023-05-12"))
        },
        &["warning [same_fact] ht-2023-05-09: the same value of cccd_applications_rate for the same unit as ht-2023-05-05"],
    );
}

/// A copy of the curated datasets with `edit` applied to one observations file.
fn broken_datasets(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    broken_file("observations/tb-2023h1.csv", edit)
}

/// A copy of the curated datasets with `edit` applied to `file` (relative to `datasets/`).
fn broken_file(file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
    copy_dir(&src, dir.path());
    let file = dir.path().join(file);
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, edit(text)).unwrap();
    dir
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            fs::copy(&path, &dest).unwrap();
        }
    }
}

#[test]
fn validate_finds_broken_data() {
    let (sources, dev) = (seeds(), dev_reports());
    let check_in = |file: &str, edit: &dyn Fn(String) -> String, expect: &str| {
        let dir = broken_file(file, edit);
        let run = chiso(&[
            "validate",
            "--datasets",
            dir.path().to_str().unwrap(),
            "--sources",
            sources.to_str().unwrap(),
            "--sources",
            dev.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 1, "expected failure for {expect}:\n{}", run.stdout);
        assert!(run.stdout.contains(expect), "expected {expect:?} in:\n{}", run.stdout);
        assert!(run.stderr.contains("validation failed"), "{}", run.stderr);
    };
    let check =
        |edit: &dyn Fn(String) -> String, expect: &str| check_in("observations/tb-2023h1.csv", edit, expect);
    // A share of something that is not a count in the catalog; a month that is not one, or that
    // disagrees with the day published.
    check_in(
        "indicators.csv",
        &|t| t.replace(",cccd_cards_issued\n", ",cccd_issued_rate\n"),
        "error [rate_of] cccd_issued_rate: indicator cccd_issued_rate is a share of cccd_issued_rate, which is not a stock or flow indicator",
    );
    check_in(
        "sources.csv",
        &|t| t.replace(",true,2023-06\n", ",true,2023-6\n"),
        "error [published_month] ls-2023-06: published_month must be YYYY-MM and agree with published, not 2023-6",
    );
    check_in(
        "sources.csv",
        &|t| t.replace("16355335.htm,true,\n", "16355335.htm,true,2025-04\n"),
        "error [published_month] na-2025-05: published_month must be YYYY-MM and agree with published, not 2025-04",
    );
    check(
        &|t| t.replace("tb-2023h1-05,eid_accounts,", "tb-2023h1-05,eid_acounts,"),
        "error [indicator_key] tb-2023h1-05: unknown indicator eid_acounts",
    );
    check(&|t| t.replace("tb-2023h1-05,", "tb-2023h1-04,"), "error [duplicate_id] tb-2023h1-04");
    check(&|t| t.replace(",province,34,,,", ",province,99,,,"), "error [province_key]");
    check(
        &|t| t.replace("803868,,,,exact", "803869,,,,exact"),
        "error [quote_number] tb-2023h1-05: the quote does not write the value 803869",
    );
    check(
        &|t| t.replace("cấp 803.868 tài khoản", "cấp 803.868 tài  khoản số"),
        "error [quote_source] tb-2023h1-05",
    );
    check(&|t| t.replace("25,25,25,,exact", "25,26,25,,exact"), "error [numerator] tb-2023h1-01");
    check(&|t| t.replace("66.79,,,50,exact", "166.79,,,50,exact"), "error [range] tb-2023h1-07");
    // A stock with a period_start; a flow without one; a period basis that is not one of three.
    check(
        &|t| t.replace("tb-2023h1-05,eid_accounts,province,34,,,,", "tb-2023h1-05,eid_accounts,province,34,,,2023-01-01,"),
        "error [kind_period] tb-2023h1-05: indicator eid_accounts is a stock (counted since the programme began): period_start must be empty, not 2023-01-01",
    );
    check(
        &|t| t.replace("tb-2023h1-12,plan_tasks,province,34,,,2023-07-01,", "tb-2023h1-12,plan_tasks,province,34,,,,"),
        "error [kind_period] tb-2023h1-12: indicator plan_tasks is a flow (counted over a period): period_start is required",
    );
    check(
        &|t| t.replace(",stated\n", ",guessed\n"),
        "period_basis must be stated, report_date or inferred, not guessed",
    );
}

#[test]
fn validate_flags_parts_that_do_not_add_up() {
    // Give Thái Bình level-1 and level-2 figures that do not sum to its 803.868 accounts.
    let dir = broken_datasets(|t| {
        format!(
            "{t}tb-2023h1-90,eid_accounts_level1,province,34,,,,2023-06-30,800000,,,,exact,tb-2023h1,cấp 803.868 tài khoản định danh điện tử,stated\n\
             tb-2023h1-91,eid_accounts_level2,province,34,,,,2023-06-30,3000,,,,exact,tb-2023h1,cấp 803.868 tài khoản định danh điện tử,stated\n"
        )
    });
    let run = chiso(&["validate", "--datasets", dir.path().to_str().unwrap()]);
    // The quotes do not write 800000 or 3000: errors, and the sum mismatch is a warning.
    assert!(
        run.stdout.contains("warning [parts_sum] tb-2023h1-05: total 803868.0 but its parts sum to 803000.0"),
        "{}",
        run.stdout
    );
}

#[test]
fn build_reports_bad_csv_with_its_file() {
    let dir = broken_datasets(|t| t.replace("803868,,,,exact", "8O3868,,,,exact"));
    let run = chiso(&["validate", "--datasets", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("tb-2023h1.csv"), "{}", run.stderr);
    let wh = tempfile::tempdir().unwrap();
    let out = wh.path().join("wh");
    let run = chiso(&["build", "--datasets", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(!out.exists(), "a failed build must leave nothing behind");
    assert_eq!(fs::read_dir(wh.path()).unwrap().count(), 0, "temporary files left behind");
    let _ = ok(&["tables"]);
}
