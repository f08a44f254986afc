//! Results compared across engines: rows in a canonical form, and the queries every engine must
//! answer alike (the saved queries and the benchmark suite).
use std::path::{Path, PathBuf};

use super::parse_csv;

/// Rows in a canonical form to compare results that may differ in row order and in the last bits
/// of float sums (a different order of addition): numbers to 9 significant digits, rows sorted.
pub fn canonical(csv: &str) -> Vec<String> {
    let mut rows = in_order(csv);
    rows.sort();
    rows
}

/// The rows of `csv` as [`canonical`] writes them, in the order given.
pub fn in_order(csv: &str) -> Vec<String> {
    parse_csv(csv)
        .into_iter()
        .map(|row| {
            let fields: Vec<String> = row
                .into_iter()
                .map(|f| match f.parse::<f64>() {
                    Ok(x) if f.contains('.') || f.contains('e') => format!("{x:.8e}"),
                    _ => f,
                })
                .collect();
            fields.join("\u{1f}")
        })
        .collect()
}

/// Check that `there` (CSV) has the header and the rows of `here`, in the same order; `what` names
/// the query in a failure. Returns the number of rows.
pub fn same_rows(what: &str, here: &str, there: &str) -> usize {
    assert_eq!(here.lines().next(), there.lines().next(), "{what}: headers differ");
    let (a, b) = (canonical(here), canonical(there));
    assert_eq!(a.len(), b.len(), "{what}: {} rows here, {} on the cluster", a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "{what}: rows differ");
    }
    let (a, b) = (in_order(here), in_order(there));
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        panic!(
            "{what}: the same rows in another order; row {} is {:?} here, {:?} on the cluster",
            i + 1,
            a[i],
            b[i]
        );
    }
    a.len()
}

/// The benchmark suite's query files (benches/queries), in order.
pub fn suite_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/queries");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

/// The built-in saved queries (the files of queries/), each with the parameters it needs on the
/// curated data or on a generated history.
pub fn saved_runs(curated: bool) -> Vec<Vec<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().path().file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert!(names.len() >= 11, "{names:?}");
    names
        .into_iter()
        .map(|name| {
            let params: &[&str] = match name.as_str() {
                "province_scorecard" | "timeseries" => &["--param", "province=40"],
                // Thái Bình's DTI rank is reported for both years.
                "growth" if curated => &[
                    "--param",
                    "indicator=dti_rank",
                    "--param",
                    "from=2021-12-31",
                    "--param",
                    "to=2022-12-31",
                ],
                "growth" => &["--param", "from=2023-03-31", "--param", "to=2023-09-30"],
                _ => &[],
            };
            let mut run = vec!["run".to_string(), name];
            run.extend(params.iter().map(|p| p.to_string()));
            run
        })
        .collect()
}
