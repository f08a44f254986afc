//! `chiso chart` and `chiso report`: the SVG's structure (series, points, bars, labels), PNG output,
//! refusals with one clear message, and the report page loaded in headless Chromium.
mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{chiso, ok, parse_csv};

/// Count of `<tag ` elements in an SVG document.
fn count(svg: &str, tag: &str) -> usize {
    svg.matches(&format!("<{tag} ")).count()
}

/// Polylines drawn in a series colour (axes and ticks are black).
fn series_lines(svg: &str) -> usize {
    svg.split("<polyline ")
        .skip(1)
        .filter(|e| !e.split('>').next().unwrap_or("").contains("stroke=\"#000000\""))
        .count()
}

/// Elements of `tag` filled with the first series colour (plotters writes fills as upper-case hex).
fn first_series(svg: &str, tag: &str) -> usize {
    svg.split(&format!("<{tag} "))
        .skip(1)
        .filter(|e| e.split('>').next().unwrap_or("").contains("#1F77B4"))
        .count()
}

/// The text of every `<text>` element, trimmed.
fn texts(svg: &str) -> Vec<&str> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|e| e.split_once('>'))
        .map(|(_, rest)| rest.split("</text>").next().unwrap_or("").trim())
        .collect()
}

fn chart(dir: &Path, name: &str, args: &[&str]) -> String {
    let out = dir.join(name);
    let mut all = vec!["chart", "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let run = chiso(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("wrote "), "{}", run.stderr);
    fs::read_to_string(out).unwrap()
}

#[test]
fn bar_chart_of_e_id_accounts_by_province_in_vietnamese_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let svg = chart(
        dir.path(),
        "eid.svg",
        &[
            "--query",
            "latest_by_province",
            "--param",
            "indicator=eid_accounts",
            "--x",
            "province",
            "--locale",
            "vi",
        ],
    );
    // Nghệ An: "toàn tỉnh đã thu nhận 1.494.541" (15/4/2023); Thái Bình: "cấp 803.868 tài khoản"
    // (30/6/2023); Thái Nguyên: "trên 58.000 tài khoản định danh điện tử" (its half-year review,
    // published in August 2022), a lower bound: "≥".
    assert_eq!(first_series(&svg, "rect"), 3, "one bar per province");
    let labels = texts(&svg);
    assert!(
        labels.contains(&"1.494.541") && labels.contains(&"803.868") && labels.contains(&"≥58.000"),
        "{labels:?}"
    );
    // Sorted by value, names with their tone marks: Nghệ An's bar comes first.
    let at = |name: &str| labels.iter().position(|l| *l == name);
    assert!(at("Nghệ An").unwrap() < at("Thái Bình").unwrap(), "{labels:?}");
    // The title names the indicator from the catalog; the axis uses Vietnamese grouping.
    assert_eq!(labels[0], "E-ID accounts (level 1 and level 2): latest_by_province");
    assert!(labels.contains(&"1.400.000"), "{labels:?}");
}

#[test]
fn lower_bounds_are_marked_on_bars() {
    let dir = tempfile::tempdir().unwrap();
    // Long An, Bến Lức: "cấp hơn 91.600 tài khoản định danh điện tử" — a lower bound.
    let svg = chart(
        dir.path(),
        "la.svg",
        &[
            "--sql",
            "select district_code, value, qualifier from observations where indicator = 'eid_accounts' and geo_level = 'district'",
            "--locale",
            "vi",
        ],
    );
    let labels = texts(&svg);
    assert!(labels.contains(&"≥91.600"), "{labels:?}");
    assert!(!labels.contains(&"91.600"), "an unmarked label would mislead");
    assert!(svg.contains("a bound or approximate figure"));
}

