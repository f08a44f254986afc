//! The table `figures`: figures derived from the level they were reported at, checked against
//! values computed by hand from the rows below (src/engine/levels.rs).
//!
//! District 494 of province 48 (Đà Nẵng) has four communes: 20284, 20285, 20287 and 20290.
//! Commune 20290 reports nothing on 2024-01-31. One district figure is reported on 2024-02-01.
mod common;

use std::fs;

use common::{ok, parse_csv, warehouse, OBS_HEADER};

/// (commune, day, eid_accounts stock, online_dossiers_received flow, on-time numerator/denominator)
type Row = (&'static str, &'static str, f64, f64, Option<(f64, f64)>);

const COMMUNES: &[Row] = &[
    ("20284", "2024-01-30", 100.0, 5.0, Some((9.0, 10.0))),
    ("20285", "2024-01-30", 200.0, 1.0, Some((1.0, 2.0))),
    ("20287", "2024-01-30", 300.0, 0.0, Some((4.0, 5.0))),
    ("20290", "2024-01-30", 400.0, 10.0, Some((7.0, 7.0))),
    ("20284", "2024-01-31", 110.0, 6.0, Some((18.0, 20.0))),
    ("20285", "2024-01-31", 210.0, 2.0, Some((3.0, 4.0))),
    ("20287", "2024-01-31", 310.0, 4.0, Some((0.0, 1.0))),
    ("20284", "2024-02-01", 120.0, 7.0, None),
    ("20285", "2024-02-01", 220.0, 3.0, None),
    ("20287", "2024-02-01", 330.0, 8.0, None),
    ("20290", "2024-02-01", 420.0, 20.0, None),
];

/// One observations CSV line of province 48, district 494, source test-levels; `period` is
/// (period_start, period_end).
fn line(
    id: &str,
    indicator: &str,
    level: &str,
    commune: &str,
    period: (&str, &str),
    value: f64,
    parts: &str,
) -> String {
    let (start, day) = period;
    // The quote writes every figure of the row, as validation asks.
    let quote = format!("{value} {}", parts.replace(',', " "));
    format!(
        "{id},{indicator},{level},48,494,{commune},{start},{day},{value},{parts},,exact,test-levels,{}",
        quote.trim()
    )
}

/// A warehouse with the curated data and the rows above; returns it with its directory.
fn hierarchy() -> (tempfile::TempDir, String) {
    let (dir, wh) = warehouse();
    let sources = dir.path().join("sources.csv");
    fs::write(
        &sources,
        "source_id,title,publisher,published,province_code,seed_file\n\
         test-levels,Figures made by hand for the levels test,chiso tests,2024-02-02,48,\n",
    )
    .unwrap();
    let mut lines = vec![OBS_HEADER.to_string()];
    for (i, (commune, day, stock, flow, rate)) in COMMUNES.iter().enumerate() {
        lines.push(line(&format!("s{i}"), "eid_accounts", "commune", commune, ("", day), *stock, ","));
        lines.push(line(
            &format!("f{i}"),
            "online_dossiers_received",
            "commune",
            commune,
            (day, day),
            *flow,
            ",",
        ));
        if let Some((n, d)) = rate {
            let parts = format!("{n},{d}");
            lines.push(line(
                &format!("r{i}"),
                "online_dossiers_on_time_rate",
                "commune",
                commune,
                (day, day),
                100.0 * n / d,
                &parts,
            ));
        }
    }
    lines.push(line("d1", "eid_accounts", "district", "", ("", "2024-02-01"), 2000.0, ","));
    let obs = dir.path().join("obs.csv");
    fs::write(&obs, lines.join("\n") + "\n").unwrap();
    let w = wh.to_str().unwrap().to_string();
    for file in [&sources, &obs] {
        ok(&["--warehouse", &w, "ingest", file.to_str().unwrap()]);
    }
    (dir, w)
}

/// One value of a query on warehouse `wh`.
fn scalar(wh: &str, sql: &str) -> String {
    parse_csv(&ok(&["--warehouse", wh, "query", sql, "--format", "csv"]))[0][0].clone()
}

/// `code, period, value, qualifier, derived, reporting, expected` of one indicator at a level and grain.
fn figures(wh: &str, indicator: &str, level: &str, grain: &str, more: &str) -> Vec<String> {
    let sql = format!(
        "SELECT code, period, value, qualifier, derived, reporting, expected FROM figures \
         WHERE indicator = '{indicator}' AND geo_level = '{level}' AND grain = '{grain}' {more} \
         ORDER BY code, period_end"
    );
    let out = ok(&["--warehouse", wh, "query", &sql, "--format", "csv"]);
    parse_csv(&out).into_iter().map(|r| r.join(",")).collect()
}

