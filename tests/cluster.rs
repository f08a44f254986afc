//! The same SQL on a Ballista cluster (`cargo test --features cluster`): a scheduler and two
//! executors run as child processes on free loopback ports; every saved query and every query of
//! the benchmark suite must give the rows the embedded engine gives, and losing an executor in the
//! middle of a query must end in a correct result or a clear error, within the time limit.
#![cfg(feature = "cluster")]
mod common;

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::compare::{canonical, same_rows, saved_runs, suite_files};
use common::{chiso, parse_csv};

/// A scheduler and its executors, stopped when dropped (whatever the test did).
struct Cluster {
    url: String,
    scheduler: Child,
    executors: Vec<Child>,
    work: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.executors.iter_mut().chain(std::iter::once(&mut self.scheduler)) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Two different free ports: both are held while the second is chosen (one after the other, the
/// system may hand out the same port twice, and an executor refuses equal ports).
fn two_free_ports() -> (String, String) {
    let first = TcpListener::bind("127.0.0.1:0").unwrap();
    let second = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = |l: &TcpListener| l.local_addr().unwrap().port().to_string();
    (port(&first), port(&second))
}

fn service(args: &[&str], log: &Path) -> Child {
    service_with(args, log, &[])
}

/// A chiso service with more environment (an S3 endpoint and credentials).
fn service_with(args: &[&str], log: &Path, env: &[(&str, String)]) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("CHISO_CLUSTER")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start a chiso service")
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the {what} exited before listening: {status}");
        }
        assert!(Instant::now() < deadline, "the {what} did not listen on port {port} within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Start a scheduler and `executors` executors (2 task slots each) on free loopback ports, and wait
/// until a query runs on them.
fn start(executors: usize, wh: &str) -> Cluster {
    start_with(executors, wh, &[])
}

/// [`start`], the services and the first query given `env` too.
fn start_with(executors: usize, wh: &str, env: &[(&str, String)]) -> Cluster {
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut scheduler = service_with(
        &["scheduler", "--bind", &bind, "--executor-timeout", "4"],
        &work.path().join("scheduler.log"),
        env,
    );
    wait_for_port(port, "scheduler", &mut scheduler);
    let mut cluster = Cluster { url: format!("df://{bind}"), scheduler, executors: Vec::new(), work };
    for i in 0..executors {
        let (flight, grpc) = two_free_ports();
        let dir = cluster.work.path().join(format!("executor-{i}"));
        std::fs::create_dir(&dir).unwrap();
        let args = [
            "executor",
            "--scheduler",
            &bind,
            "--concurrency",
            "2",
            "--flight-port",
            &flight,
            "--grpc-port",
            &grpc,
            "--work-dir",
            dir.to_str().unwrap(),
        ];
        let mut child = service_with(&args, &cluster.work.path().join(format!("executor-{i}.log")), env);
        let grpc_port = grpc.parse().unwrap();
        wait_for_port(grpc_port, "executor", &mut child);
        cluster.executors.push(child);
    }
    if executors > 0 {
        let deadline = Instant::now() + Duration::from_secs(60);
        let query = ["--cluster", &cluster.url, "--timeout", "20", "--warehouse", wh, "query", "select 1"];
        let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        loop {
            let run = common::chiso_env(&query, &vars);
            if run.code == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the cluster did not answer within 60 s: {}", run.stderr);
        }
    }
    cluster
}

/// A small generated history: every district, the three default years, four indicators (about
/// 3 M rows; with two, each task's files held one indicator and the tasks' sorted runs happened
/// to follow one another in order). The suite's two commune-level queries (07, 09) find no rows
/// at this level.
fn generated() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    let args = ["generate", "--out", wh.to_str().unwrap(), "--level", "district", "--indicators", "4"];
    let run = chiso(&[&args[..], &["--seed", "8"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, wh.to_str().unwrap().to_string())
}

/// Run `args` here and on the cluster; both must succeed with the same header and the same rows in
/// the same order (every suite and saved query orders its rows completely, and so do the queries
/// the tests give).
fn same_on_cluster(cluster: &Cluster, wh: &str, args: &[&str]) -> usize {
    let here = chiso(&[&["--warehouse", wh], args, &["--format", "csv"]].concat());
    assert_eq!(here.code, 0, "{args:?} failed here: {}", here.stderr);
    let remote = ["--cluster", cluster.url.as_str(), "--timeout", "120", "--warehouse", wh];
    let there = chiso(&[&remote[..], args, &["--format", "csv"]].concat());
    assert_eq!(there.code, 0, "{args:?} failed on the cluster: {}", there.stderr);
    same_rows(&format!("{args:?}"), &here.stdout, &there.stdout)
}

#[test]
fn saved_queries_and_the_suite_give_the_same_rows_on_a_cluster() {
    let (_d, generated) = generated();
    let (_c, curated) = common::warehouse();
    let curated = curated.to_str().unwrap();
    let cluster = start(2, &generated);
    // Every saved query on the curated figures, where each one has rows to return, and on the
    // generated history, where the ones about reported figures (quality, targets) have none.
    for run in saved_runs(true) {
        let args: Vec<&str> = run.iter().map(|s| s.as_str()).collect();
        let n = same_on_cluster(&cluster, curated, &args);
        assert!(n > 0, "{args:?} returned no rows on the curated data");
    }
    for run in saved_runs(false) {
        let args: Vec<&str> = run.iter().map(|s| s.as_str()).collect();
        same_on_cluster(&cluster, &generated, &args);
    }
    // Groupings over the files' own order, sorted by their keys: the cluster once returned one
    // sorted run per task, one after the other.
    for sql in [
        "select indicator, count(*) n from observations group by 1 order by 1",
        "select indicator, count(DISTINCT district_code) n from observations group by 1 order by 1",
        "select indicator, province_code, sum(value) s from observations group by 1, 2 order by 1, 2",
    ] {
        assert!(same_on_cluster(&cluster, &generated, &["query", sql]) >= 2, "{sql}");
    }
    let suite = suite_files();
    assert_eq!(suite.len(), 9);
    let mut nonempty = 0;
    for file in &suite {
        let n = same_on_cluster(&cluster, &generated, &["query", "-f", file.to_str().unwrap()]);
        nonempty += usize::from(n > 0);
    }
    assert!(nonempty >= 7, "only {nonempty} of the suite's queries returned rows");
}

#[test]
fn chiso_functions_run_on_the_executors() {
    let (_d, wh) = generated();
    let cluster = start(1, &wh);
    // A grouping on a function result makes the executors evaluate it before the shuffle.
    let sql = "select region(province_code) r, province_2025(province_code) p, vn_number('1.494.541') n, \
               count(*) c from observations group by 1, 2, 3 order by 1, 2";
    assert!(same_on_cluster(&cluster, &wh, &["query", sql]) > 30);

    // Export through the cluster: a partitioned export is written by the executors, here into a
    // directory they share with the client; read back here, it holds every row.
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("by_indicator");
    let export = ["export", "--sql", "select indicator, province_code, value from observations"];
    let to = ["--partition-by", "indicator", "--out", dir.to_str().unwrap()];
    let run =
        chiso(&[&["--cluster", cluster.url.as_str(), "--warehouse", &wh], &export[..], &to[..]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let table = format!("x={}", dir.display());
    let count = |args: &[&str]| parse_csv(&common::ok(&[args, &["--format", "csv"]].concat()))[0][0].clone();
    let exported = count(&["--table", &table, "query", "select count(*) from x"]);
    assert_eq!(exported, count(&["--warehouse", &wh, "query", "select count(*) from observations"]));

    // DESCRIBE, which Ballista cannot be sent, and the report, which charts rows held in memory.
    let on = ["--cluster", cluster.url.as_str(), "--warehouse", &wh];
    let described = common::ok(&[&on[..], &["describe", "observations", "--format", "csv"]].concat());
    assert!(described.contains("period_end,Date32,NO"), "{described}");
    // The report on the curated data (the default warehouse), whose sections all have rows.
    let page = out.path().join("report.html");
    common::ok(&["--cluster", cluster.url.as_str(), "report", "--out", page.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&page).unwrap().contains("<svg"));
}

#[test]
fn losing_an_executor_mid_query_ends_in_the_right_rows_or_a_clear_error() {
    let (_d, wh) = generated();
    let mut cluster = start(2, &wh);
    // A self-join through two shuffles: long enough to still be running when an executor dies.
    let sql = "select a.district_code, count(*) n, sum(a.value - b.value) d \
               from observations a join observations b \
               on a.district_code = b.district_code and a.indicator = b.indicator \
               and a.period_end = b.period_end + interval '1 day' \
               group by 1 order by 1";
    let expected = chiso(&["--warehouse", &wh, "query", sql, "--format", "csv"]);
    assert_eq!(expected.code, 0, "{}", expected.stderr);

    let limit = 90;
    let started = Instant::now();
    let client = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(["--cluster", &cluster.url, "--timeout", &limit.to_string(), "--warehouse", &wh])
        .args(["query", sql, "--format", "csv"])
        .env("CHISO_CACHE_DIR", common::cache())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut client = client;
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        client.try_wait().unwrap().is_none(),
        "the query ended before the executor was lost: make it longer"
    );
    let mut lost = cluster.executors.remove(0);
    lost.kill().unwrap();
    lost.wait().unwrap();
    let out = client.wait_with_output().unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(limit + 15), "the client took {took:?}, past its {limit} s limit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
    if out.status.success() {
        let got = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            canonical(got.as_ref()),
            canonical(&expected.stdout),
            "wrong rows after losing an executor"
        );
    } else {
        assert!(
            stderr.starts_with("error: ") && stderr.lines().count() <= 3,
            "not one clear message: {stderr}"
        );
    }
    eprintln!("after losing an executor: exit {:?} in {took:?}; {}", out.status.code(), stderr.trim());
}

#[test]
fn an_unreachable_scheduler_is_named_with_what_to_start() {
    let port = free_port();
    let url = format!("df://127.0.0.1:{port}");
    let run = chiso(&["--cluster", &url, "query", "select 1"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains(&format!("cannot reach the Ballista scheduler at {url}")), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("chiso scheduler --bind 127.0.0.1:{port}")), "{}", run.stderr);
    let bad = chiso(&["--cluster", "http://127.0.0.1:50050", "query", "select 1"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("df://HOST:PORT"), "{}", bad.stderr);
    let service = chiso(&["--cluster", &url, "scheduler"]);
    assert_eq!(service.code, 2, "{}", service.stderr);
}

#[test]
fn a_cluster_without_executors_times_out_with_a_message() {
    let (_d, wh) = generated();
    let cluster = start(0, &wh);
    let started = Instant::now();
    let run = chiso(&[
        "--cluster",
        &cluster.url,
        "--timeout",
        "3",
        "--warehouse",
        &wh,
        "query",
        "select count(*) from observations",
    ]);
    assert_eq!(run.code, 1);
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    assert!(
        run.stderr.contains("did not finish within 3 s") && run.stderr.contains("chiso executor"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_query_past_its_time_limit_is_cancelled_on_the_cluster() {
    let (_d, wh) = generated();
    // The scheduler logs each cancellation it is asked for at level info.
    let cluster = start_with(1, &wh, &[("RUST_LOG", "info".to_string())]);
    // The self-join of the test above, which runs for longer than 2 s.
    let sql = "select a.district_code, count(*) n from observations a join observations b \
               on a.district_code = b.district_code and a.indicator = b.indicator \
               and a.period_end = b.period_end + interval '1 day' group by 1";
    let run = chiso(&["--cluster", &cluster.url, "--timeout", "2", "--warehouse", &wh, "query", sql]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("did not finish within 2 s"), "{}", run.stderr);
    assert!(!run.stderr.contains("could not cancel"), "{}", run.stderr);
    // The client asked before it exited; the scheduler cancels the job's tasks.
    let log = cluster.work.path().join("scheduler.log");
    let cancelled =
        |text: &str| text.contains("Received cancellation request for job") && text.contains("Job cancelled");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cancelled(&std::fs::read_to_string(&log).unwrap()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(cancelled(&text), "the job was not cancelled: {text}");
}

/// The data files a plan printed by EXPLAIN reads.
fn files_read(explained: &str) -> std::collections::BTreeSet<String> {
    explained
        .split(|c: char| c == '/' || c == '[' || c == ':' || c.is_whitespace() || c == ',')
        .filter(|word| word.starts_with("part-") && word.ends_with(".parquet"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_cluster_reads_only_the_files_a_filter_leaves_and_broadcasts_small_tables() {
    let (_d, wh) = generated();
    let cluster = start(1, &wh);
    let remote = ["--cluster", cluster.url.as_str(), "--timeout", "120", "--warehouse", &wh];
    let here = |sql: &str| common::ok(&["--warehouse", &wh, "query", sql, "--format", "csv"]);
    let there = |sql: &str| common::ok(&[&remote[..], &["query", sql, "--format", "csv"]].concat());
    // The generated warehouse writes each indicator's observations to files of their own.
    let indicator = here("select min(indicator) from observations").lines().nth(1).unwrap().to_string();
    let all = files_read(&there("explain select sum(value) from observations"));
    let filtered = format!("explain select sum(value) from observations where indicator = '{indicator}'");
    let (one_here, one_there) = (files_read(&here(&filtered)), files_read(&there(&filtered)));
    assert!(all.len() >= 2, "{all:?}");
    assert!(!one_there.is_empty() && one_there.len() < all.len(), "{one_there:?} of {all:?}");
    assert_eq!(one_here, one_there, "the cluster reads other files than this process");
    let none = "select count(*), sum(value) from observations where indicator = 'no such indicator'";
    assert_eq!(canonical(&there(none)), canonical(&here(none)));
    // The suite's join with the small tables `communes` and `provinces` broadcasts them: the
    // observations are not shuffled to meet them.
    let join = std::fs::read_to_string(suite_files()[8].clone()).unwrap();
    assert!(join.contains("JOIN provinces"), "{join}");
    let plan = there(&format!("explain {join}"));
    assert!(plan.contains("mode=CollectLeft") && !plan.contains("SortMergeJoin"), "{plan}");
}

/// Start `chiso ARGS` in a mount namespace of its own where `hidden` is an empty directory: a
/// machine that does not share the warehouse. None when this system cannot (not root, no unshare).
fn service_without(hidden: &Path, args: &[&str], log: &Path) -> Option<Child> {
    let probe = Command::new("unshare").args(["-m", "true"]).status();
    if !probe.map(|s| s.success()).unwrap_or(false) {
        return None;
    }
    let mut script =
        format!("mount -t tmpfs none '{}' && exec '{}'", hidden.display(), env!("CARGO_BIN_EXE_chiso"));
    for a in args {
        script.push_str(&format!(" '{a}'"));
    }
    let log = std::fs::File::create(log).unwrap();
    let child = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .ok()?;
    Some(child)
}

#[test]
fn a_warehouse_the_cluster_cannot_see_is_an_error_not_an_empty_answer() {
    let (_d, wh) = generated();
    let work = tempfile::tempdir().unwrap();
    let hidden = Path::new(&wh);
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let (flight, grpc) = two_free_ports();
    let executor = ["executor", "--scheduler", &bind, "--flight-port", &flight, "--grpc-port", &grpc];
    // sum(value) needs the files (count(*) alone is answered from the footers the client read).
    let sql = "select count(*), sum(value) from observations";
    let remote = ["--cluster", &format!("df://{bind}"), "--timeout", "60", "--warehouse", &wh, "query", sql]
        .map(String::from);
    let remote: Vec<&str> = remote.iter().map(|s| s.as_str()).collect();

    // The scheduler does not see the warehouse: it would list no files and count 0 rows.
    let scheduler = ["scheduler", "--bind", &bind, "--executor-timeout", "4"];
    let Some(s) = service_without(hidden, &scheduler, &work.path().join("s1.log")) else {
        eprintln!("SKIPPED: this system cannot make a mount namespace (unshare -m needs root)");
        return;
    };
    let mut cluster = Cluster { url: String::new(), scheduler: s, executors: Vec::new(), work };
    wait_for_port(port, "scheduler", &mut cluster.scheduler);
    let mut e = service(&executor, &cluster.work.path().join("e1.log"));
    wait_for_port(grpc.parse().unwrap(), "executor", &mut e);
    cluster.executors.push(e);
    let run = chiso(&remote);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("the cluster's scheduler cannot see") && run.stderr.contains(&wh),
        "{}",
        run.stderr
    );
    drop(cluster);

    // The scheduler sees it, the executor does not: the read fails and the message says why.
    let work = tempfile::tempdir().unwrap();
    let mut s = service(&scheduler, &work.path().join("s2.log"));
    wait_for_port(port, "scheduler", &mut s);
    let mut cluster = Cluster { url: String::new(), scheduler: s, executors: Vec::new(), work };
    let mut e = service_without(hidden, &executor, &cluster.work.path().join("e2.log")).unwrap();
    wait_for_port(grpc.parse().unwrap(), "executor", &mut e);
    cluster.executors.push(e);
    let run = chiso(&remote);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("not found") && run.stderr.contains("same path on every machine"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_warehouse_on_s3_needs_no_shared_file_system() {
    let Some(s3) = common::moto(&[]) else { return };
    s3.bucket("chiso-cluster");
    let wh = "s3://chiso-cluster/wh";
    s3.ok(&["build", "--out", wh]);
    let cluster = start_with(2, wh, &s3.env());
    let remote = ["--cluster", cluster.url.as_str(), "--timeout", "120", "--warehouse", wh];
    for args in [
        &["query", "select indicator, count(*), sum(value) from observations group by indicator"][..],
        &["run", "latest_by_province"][..],
    ] {
        let here = s3.ok(&[&["--warehouse", wh], args, &["--format", "csv"]].concat());
        let there = s3.ok(&[&remote[..], args, &["--format", "csv"]].concat());
        assert_eq!(canonical(&here), canonical(&there), "{args:?}");
        assert!(canonical(&here).len() > 1, "{args:?}: {here}");
    }
}

#[test]
fn a_second_executor_on_taken_ports_says_which_to_set() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (_, grpc) = two_free_ports();
    let run =
        chiso(&["executor", "--scheduler", "127.0.0.1:1", "--flight-port", &port, "--grpc-port", &grpc]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("port {port} (--flight-port)")), "{}", run.stderr);
    assert!(run.stderr.contains("give this one other ports, e.g. --flight-port"), "{}", run.stderr);
}

#[test]
fn a_local_cluster_runs_queries_and_stops_on_ctrl_c() {
    let (_d, wh) = generated();
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut local = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(["cluster", "local", "--executors", "2", "--bind", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    // The first line is the option to give the commands that run queries.
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(local.stdout.take().unwrap()), &mut first)
        .unwrap();
    assert_eq!(first.trim(), format!("--cluster df://127.0.0.1:{port}"));
    let url = format!("df://127.0.0.1:{port}");
    // The executors register in the background: the first query may find none yet.
    let deadline = Instant::now() + Duration::from_secs(60);
    let sql = "select indicator, count(*) n from observations group by 1 order by 1";
    let there = loop {
        let run = chiso(&[
            "--cluster",
            &url,
            "--timeout",
            "20",
            "--warehouse",
            &wh,
            "query",
            sql,
            "--format",
            "csv",
        ]);
        if run.code == 0 || Instant::now() > deadline {
            break run;
        }
    };
    assert_eq!(there.code, 0, "{}", there.stderr);
    let here = common::ok(&["--warehouse", &wh, "query", sql, "--format", "csv"]);
    assert_eq!(there.stdout, here);
    // Ctrl-C stops every service, and the process ends by itself.
    unsafe { libc::kill(local.id() as i32, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = local.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = local.kill();
            panic!("chiso cluster local did not stop within 15 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = std::fs::read_to_string(log.path()).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(stderr.matches("chiso executor: 2 task slots").count(), 2, "{stderr}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "the scheduler still listens");
}

#[test]
fn a_local_cluster_on_a_taken_port_says_so() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = format!("127.0.0.1:{}", taken.local_addr().unwrap().port());
    let run = chiso(&["cluster", "local", "--bind", &bind]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: ") && run.stderr.contains(&bind), "{}", run.stderr);
    let run = chiso(&["cluster", "local", "--executors", "0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}
