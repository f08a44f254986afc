//! Helpers for the end-to-end tests: run the real `chiso` binary and look at what it did.
#![allow(dead_code)]
pub mod compare;
pub mod office;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The seed reports, kept outside the repository in `../shared/seeds`.
pub fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds")
}

/// The dev set: news texts restating real articles, outside the seeds.
#[allow(dead_code)]
pub fn dev_reports() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reports")
}

/// A cache directory shared by the tests of one run, so the default warehouse is built once.
pub fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("chiso-cache")
}

/// What one run of `chiso` gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// What a finished `chiso` process gave.
pub fn finish(out: Output) -> Run {
    Run {
        // Ended by a signal: 128 + its number, as a shell reports it (139 for SIGSEGV).
        code: out.status.code().or(out.status.signal().map(|s| 128 + s)).unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chiso"));
    cmd.args(args)
        .env("CHISO_CACHE_DIR", cache())
        .env_remove("CHISO_WAREHOUSE")
        .env_remove("CHISO_QUERIES")
        .env_remove("RUST_BACKTRACE")
        .current_dir(env!("CARGO_TARGET_TMPDIR"));
    cmd
}

/// Run `chiso ARGS` from a directory without a `datasets/` folder (so the built-in data is used).
pub fn chiso(args: &[&str]) -> Run {
    finish(command(args).stdin(Stdio::null()).output().expect("run chiso"))
}

/// Run `chiso ARGS` with extra environment variables (DataFusion settings, say).
pub fn chiso_env(args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut cmd = command(args);
    cmd.envs(vars.iter().copied());
    finish(cmd.stdin(Stdio::null()).output().expect("run chiso"))
}

/// Run `chiso ARGS` with `input` on standard input.
pub fn chiso_stdin(args: &[&str], input: &str) -> Run {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chiso");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    finish(child.wait_with_output().unwrap())
}

/// Run `chiso ARGS` and insist it succeeded; returns standard output.
pub fn ok(args: &[&str]) -> String {
    let run = chiso(args);
    assert_eq!(run.code, 0, "chiso {args:?} failed:\n{}\n{}", run.stdout, run.stderr);
    run.stdout
}

/// Run a query with CSV output and return its rows (header dropped) as vectors of fields.
pub fn rows(sql: &str) -> Vec<Vec<String>> {
    let out = ok(&["query", sql, "--format", "csv"]);
    parse_csv(&out)
}

/// Split simple CSV output (fields without embedded newlines) into rows, dropping the header.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    text.lines().skip(1).map(split_csv_line).collect()
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The header of an observations CSV.
pub const OBS_HEADER: &str = "obs_id,indicator,geo_level,province_code,district_code,commune_code,period_start,period_end,value,numerator,denominator,target,qualifier,source_id,quote";

/// A fresh warehouse built from the curated data, in a temporary directory.
pub fn warehouse() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    ok(&["build", "--out", wh.to_str().unwrap()]);
    (dir, wh)
}

/// Every file under `dir` with its size and modification time: a fingerprint to prove nothing changed.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, u64, std::time::SystemTime)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if !p.ends_with(".chiso.lock") {
                let m = entry.metadata().unwrap();
                out.push((p, m.len(), m.modified().unwrap()));
            }
        }
    }
    walk(dir, &mut out);
    out.sort();
    out
}

/// The Python of the venv `.ci/run` makes (or the one `variable` names) when it can `import`
/// `modules`, else `None` (after saying why); with `CHISO_REQUIRE_CLIENTS` set (CI) a missing one
/// fails the test instead.
pub fn venv_python(variable: &str, modules: &str) -> Option<PathBuf> {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-data/serve-venv/bin/python"));
    let works = Command::new(&path)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(path);
    }
    let why = format!("no Python with {modules} at {} (.ci/run makes it)", path.display());
    assert!(std::env::var_os("CHISO_REQUIRE_CLIENTS").is_none(), "{why}");
    eprintln!("skipped: {why}");
    None
}

/// A Python with the `deltalake` package (`CHISO_PYTHON`), as [`venv_python`].
pub fn delta_python() -> Option<PathBuf> {
    venv_python("CHISO_PYTHON", "deltalake, pyarrow")
}

/// Run Python `code` with `args` (as `sys.argv[1:]`) and return its standard output, trimmed.
pub fn python_out(python: &Path, code: &str, args: &[&str]) -> String {
    // deltalake's background threads sometimes abort the interpreter as it shuts down ("terminate
    // called without an active exception"), after the work is done: leave without shutting down.
    let code = format!("{code}\nimport os, sys; sys.stdout.flush(); os._exit(0)");
    let out = Command::new(python).arg("-c").arg(code).args(args).output().expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The rows Python `deltalake` reads in the Delta table `dir` (at its latest version).
pub fn python_delta_rows(python: &Path, dir: &Path) -> u64 {
    let code = "import sys, deltalake; print(deltalake.DeltaTable(sys.argv[1]).to_pyarrow_table().num_rows)";
    python_out(python, code, &[dir.to_str().unwrap()]).parse().expect("a row count")
}

/// A moto S3 server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The Python it runs under (with boto3 and deltalake).
    pub python: PathBuf,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's `moto_server` and its Python, or `None` (after saying why) when it is not installed;
/// with `CHISO_REQUIRE_CLIENTS` set (CI) a missing one fails the test instead.
pub fn moto_server() -> Option<(PathBuf, PathBuf)> {
    let python = delta_python()?;
    let server = python.with_file_name("moto_server");
    if !server.is_file() {
        assert!(
            std::env::var_os("CHISO_REQUIRE_CLIENTS").is_none(),
            "no moto_server beside {}",
            python.display()
        );
        eprintln!("skipped: no moto_server beside {} (.ci/run installs moto)", python.display());
        return None;
    }
    Some((server, python))
}

/// The environment that points chiso at the S3 server at `endpoint` (moto takes any credentials).
pub fn s3_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ALLOW_HTTP", "true".into()),
    ]
}

/// Start moto (with `extra` environment, e.g. to require credentials), or `None` when it is not installed.
pub fn moto(extra: &[(&str, &str)]) -> Option<Moto> {
    let (server, python) = moto_server()?;
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(&server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Moto { child, endpoint: format!("http://127.0.0.1:{port}"), python })
}

impl Moto {
    /// The environment that points chiso at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        s3_env(&self.endpoint)
    }

    /// Create a bucket.
    pub fn bucket(&self, name: &str) {
        let code = "import sys, boto3; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', \
                    aws_access_key_id='test', aws_secret_access_key='test').create_bucket(Bucket=sys.argv[2])";
        python_out(&self.python, code, &[&self.endpoint, name]);
    }

    /// Run chiso against this server.
    pub fn chiso(&self, args: &[&str]) -> Run {
        let env = self.env();
        let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        chiso_env(args, &vars)
    }

    /// Run chiso against this server; it must succeed. Returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.chiso(args);
        assert_eq!(run.code, 0, "chiso {args:?} failed: {}", run.stderr);
        run.stdout
    }

    /// The rows of `observations` in warehouse `wh`.
    pub fn count(&self, wh: &str, extra: &[&str]) -> u64 {
        let mut args =
            vec!["query", "select count(*) from observations", "--warehouse", wh, "--format", "csv"];
        args.extend_from_slice(extra);
        parse_csv(&self.ok(&args))[0][0].parse().unwrap()
    }
}
