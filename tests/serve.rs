//! `chiso serve` with real clients no one here wrote (`cargo test --features serve`): psql,
//! psycopg 3 and ADBC's Flight SQL driver, from the venv `.ci/run` makes
//! (`CHISO_SERVE_PYTHON`, default `bench-data/serve-venv/bin/python`). Where the clients are
//! missing the tests say so and pass, unless `CHISO_REQUIRE_CLIENTS=1` (CI) makes them fail.
#![cfg(feature = "serve")]
mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{cache, chiso, parse_csv};
use serde_json::Value;

/// A running `chiso serve`, stopped when dropped.
struct Server {
    child: Child,
    pg: u16,
    flight: u16,
    /// What it printed on standard error, line by line, as it goes.
    log: std::sync::mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn port_after(line: &str, marker: &str) -> Option<u16> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let addr: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '/').collect();
    addr.rsplit(':').next()?.parse().ok()
}

/// Start `chiso serve` on free loopback ports with `args` and `vars`; wait until it listens.
fn serve(args: &[&str], vars: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(["serve", "--pg", "127.0.0.1:0", "--flight", "127.0.0.1:0"])
        .args(args)
        .envs(vars.iter().copied())
        .env("CHISO_CACHE_DIR", cache())
        .env_remove("CHISO_WAREHOUSE")
        .env_remove("CHISO_SERVE_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chiso serve");
    let stderr = child.stderr.take().unwrap();
    let (send, log) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    let (mut pg, mut flight) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(120);
    while pg.is_none() || flight.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = log.recv_timeout(left).expect("chiso serve did not say where it listens");
        pg = pg.or_else(|| port_after(&line, "postgresql://"));
        flight = flight.or_else(|| port_after(&line, "grpc://"));
    }
    Server { child, pg: pg.unwrap(), flight: flight.unwrap(), log }
}

/// The clients' Python, or `None` (after saying why) when they are not installed here.
fn python() -> Option<PathBuf> {
    common::venv_python("CHISO_SERVE_PYTHON", "psycopg, adbc_driver_flightsql, pyarrow")
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/serve_clients.py")
}