#[test]
fn stocks_flows_and_ratios_roll_up_with_their_completeness() {
    let (_dir, wh) = hierarchy();
    let wh = wh.as_str();
    // Stock by day: 100+200+300+400; 110+210+310 with 20290 missing (a lower bound); on 02-01 the
    // district's own figure is preferred to the sum of its communes (120+220+330+420 = 1090).
    assert_eq!(
        figures(wh, "eid_accounts", "district", "reported", "AND code = '494'"),
        [
            "494,to 2024-01-30,1000.0,exact,true,4,4",
            "494,to 2024-01-31,630.0,lower_bound,true,3,4",
            "494,to 2024-02-01,2000.0,exact,false,,",
        ]
    );
    assert_eq!(
        figures(wh, "eid_accounts", "district", "reported", "AND code = '494' AND derived"),
        [
            "494,to 2024-01-30,1000.0,exact,true,4,4",
            "494,to 2024-01-31,630.0,lower_bound,true,3,4",
            "494,to 2024-02-01,1090.0,exact,true,4,4",
        ]
    );
    // A stock's month is its last value: 110+210+310+400 (20290's last January figure is 01-30).
    assert_eq!(
        figures(wh, "eid_accounts", "district", "month", "AND code = '494' AND derived"),
        ["494,to 2024-01-31,1030.0,exact,true,4,4", "494,to 2024-02-01,1090.0,exact,true,4,4"]
    );
    // Flow by day: 5+1+0+10; 6+2+4 (a lower bound); by month: (5+6)+(1+2)+(0+4)+10 = 28.
    assert_eq!(
        figures(wh, "online_dossiers_received", "district", "day", ""),
        [
            "494,2024-01-30..2024-01-30,16.0,exact,true,4,4",
            "494,2024-01-31..2024-01-31,12.0,lower_bound,true,3,4",
            "494,2024-02-01..2024-02-01,38.0,exact,true,4,4",
        ]
    );
    assert_eq!(
        figures(wh, "online_dossiers_received", "district", "month", ""),
        ["494,2024-01-30..2024-01-31,28.0,exact,true,4,4", "494,2024-02-01..2024-02-01,38.0,exact,true,4,4"]
    );
    // A ratio is recomputed from summed parts, never averaged: (9+1+4+7)/(10+2+5+7) = 21/24;
    // (18+3+0)/(20+4+1) = 21/25 with a commune missing (approximate); January (27+4+4+7)/(30+6+6+7).
    assert_eq!(
        figures(wh, "online_dossiers_on_time_rate", "district", "day", ""),
        ["494,2024-01-30..2024-01-30,87.5,exact,true,4,4", "494,2024-01-31..2024-01-31,84.0,approx,true,3,4"]
    );
    assert_eq!(
        figures(wh, "online_dossiers_on_time_rate", "district", "month", ""),
        ["494,2024-01-30..2024-01-31,85.71428571428571,exact,true,4,4"]
    );
}

#[test]
fn higher_levels_take_the_nearest_level_reported() {
    let (_dir, wh) = hierarchy();
    let wh = wh.as_str();
    let communes = |filter: &str| scalar(wh, &format!("SELECT count(*) FROM communes WHERE {filter}"));
    let districts = |filter: &str| scalar(wh, &format!("SELECT count(*) FROM districts WHERE {filter}"));
    // On 01-30 and 01-31 only communes report (4 and 3 of the province's); on 02-01 the district
    // does (1 of the province's districts), and the nearer level is taken.
    let (c48, d48) = (communes("province_code = '48'"), districts("province_code = '48'"));
    assert_eq!(
        figures(wh, "eid_accounts", "province", "reported", "AND code = '48'"),
        [
            format!("48,to 2024-01-30,1000.0,lower_bound,true,4,{c48}"),
            format!("48,to 2024-01-31,630.0,lower_bound,true,3,{c48}"),
            format!("48,to 2024-02-01,2000.0,lower_bound,true,1,{d48}"),
        ]
    );
    // Province 48 became part of the 2025 province 48, with 49.
    let merged = "province_2025(province_code) = '48'";
    assert_eq!(
        figures(wh, "eid_accounts", "province_2025", "month", "AND code = '48'"),
        [
            format!("48,to 2024-01-31,1030.0,lower_bound,true,4,{}", communes(merged)),
            format!("48,to 2024-02-01,2000.0,lower_bound,true,1,{}", districts(merged)),
        ]
    );
    let region = scalar(wh, "SELECT region('48')");
    let in_region = communes(&format!("region(province_code) = '{region}'"));
    assert_eq!(
        figures(wh, "online_dossiers_received", "region", "month", &format!("AND code = '{region}'")),
        [
            format!("{region},2024-01-30..2024-01-31,28.0,lower_bound,true,4,{in_region}"),
            format!("{region},2024-02-01..2024-02-01,38.0,lower_bound,true,4,{in_region}"),
        ]
    );
    // The year 2024 for the country: 28 + 38.
    assert_eq!(
        figures(wh, "online_dossiers_received", "national", "year", "AND period_end >= DATE '2024-01-01'"),
        [format!("VN,2024-01-30..2024-02-01,66.0,lower_bound,true,4,{}", communes("true"))]
    );
}

