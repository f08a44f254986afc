//! End-to-end tests of the command line: arguments in, exit code and output checked.
mod common;

use common::{chiso, chiso_stdin, ok, parse_csv, rows};
use std::fs;

#[test]
fn query_counts_observations_from_parquet() {
    let out = ok(&["query", "select count(*) AS n from observations", "--format", "csv"]);
    // 106 figures of the five seeds and 72 of the fourteen dev-set reports.
    assert_eq!(out, "n\n178\n");
}

#[test]
fn query_reads_sql_from_file_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("q.sql");
    fs::write(&file, "select code from provinces where code = '40'").unwrap();
    assert_eq!(ok(&["query", "-f", file.to_str().unwrap(), "--format", "csv"]), "code\n40\n");
    let run = chiso_stdin(&["query", "--format", "csv"], "select name from provinces where code = '34';");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "name\nThái Bình\n");
}

#[test]
fn query_runs_several_statements_in_order() {
    let out = ok(&[
        "query",
        "create view big as select * from provinces_2025 where legacy_codes like '% % %'; select count(*) as n from big",
        "--format",
        "csv",
    ]);
    // Phú Thọ, Ninh Bình, Hồ Chí Minh, Vĩnh Long, Cần Thơ, Lâm Đồng merge three legacy provinces each.
    assert_eq!(out, "n\n6\n");
}

#[test]
fn every_output_format() {
    let sql = "select code, name from provinces where code in ('19', '40') order by code";
    assert_eq!(ok(&["query", sql, "--format", "csv"]), "code,name\n19,Thái Nguyên\n40,Nghệ An\n");
    assert_eq!(
        ok(&["query", sql, "--format", "json"]),
        "[{\"code\":\"19\",\"name\":\"Thái Nguyên\"},{\"code\":\"40\",\"name\":\"Nghệ An\"}]\n"
    );
    assert_eq!(
        ok(&["query", sql, "--format", "ndjson"]),
        "{\"code\":\"19\",\"name\":\"Thái Nguyên\"}\n{\"code\":\"40\",\"name\":\"Nghệ An\"}\n"
    );
    let md = ok(&["query", sql, "--format", "markdown"]);
    assert!(md.contains("| code | name        |"), "{md}");
    assert!(md.contains("| 40   | Nghệ An     |"), "{md}");
    let table = ok(&["query", sql, "--format", "table"]);
    assert!(table.contains("| 19   | Thái Nguyên |"), "{table}");
    // Empty results keep their header.
    assert_eq!(ok(&["query", "select code from provinces where false", "--format", "csv"]), "code\n");
    assert_eq!(ok(&["query", "select code from provinces where false", "--format", "json"]), "[]\n");
}