/// Run one scenario of the client script against `server` and return its JSON.
fn clients(python: &PathBuf, scenario: &str, server: &Server, password: Option<&str>) -> Value {
    let mut cmd = Command::new(python);
    cmd.arg(script()).args([scenario, &server.pg.to_string(), &server.flight.to_string()]);
    cmd.args(password);
    let out = cmd.output().expect("run the client script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{scenario} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("one JSON line")
}

/// The rows `chiso query` gives for `sql`, as the clients print them.
fn cli_rows(sql: &str) -> Value {
    let run = chiso(&["query", "--format", "csv", sql]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    Value::from(parse_csv(&run.stdout).into_iter().map(Value::from).collect::<Vec<_>>())
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The queries of the client script, for the command line to answer too.
fn queries() -> Vec<String> {
    let source = std::fs::read_to_string(script()).unwrap();
    let start = source.find("QUERIES = [").unwrap();
    let block = &source[start..start + source[start..].find("\n]").unwrap()];
    block.lines().skip(1).map(|l| l.trim().trim_end_matches(',').trim_matches('"').to_string()).collect()
}

#[test]
fn psql_lists_describes_and_queries() {
    if python().is_none() {
        return;
    }
    // One query at a time: the table `figures` (under `latest_by_province`) plans a query inside
    // the query, which must run in the outer query's turn, not wait for one of its own.
    let server = serve(&["--max-running", "1", "--timeout", "60"], &[]);
    let psql = |command: &str| {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &server.pg.to_string(),
                "-U",
                "analyst",
                "-d",
                "chiso",
                "-X",
                "-A",
            ])
            .args(["-c", command])
            .output()
            .expect("psql (Debian's postgresql-client) is installed");
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (tables, _) = psql("\\dt");
    for table in ["observations", "indicators", "provinces", "communes", "sources"] {
        assert!(tables.contains(&format!("public|{table}|table")), "\\dt lacks {table}:\n{tables}");
    }
    let (columns, _) = psql("\\d observations");
    assert!(columns.contains("indicator|text") && columns.contains("value|double precision"), "{columns}");
    // Nghệ An's e-ID accounts: "Tính đến ngày 15/4/2023, toàn tỉnh đã thu nhận 1.494.541 tài khoản định danh điện tử".
    let (latest, err) = psql(
        "select cast(value as bigint) from latest_by_province('eid_accounts') where province_code = '40'",
    );
    assert!(latest.contains("\n1494541\n"), "{latest}{err}");
    let (_, refused) = psql("delete from observations");
    assert!(refused.contains("DELETE is refused: chiso serve is read-only"), "{refused}");
}

#[test]
fn psycopg_and_adbc_get_the_command_lines_answers_and_writes_are_refused() {
    let Some(python) = python() else { return };
    let before = chiso(&["query", "--format", "csv", "select count(*) from observations"]).stdout;
    let server = serve(&[], &[]);
    let pg = clients(&python, "pg", &server, None);
    let flight = clients(&python, "flight", &server, None);
    for (i, sql) in queries().iter().enumerate() {
        let expected = cli_rows(sql);
        assert_eq!(pg["queries"][i], expected, "psycopg: {sql}");
        assert_eq!(flight["queries"][i], expected, "ADBC: {sql}");
    }
    // Hand-checked: Nghệ An (40), "... đã thu nhận 1.494.541 tài khoản định danh điện tử".
    assert_eq!(pg["param"], serde_json::json!([["1494541"]]));
    assert!(flight["rows"].as_array().is_some_and(|r| r.contains(&serde_json::json!(["40", "1494541"]))));
    // psycopg raises UndefinedTable for SQLSTATE 42P01.
    assert!(text(&pg["unknown_table"]).starts_with("UndefinedTable:"), "{}", pg["unknown_table"]);
    assert!(text(&pg["unknown_table"]).contains("no_such_table"), "{}", pg["unknown_table"]);
    assert!(text(&flight["unknown_table"]).contains("no_such_table"), "{}", flight["unknown_table"]);
    for (got, what) in
        [(&pg["insert"], "INSERT"), (&pg["drop"], "DROP"), (&pg["copy"], "COPY"), (&flight["drop"], "DROP")]
    {
        assert!(text(got).contains(&format!("{what} is refused: chiso serve is read-only")), "{got}");
    }
    let tables = flight["tables"].as_array().unwrap();
    for table in ["observations", "indicators", "provinces", "figures"] {
        assert!(tables.contains(&Value::from(table)), "{table} not listed: {tables:?}");
    }
    let fields = flight["observations_fields"].as_array().unwrap();
    assert!(
        fields.contains(&Value::from("indicator")) && fields.contains(&Value::from("value")),
        "{fields:?}"
    );
    assert_eq!(flight["table_types"], serde_json::json!(["LOCAL TEMPORARY", "TABLE", "VIEW"]));
    assert_eq!(pg["stream"]["rows"], 1_000_000);
    assert_eq!(pg["stream"]["sum"], 500_000_500_000u64);
    drop(server);
    let after = chiso(&["query", "--format", "csv", "select count(*) from observations"]).stdout;
    assert_eq!(before, after, "the warehouse changed");
}

#[test]
fn sixteen_clients_at_once_all_get_right_answers() {
    let Some(python) = python() else { return };
    let server = serve(&["--memory-limit", "256M"], &[]);
    let got = clients(&python, "concurrent", &server, None);
    assert_eq!(got["errors"], serde_json::json!([]));
    let expected: Vec<Value> = queries().iter().map(|q| cli_rows(q)).collect();
    let answers = got["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 16);
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer.as_array().unwrap(), &expected, "client {i}");
    }
}

#[test]
fn a_password_is_required_when_set_and_off_loopback() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, "s3cret-pass\n").unwrap();
    let server = serve(&["--password-file", file.to_str().unwrap()], &[]);
    let got = clients(&python, "password", &server, Some("s3cret-pass"));
    for key in ["pg_wrong", "pg_none"] {
        let refused = text(&got[key]).to_lowercase();
        assert!(
            refused.contains("password authentication failed") || refused.contains("no password supplied"),
            "{key}: {refused}"
        );
    }
    for key in ["flight_wrong", "flight_none"] {
        assert!(text(&got[key]).to_lowercase().contains("unauthenticated"), "{key}: {}", got[key]);
    }
    assert_eq!(got["pg_right"], serde_json::json!([["1"]]));
    assert_eq!(got["flight_right"], serde_json::json!([["1"]]));

    // Beyond loopback without a password: refused before listening.
    let run = chiso(&["serve", "--pg", "0.0.0.0:0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--pg 0.0.0.0:0") && run.stderr.contains("needs a password"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("CHISO_SERVE_PASSWORD"), "{}", run.stderr);
}

#[test]
fn a_killed_client_frees_its_query_and_others_go_on() {
    let Some(python) = python() else { return };
    let server = serve(&["--timeout", "2"], &[]);
    let mut reader = Command::new(&python)
        .arg(script())
        .args(["slow_reader", &server.pg.to_string(), &server.flight.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(reader.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("reading"), "{line}");
    reader.kill().unwrap();
    reader.wait().unwrap();
    // Others are answered, and a query past --timeout is stopped with a message that says so.
    let got = clients(&python, "timeout", &server, None);
    assert!(
        text(&got["pg"]).starts_with("QueryCanceled:") && text(&got["pg"]).contains("--timeout"),
        "{}",
        got["pg"]
    );
    assert!(got["pg_seconds"].as_f64().unwrap() < 60.0, "{}", got["pg_seconds"]);
    assert!(text(&got["flight"]).contains("--timeout"), "{}", got["flight"]);
    assert_eq!(got["after"], serde_json::json!([["42"]]));
}

#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let mut server = serve(&[], &[]);
    let pid = server.child.id().to_string();
    let status = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while last != "chiso serve: stopped" {
        let left = deadline.saturating_duration_since(Instant::now());
        last = server.log.recv_timeout(left).expect("chiso serve did not say it stopped");
    }
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