#[test]
fn time_series_has_one_line_and_a_point_per_figure() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    let wh = wh.to_str().unwrap();
    ok(&[
        "generate",
        "--out",
        wh,
        "--years",
        "1",
        "--level",
        "province",
        "--indicators",
        "2",
        "--start",
        "2024-01-01",
    ]);
    // Daily figures are shown by month unless a grain is asked for: 12 months of 2024.
    let args = ["--warehouse", wh, "--param", "indicator=eid_accounts", "--param", "province=Nghệ An"];
    let rows = parse_csv(&ok(&[&["run", "timeseries", "--format", "csv"][..], &args].concat()));
    assert_eq!(rows.len(), 12);
    let svg = chart(dir.path(), "monthly.svg", &[&["--query", "timeseries"][..], &args].concat());
    assert_eq!((series_lines(&svg), count(&svg, "circle")), (1, 12));
    let args = [&args[..], &["--param", "grain=day"]].concat();
    let rows = parse_csv(&ok(&[&["run", "timeseries", "--format", "csv"][..], &args].concat()));
    assert!(rows.len() > 200, "{}", rows.len());
    let svg = chart(dir.path(), "ts.svg", &[&["--query", "timeseries"][..], &args].concat());
    assert_eq!(series_lines(&svg), 1, "one series");
    assert_eq!(count(&svg, "circle"), rows.len(), "one marker per row");
    assert!(texts(&svg).contains(&"period_end"), "a date column goes on x");

    // Three provinces: three lines, each with a marker per day, and a legend naming them.
    let sql = "select period_end, province_name(province_code) as province, value from observations \
               where indicator = 'eid_accounts' and province_code in ('01', '40', '79')";
    let n = parse_csv(&ok(&["query", sql, "--warehouse", wh, "--format", "csv"])).len();
    let svg = chart(dir.path(), "three.svg", &["--warehouse", wh, "--sql", sql]);
    assert_eq!(series_lines(&svg), 3);
    assert_eq!(count(&svg, "circle"), n);
    for name in ["Hà Nội", "Nghệ An", "Hồ Chí Minh"] {
        assert!(svg.contains(name), "legend lacks {name}");
    }
}

#[test]
fn png_is_a_picture_of_the_expected_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.png");
    ok(&["chart", "--query", "latest_by_province", "--x", "province", "--out", out.to_str().unwrap()]);
    let bytes = fs::read(&out).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1000, 560));
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left: {leftovers:?}");
}

#[test]
fn bad_requests_get_one_clear_message_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.svg");
    let out = out.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--query", "latest_by_province", "--y", "province"], "--y province: the column is not numeric"),
        (&["--query", "latest_by_province", "--x", "provnce"], "Did you mean province?"),
        (
            &["--query", "latest_by_province", "--param", "indicator=no_such_thing"],
            "figures has no indicator \"no_such_thing\"",
        ),
        (
            &["--query", "latest_by_province", "--param", "level=commune"],
            "the query returned no rows (no figures for eid_accounts at level commune)",
        ),
        (&["--sql", "select code, name from provinces"], "no number column"),
    ];
    for (args, expected) in cases {
        let run = chiso(&[&["chart", "--out", out][..], args].concat());
        assert_ne!(run.code, 0, "{args:?}");
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        assert!(!Path::new(out).exists());
    }
    let run = chiso(&["chart", "--query", "latest_by_province", "--out", "chart.jpg"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(".svg or .png"), "{}", run.stderr);
    let run = chiso(&["chart", "--out", out]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn report_page_holds_headings_tables_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    ok(&["report", "--out", out.to_str().unwrap(), "--locale", "vi"]);
    let html = fs::read_to_string(&out).unwrap();
    for heading in [
        "Electronic identification accounts (VNeID)",
        "Essential public services deployed",
        "Data quality warnings",
    ] {
        assert!(html.contains(&format!("<h2>{heading}</h2>")), "{heading}");
    }
    assert!(html.contains("1.494.541"));
    // The one curated warning: Nghệ An's stated 85.7% of 20.934 is really 69.6%.
    assert!(html.contains("na-2023-04-18"));
    assert!(count(&html, "svg") >= 4, "a chart per charted section");
    assert!(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"));
}

/// Chromium's console messages for a page (headless, logged to stderr), and the page's DOM.
fn chromium(page: &Path) -> Option<(String, Vec<String>)> {
    let browser = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok())?;
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    Some((String::from_utf8_lossy(&out.stdout).into_owned(), console))
}

#[test]
fn report_loads_in_headless_chromium_without_console_errors() {
    let dir = tempfile::tempdir().unwrap();
    // The detector itself: a page with a script error must be caught.
    let broken = dir.path().join("broken.html");
    fs::write(&broken, "<html><body><script>no_such_function();</script></body></html>").unwrap();
    let Some((_, console)) = chromium(&broken) else {
        assert!(
            std::env::var_os("CHISO_REQUIRE_CHROMIUM").is_none(),
            "CHISO_REQUIRE_CHROMIUM is set but chromium is not installed"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    assert!(console.iter().any(|l| l.contains("no_such_function")), "{console:?}");

    let page = dir.path().join("report.html");
    ok(&["report", "--out", page.to_str().unwrap(), "--locale", "vi"]);
    let (dom, console) = chromium(&page).unwrap();
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(dom.contains("<h1>Đề án 06: headline indicators</h1>"), "{}", &dom[..500.min(dom.len())]);
    assert!(dom.contains("<h2>Chip-based CCCD issued to eligible citizens</h2>"));
    assert!(dom.contains(">803.868</td>"), "Thái Bình's e-ID accounts in the table");
    assert!(dom.contains("<svg"));
}