#[test]
fn out_writes_a_file_in_the_format_its_name_implies() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("p.csv");
    let run =
        chiso(&["query", "select code from provinces order by code limit 2", "--out", csv.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(fs::read_to_string(&csv).unwrap(), "code\n01\n02\n");

    let parquet = dir.path().join("obs.parquet");
    ok(&[
        "query",
        "select * from observations where source_id = 'tb-2023h1'",
        "--out",
        parquet.to_str().unwrap(),
    ]);
    let file = fs::File::open(&parquet).unwrap();
    let reader = datafusion::parquet::file::reader::SerializedFileReader::new(file).unwrap();
    use datafusion::parquet::file::reader::FileReader;
    assert_eq!(reader.metadata().file_metadata().num_rows(), 12);
    // Read back through chiso itself as an extra table.
    let spec = format!("tb={}", parquet.display());
    let back = ok(&[
        "query",
        "select value from tb where indicator = 'eid_accounts'",
        "--table",
        &spec,
        "--format",
        "csv",
    ]);
    assert_eq!(back, "value\n803868.0\n");
}

#[test]
fn out_refuses_a_directory_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let run = chiso(&["query", "select 1", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is a directory"), "{}", run.stderr);
    let bad = dir.path().join("r.csv");
    let run = chiso(&["query", "select * from nowhere", "--out", bad.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(!bad.exists());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "a temporary file was left behind");
}

#[test]
fn sql_errors_are_one_clear_line_with_exit_1() {
    let run = chiso(&["query", "selec 1"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("SQL"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);

    let run = chiso(&["query", "select * from observation"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("Did you mean observations?"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(chiso(&["frobnicate"]).code, 2);
    assert_eq!(chiso(&["query", "select 1", "--format", "xml"]).code, 2);
    let run = chiso(&["query"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no SQL given"), "{}", run.stderr);
    let run = chiso(&["query", "select 1", "--table", "broken"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("NAME=PATH"), "{}", run.stderr);
}

#[test]
fn help_reads_well() {
    let help = ok(&["--help"]);
    for cmd in ["query", "run", "queries", "tables", "describe", "shell", "build", "validate"] {
        assert!(help.contains(cmd), "--help does not mention {cmd}");
    }
    assert!(ok(&["query", "--help"]).contains("--format"));
    assert!(ok(&["run", "--help"]).contains("--param"));
}

#[test]
fn run_saved_query_with_parameters() {
    let out = ok(&["run", "latest_by_province", "--param", "indicator=eid_accounts", "--format", "csv"]);
    let rows = parse_csv(&out);
    // Nghệ An: 1.494.541 accounts on 15/4/2023; Thái Bình: 803.868 in the first half of 2023;
    // Thái Nguyên: more than 58.000 in its review of the first half of 2022, published in August
    // 2022 (after "gần 50.500" to July). Long An's figure is for one district, not the province,
    // so it is not listed.
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][..3], ["40", "Nghệ An", "1494541.0"]);
    assert_eq!(rows[0][5], "2023-04-15");
    assert_eq!(&rows[1][..3], ["34", "Thái Bình", "803868.0"]);
    assert_eq!(&rows[2][..3], ["19", "Thái Nguyên", "58000.0"]);
}

#[test]
fn run_help_shows_the_header() {
    let out = ok(&["run", "latest_by_province", "--help"]);
    assert!(out.contains("The latest figure of one indicator in each province"), "{out}");
    assert!(out.contains("indicator"), "{out}");
    assert!(out.contains("default eid_accounts"), "{out}");
    // A parameter that takes listed values names them.
    assert!(
        out.contains("(one of: commune, district, province, region, national, province_2025, commune_2025)"),
        "{out}"
    );
}

#[test]
fn run_errors_name_what_is_wrong() {
    let run = chiso(&["run", "latest_by_provinc"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Did you mean latest_by_province?"), "{}", run.stderr);
    let run = chiso(&["run", "latest_by_province", "--param", "indicatr=x"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Did you mean indicator?"), "{}", run.stderr);
}

#[test]
fn saved_queries_from_a_directory_bind_typed_parameters() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("since.sql"),
        "-- Figures reported on or after a date.\n-- @param day date -- the first as-of date\n\
         -- @param min float = 0 -- smallest value\n\
         SELECT count(*) AS n FROM observations WHERE period_end >= $day AND value >= $min\n",
    )
    .unwrap();
    let q = dir.path().to_str().unwrap();
    let listed = ok(&["queries", "--queries", q]);
    assert!(listed.contains("since") && listed.contains("Figures reported on or after a date."), "{listed}");
    // Dated 2024 or later: Long An 2024 (30 figures), Thái Bình 2024-01 (7), Nghệ An 2025-03 (9)
    // and 2025-05 (6), Long An 2025 (4), Quảng Ninh (2), Gia Lai 2025 (3).
    assert_eq!(ok(&["run", "since", "--queries", q, "-p", "day=2024-01-01", "--format", "csv"]), "n\n61\n");
    // Of those, Long An's 141.000, 108.000, 198.600, 178.000, 124.000, 110.100 and 104.800 and
    // Quảng Ninh's "hơn 170 nghìn" reach 100.000.
    assert_eq!(
        ok(&["run", "since", "--queries", q, "-p", "day=2024-01-01", "-p", "min=100000", "--format", "csv"]),
        "n\n8\n"
    );
    let run = chiso(&["run", "since", "--queries", q]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--param day=<date>"), "{}", run.stderr);
    let run = chiso(&["run", "since", "--queries", q, "-p", "day=1/1/2024"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("must be a date written YYYY-MM-DD"), "{}", run.stderr);
    let run = chiso(&["run", "since", "--queries", q, "-p", "day=2024-01-01", "-p", "min=lots"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("parameter min of since must be a number"), "{}", run.stderr);
}

#[test]
fn queries_lists_the_built_in_ones() {
    let out = ok(&["queries"]);
    assert!(out.contains("latest_by_province"), "{out}");
}

#[test]
fn tables_and_describe() {
    let out = ok(&["tables", "--format", "csv"]);
    let rows = parse_csv(&out);
    let find =
        |name: &str| rows.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("{name} missing")).clone();
    assert_eq!(find("observations")[1], "178");
    assert_eq!(find("provinces")[1], "63");
    assert_eq!(find("communes")[1], "10035");
    let out = ok(&["describe", "observations", "--format", "csv"]);
    assert!(out.contains("period_end,Date32,NO"), "{out}");
    assert!(out.contains("province_code,Utf8View,YES"), "{out}");
    let run = chiso(&["describe", "provincs"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("Did you mean provinces?"), "{}", run.stderr);
}

#[test]
fn shell_runs_multi_line_statements() {
    let run = chiso_stdin(&["shell"], "select count(*) as n\nfrom provinces;\n\\d\n\\q\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("| 63 |"), "{}", run.stdout);
    assert!(run.stdout.contains("province_crosswalk"), "{}", run.stdout);
}

#[test]
fn build_then_query_a_warehouse_directory() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    let out = ok(&["build", "--out", wh.to_str().unwrap()]);
    assert!(out.contains("observations") && out.contains("178 rows"), "{out}");
    assert!(wh.join("observations/_delta_log/00000000000000000000.json").is_file());
    let w = wh.to_str().unwrap();
    assert_eq!(
        ok(&["query", "select count(*) as n from districts", "--warehouse", w, "--format", "csv"]),
        "n\n696\n"
    );
    // A second build replaces the warehouse in place.
    ok(&["build", "--out", w]);
    // A directory that is not a warehouse is never replaced.
    let run = chiso(&["build", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a chiso warehouse"), "{}", run.stderr);
}

#[test]
fn unreadable_warehouse_names_the_path() {
    let run = chiso(&["query", "select 1", "--warehouse", "/no/such/warehouse"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("/no/such/warehouse"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("broken.parquet"), b"not parquet").unwrap();
    // Tables are opened when a query names them: the broken one fails then, with its path.
    let w = dir.path().to_str().unwrap();
    assert_eq!(ok(&["query", "select 1 as one", "--warehouse", w, "--format", "csv"]), "one\n1\n");
    let run = chiso(&["query", "select * from broken", "--warehouse", w]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("broken.parquet"), "{}", run.stderr);
}

#[test]
fn extra_csv_table_joins_the_curated_ones() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("extra.csv");
    fs::write(&csv, "province_code,population\n40,3400000\n34,1900000\n").unwrap();
    let spec = format!("pop={}", csv.display());
    let rows = rows_with(&["--table", &spec], "select p.name, x.population from pop x join provinces p on p.code = lpad(CAST(x.province_code AS VARCHAR), 2, '0') order by p.name");
    assert_eq!(
        rows,
        vec![
            vec!["Nghệ An".to_string(), "3400000".to_string()],
            vec!["Thái Bình".to_string(), "1900000".to_string()]
        ]
    );
    let run = chiso(&["query", "select 1", "--table", "x=/no/such.csv"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no such file"), "{}", run.stderr);
}

fn rows_with(extra: &[&str], sql: &str) -> Vec<Vec<String>> {
    let mut args = vec!["query", sql, "--format", "csv"];
    args.extend_from_slice(extra);
    parse_csv(&ok(&args))
}

#[test]
fn default_csv_when_piped() {
    // Standard output is a pipe here, so the default format is CSV.
    assert_eq!(rows("select 1 as one"), vec![vec!["1".to_string()]]);
    assert_eq!(ok(&["query", "select 1 as one"]), "one\n1\n");
}

#[test]
#[cfg(not(feature = "cluster"))]
fn cluster_commands_in_a_lean_build_say_how_to_get_them() {
    let commands = [
        &["--cluster", "df://127.0.0.1:50050", "query", "select 1"][..],
        &["scheduler"],
        &["cluster", "local"],
    ];
    for args in commands {
        let run = chiso(args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains("--features cluster"), "{}", run.stderr);
    }
}

#[test]
fn the_readme_counts_the_rows_chiso_tables_counts() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let counted: std::collections::HashMap<String, String> = parse_csv(&ok(&["tables", "--format", "csv"]))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    // The README's table of tables: `| `a`, `b` | 63, 10,035 | what |` rows (counts with a
    // thousands comma, separated by a comma and a space).
    let mut seen = 0;
    for line in readme.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let names: Vec<&str> =
            cells[0].trim_start_matches("| ").split(", ").map(|n| n.trim_matches('`')).collect();
        let Some(first) = names.first().filter(|n| counted.contains_key(**n)) else { continue };
        if counted[*first].is_empty() {
            continue; // `figures` is computed per query: no count
        }
        let counts: Vec<String> = cells[1].split(", ").map(|c| c.replace(',', "")).collect();
        assert_eq!(counts.len(), names.len(), "{line}");
        for (name, count) in names.iter().zip(&counts) {
            assert_eq!(counted.get(*name), Some(count), "README says {name} has {count} rows");
            seen += 1;
        }
    }
    assert_eq!(seen, counted.values().filter(|c| !c.is_empty()).count(), "every table counted in the README");
}
