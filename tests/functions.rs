//! The SQL functions: every example `chiso functions` prints is run and its result checked.
mod common;

use chiso::engine::functions::FUNCTIONS;
use common::{ok, rows};

#[test]
fn every_documented_example_holds() {
    let examples: Vec<(&str, &str)> = FUNCTIONS.iter().flat_map(|f| f.examples.iter().copied()).collect();
    let select: Vec<String> =
        examples.iter().enumerate().map(|(i, (sql, _))| format!("{sql} AS e{i}")).collect();
    let got = rows(&format!("SELECT {}", select.join(", ")));
    assert_eq!(got.len(), 1);
    for ((sql, want), got) in examples.iter().zip(&got[0]) {
        assert_eq!(got, want, "{sql}");
    }
}

#[test]
fn functions_work_on_columns_and_nulls() {
    // Column inputs (not just literals), with NULLs and empty strings mixed in.
    let got = rows(
        "SELECT vn_number(t), province_code(t) FROM (VALUES ('2.245'), (NULL), (''), ('Nghe An'), ('86,23')) AS v(t)",
    );
    let want = [["2245.0", ""], ["", ""], ["", ""], ["", "40"], ["86.23", ""]];
    assert_eq!(got, want.map(|r| r.map(String::from).to_vec()));
    let labels = rows("SELECT period_label(period_start, period_end) AS p, count(*) FROM observations GROUP BY 1 ORDER BY 1");
    let h1 = labels.iter().find(|r| r[0] == "2023-H1").expect("a 2023-H1 period");
    // Thái Nguyên's 15 half-year figures (dossiers received, processed, on time and their rate, the
    // full-process rate, driver certificates, CCCD applications, activations, 7 media counts)
    // and Thái Bình's 2 half-year rates (online processing, signed documents).
    assert_eq!(h1[1], "17");
}

#[test]
fn functions_command_lists_them_all() {
    let out = ok(&["functions"]);
    for f in FUNCTIONS {
        assert!(out.contains(f.signature), "{} missing", f.name);
    }
}