#[test]
fn the_curated_data_rolls_up_long_an_districts() {
    // Long An (80) reports CCCD cards for two of its 15 districts (la-2024): Bến Lức "gần 141.000"
    // and Cần Giuộc "hơn 178.000"; the province's figure from them is 319,000 at least.
    let out = ok(&[
        "query",
        "SELECT value, reporting, expected, qualifier, derived FROM figures WHERE indicator = 'cccd_cards_issued' \
         AND geo_level = 'province' AND grain = 'reported' AND code = '80'",
        "--format",
        "csv",
    ]);
    assert_eq!(parse_csv(&out), [["319000.0", "2", "15", "lower_bound", "true"]]);
}

#[test]
fn a_running_total_is_not_summed_with_a_flow_of_the_year() {
    // Long An's applications for CCCD: Cần Giuộc "hơn 198.600 trường hợp" (no start: a running
    // total, so `cccd_applications_total`) and Bến Lức "Từ đầu năm 2024 đến nay ... hơn 6.400"
    // (since 1 January: `cccd_applications`). Each indicator has one meaning; 198,600 + 6,400
    // would mix two kinds of count.
    let out = ok(&[
        "query",
        "SELECT period, value, reporting, expected, qualifier FROM figures WHERE indicator = 'cccd_applications' \
         AND geo_level = 'province' AND grain = 'year' AND code = '80' ORDER BY value",
        "--format",
        "csv",
    ]);
    assert_eq!(parse_csv(&out), [["2024-01-01..2024-08-31", "6400.0", "1", "15", "lower_bound"]]);
    let out = ok(&[
        "query",
        "SELECT period, value, reporting, expected, qualifier FROM figures WHERE indicator = 'cccd_applications_total' \
         AND geo_level = 'province' AND grain = 'year' AND code = '80' ORDER BY value",
        "--format",
        "csv",
    ]);
    assert_eq!(parse_csv(&out), [["to 2024-08-31", "198600.0", "1", "15", "lower_bound"]]);
}

#[test]
fn grain_auto_is_month_for_daily_figures_and_as_reported_otherwise() {
    let (dir, wh) = hierarchy();
    let wh = wh.as_str();
    // District 494's figures end on three dates in two months: not more than twice a month.
    let reported = figures(wh, "eid_accounts", "district", "reported", "AND code = '494'");
    assert_eq!(figures(wh, "eid_accounts", "district", "auto", "AND code = '494'"), reported);
    // Commune 20284 reports every day from 1 to 10 March (131 to 140): 13 dates in three months.
    let mut lines = vec![OBS_HEADER.to_string()];
    for day in 1..=10 {
        let date = format!("2024-03-{day:02}");
        lines.push(line(
            &format!("m{day}"),
            "eid_accounts",
            "commune",
            "20284",
            ("", &date),
            130.0 + f64::from(day),
            ",",
        ));
    }
    let march = dir.path().join("march.csv");
    fs::write(&march, lines.join("\n") + "\n").unwrap();
    ok(&["--warehouse", wh, "ingest", march.to_str().unwrap()]);
    // By month, a stock's last value: 110 on 31 January, 120 on 1 February, 140 on 10 March.
    assert_eq!(
        figures(wh, "eid_accounts", "commune", "auto", "AND code = '20284'"),
        [
            "20284,to 2024-01-31,110.0,exact,false,,",
            "20284,to 2024-02-01,120.0,exact,false,,",
            "20284,to 2024-03-10,140.0,exact,false,,",
        ]
    );
    let grains =
        "SELECT DISTINCT grain FROM figures WHERE indicator = 'eid_accounts' AND geo_level = 'commune' \
                  AND grain = 'auto' AND code = '20284'";
    assert_eq!(scalar(wh, grains), "month");
}

#[test]
fn an_unknown_level_or_grain_is_named() {
    for (filter, expected) in [
        ("geo_level = 'provnce'", "figures has no geo_level \"provnce\"; its levels are commune, district"),
        (
            "grain = 'fortnight'",
            "figures has no grain \"fortnight\"; its grains, besides auto, are reported, day",
        ),
        ("indicator IN ('eid_accounts', 'eid_acounts')", "figures has no indicator \"eid_acounts\""),
    ] {
        let run = common::chiso(&["query", &format!("SELECT count(*) FROM figures WHERE {filter}")]);
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains(expected), "{}", run.stderr);
    }
}

#[test]
fn every_level_and_grain_plans_with_every_column() {
    // Unfiltered, `figures` plans all 36 level and grain pairs at once; each names its source.
    let out = ok(&[
        "query",
        "SELECT count(*) > 0, count(*) = count(source_id), count(DISTINCT grain), count(DISTINCT geo_level) FROM figures",
        "--format",
        "csv",
    ]);
    // The curated data has figures or roll-ups at all six levels (communes from Gia Lai 2025).
    assert_eq!(parse_csv(&out), [["true", "true", "6", "6"]]);
}

#[test]
fn communes_of_2025_add_up_their_whole_legacy_communes_and_their_own_figures() {
    // District 494's four communes all became phường Ngũ Hành Sơn (20285) whole
    // (datasets/reference/commune_crosswalk.csv): its history is theirs, as the district's.
    let (_dir, wh) = hierarchy();
    assert_eq!(
        figures(&wh, "eid_accounts", "commune_2025", "reported", ""),
        [
            "20285,to 2024-01-30,1000.0,exact,true,4,4",
            "20285,to 2024-01-31,630.0,lower_bound,true,3,4",
            "20285,to 2024-02-01,1090.0,exact,true,4,4",
        ]
    );
    // Phường Đoài Phương (09616, Hà Nội) took xã Kim Sơn (09610) and xã Sơn Đông (09613) whole,
    // and part of xã Cổ Đông (09616), whose other part went to 09988. The split commune's 50
    // goes to neither: 100 + 200 of three communes, a lower bound. A figure reported for the
    // 2025 commune itself is used as it is.
    let (dir, wh) = warehouse();
    let wh = wh.to_str().unwrap().to_string();
    let sources = dir.path().join("sources.csv");
    fs::write(
        &sources,
        "source_id,title,publisher,published,province_code,seed_file\n\
         test-2025,Figures made by hand for the 2025 communes,chiso tests,2025-10-01,01,\n",
    )
    .unwrap();
    let row = |id: &str,
               level: &str,
               province: &str,
               district: &str,
               commune: &str,
               day: &str,
               value: f64| {
        format!("{id},eid_accounts,{level},{province},{district},{commune},,{day},{value},,,,exact,test-2025,{value}")
    };
    let lines = [
        OBS_HEADER.to_string(),
        row("k1", "commune", "01", "269", "09610", "2024-01-30", 100.0),
        row("k2", "commune", "01", "269", "09613", "2024-01-30", 200.0),
        row("k3", "commune", "01", "269", "09616", "2024-01-30", 50.0),
        row("k4", "commune_2025", "", "", "09616", "2025-09-30", 400.0),
    ];
    let obs = dir.path().join("obs.csv");
    fs::write(&obs, lines.join("\n") + "\n").unwrap();
    for file in [&sources, &obs] {
        ok(&["--warehouse", &wh, "ingest", file.to_str().unwrap()]);
    }
    let rows = figures(&wh, "eid_accounts", "commune_2025", "reported", "");
    assert_eq!(
        rows,
        ["09616,to 2024-01-30,300.0,lower_bound,true,2,3", "09616,to 2025-09-30,400.0,exact,false,,"]
    );
    // Asked for one 2025 commune, by the saved query and by name.
    let out = ok(&[
        "--warehouse",
        &wh,
        "run",
        "timeseries",
        "-p",
        "level=commune_2025",
        "-p",
        "province=Đoài Phương",
        "--format",
        "csv",
    ]);
    let values: Vec<String> = parse_csv(&out).into_iter().map(|r| r[3].clone()).collect();
    assert_eq!(values, ["300.0", "400.0"]);
}
