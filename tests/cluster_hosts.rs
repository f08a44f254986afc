//! The cluster across hosts of its own (`cargo test --features cluster --test cluster_hosts`, as
//! root): network namespaces joined by a bridge in a namespace of their own, one each for the
//! scheduler, two executors, a moto S3 server and the client, each with its own address. The
//! warehouse is on S3; the only way between the hosts is the network. Every saved query and every
//! query of the benchmark suite must give the rows of one process, in the same order; then the
//! faults: an executor's link cut and an executor killed in the middle of a query, and a scheduler
//! restarted between queries. Without the right to make namespaces, the test says SKIPPED.
#![cfg(feature = "cluster")]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::compare::{same_rows, saved_runs, suite_files};
use common::Run;

/// The hosts, in the order of their addresses (10.77.0.2, .3, ...).
const HOSTS: [&str; 5] = ["sched", "e1", "e2", "s3", "client"];
const BUCKET: &str = "chiso-hosts";
/// A query long enough to be running when a fault is made: a self-join through two shuffles.
const LONG: &str = "select a.district_code, count(*) n, sum(a.value - b.value) d \
                    from observations a join observations b \
                    on a.district_code = b.district_code and a.indicator = b.indicator \
                    and a.period_end = b.period_end + interval '1 day' group by 1 order by 1";

/// The namespaces and the processes in them, all removed when dropped.
struct Hosts {
    prefix: String,
    made: Vec<String>,
    services: Vec<(&'static str, Child)>,
    work: tempfile::TempDir,
    /// The venv's moto server and the Python beside it (with boto3).
    moto: PathBuf,
    python: PathBuf,
}

fn ip(args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("ip").args(args).stdin(Stdio::null()).output()
}

fn must(args: &[&str]) {
    let out = ip(args).expect("run ip");
    assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn address(host: &str) -> String {
    format!("10.77.0.{}", 2 + HOSTS.iter().position(|h| *h == host).expect("a known host"))
}

impl Hosts {
    /// Make the namespaces, or `None` (after saying why) where this process may not.
    fn make() -> Option<Hosts> {
        let (moto, python) = common::moto_server()?;
        let prefix = format!("chiso{}", std::process::id());
        let mut hosts = Hosts {
            prefix,
            made: Vec::new(),
            services: Vec::new(),
            work: tempfile::tempdir().unwrap(),
            moto,
            python,
        };
        let net = hosts.ns("net");
        match ip(&["netns", "add", &net]) {
            Ok(out) if out.status.success() => hosts.made.push(net.clone()),
            Ok(out) => {
                eprintln!(
                    "SKIPPED: cannot make network namespaces here (root is needed): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                return None;
            }
            Err(e) => {
                eprintln!("SKIPPED: no `ip` command (Debian's iproute2): {e}");
                return None;
            }
        }
        must(&["-n", &net, "link", "add", "br0", "type", "bridge"]);
        must(&["-n", &net, "link", "set", "br0", "up"]);
        for (i, host) in HOSTS.iter().enumerate() {
            let ns = hosts.ns(host);
            must(&["netns", "add", &ns]);
            hosts.made.push(ns.clone());
            let port = format!("p{i}");
            must(&["-n", &net, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns]);
            must(&["-n", &net, "link", "set", &port, "master", "br0", "up"]);
            must(&["-n", &ns, "addr", "add", &format!("{}/24", address(host)), "dev", "eth0"]);
            must(&["-n", &ns, "link", "set", "eth0", "up"]);
            must(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        Some(hosts)
    }

    fn ns(&self, host: &str) -> String {
        format!("{}{host}", self.prefix)
    }

    /// The S3 settings every host is given.
    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = common::s3_env(&format!("http://{}:5000", address("s3")));
        env.push(("CHISO_CACHE_DIR", common::cache().display().to_string()));
        env
    }

    fn command(&self, host: &str, program: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns(host)]).arg(program).args(args);
        cmd.envs(self.env()).env_remove("CHISO_CLUSTER").env_remove("CHISO_WAREHOUSE").stdin(Stdio::null());
        cmd
    }

    /// Start a service on `host` (its output in the work directory, `HOST.log`).
    fn start(&mut self, host: &'static str, program: &Path, args: &[&str]) {
        let log = std::fs::File::create(self.work.path().join(format!("{host}.log"))).unwrap();
        let child = self
            .command(host, program, args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start a service");
        self.services.push((host, child));
    }

    /// Kill the service on `host` at once (SIGKILL), as a machine that dies.
    fn kill(&mut self, host: &str) {
        let i = self.services.iter().position(|(h, _)| *h == host).expect("a service there");
        let (_, mut child) = self.services.remove(i);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    fn log(&self, host: &str) -> String {
        std::fs::read_to_string(self.work.path().join(format!("{host}.log"))).unwrap_or_default()
    }

    /// Wait until something listens at `host`:`port`, as seen from the client.
    fn wait_for(&self, host: &str, port: u16) {
        let probe = format!("exec 3<>/dev/tcp/{}/{port}", address(host));
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self
            .command("client", Path::new("bash"), &["-c", &probe])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
        {
            assert!(
                Instant::now() < deadline,
                "nothing listens at {host}:{port} after 60 s:\n{}",
                self.log(host)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn chiso(&self, host: &str, args: &[&str]) -> Run {
        common::finish(self.command(host, Path::new(env!("CARGO_BIN_EXE_chiso")), args).output().unwrap())
    }

    fn ok(&self, args: &[&str]) -> String {
        let run = self.chiso("client", args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run.stdout
    }

    fn start_scheduler(&mut self) {
        let bind = format!("{}:50050", address("sched"));
        self.start(
            "sched",
            Path::new(env!("CARGO_BIN_EXE_chiso")),
            &["scheduler", "--bind", &bind, "--executor-timeout", "4"],
        );
        self.wait_for("sched", 50050);
    }

    fn start_executor(&mut self, host: &'static str) {
        let scheduler = format!("{}:50050", address("sched"));
        let dir = self.work.path().join(host);
        std::fs::create_dir_all(&dir).unwrap();
        let (bind, dir) = (address(host), dir.to_str().unwrap().to_string());
        let args = [
            "executor",
            "--scheduler",
            &scheduler,
            "--bind",
            &bind,
            "--concurrency",
            "2",
            "--work-dir",
            &dir,
        ];
        self.start(host, Path::new(env!("CARGO_BIN_EXE_chiso")), &args);
        self.wait_for(host, 50052);
    }

    /// Cut (or mend) `host`'s link to the others: its port on the bridge goes down (up).
    fn link(&self, host: &str, up: bool) {
        let port = format!("p{}", HOSTS.iter().position(|h| *h == host).unwrap());
        must(&["-n", &self.ns("net"), "link", "set", &port, if up { "up" } else { "down" }]);
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for (_, child) in &mut self.services {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in self.made.iter().rev() {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

fn url() -> String {
    format!("df://{}:50050", address("sched"))
}

/// Run `args` in one process on the client and on the cluster; the same rows in the same order.
fn same(hosts: &Hosts, wh: &str, args: &[&str]) -> usize {
    let here = hosts.ok(&[&["--warehouse", wh], args, &["--format", "csv"]].concat());
    let remote = ["--cluster", &url(), "--timeout", "120", "--warehouse", wh];
    let there = hosts.ok(&[&remote[..], args, &["--format", "csv"]].concat());
    same_rows(&format!("{args:?}"), &here, &there)
}

/// Run LONG on the cluster from the client, make `fault` after 1.5 s, and insist on the right rows
/// or one clear error within `limit` of the fault. Returns what happened, for the log.
fn through_a_fault(
    hosts: &mut Hosts,
    wh: &str,
    expected: &str,
    limit: Duration,
    fault: impl FnOnce(&mut Hosts),
) -> String {
    let args = ["--cluster", &url(), "--timeout", "60", "--warehouse", wh, "query", LONG, "--format", "csv"];
    let client = hosts
        .command("client", Path::new(env!("CARGO_BIN_EXE_chiso")), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let made = Instant::now();
    fault(hosts);
    let out = client.wait_with_output().unwrap();
    let took = made.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(took < limit, "the client took {took:?} after the fault, more than {limit:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    if out.status.success() {
        same_rows("the long query after a fault", expected, &String::from_utf8_lossy(&out.stdout));
        format!("the right rows {took:?} after the fault")
    } else {
        assert!(
            stderr.starts_with("error: ") && stderr.lines().count() <= 3,
            "not one clear message: {stderr}"
        );
        format!("an error {took:?} after the fault: {}", stderr.trim())
    }
}

#[test]
fn a_cluster_of_hosts_on_s3_answers_as_one_process_and_through_faults() {
    let Some(mut hosts) = Hosts::make() else { return };
    let moto = hosts.moto.clone();
    hosts.start("s3", &moto, &["-H", &address("s3"), "-p", "5000"]);
    hosts.wait_for("s3", 5000);
    let python = hosts.python.clone();
    let bucket = format!(
        "import boto3; boto3.client('s3', endpoint_url='http://{}:5000', region_name='us-east-1', \
         aws_access_key_id='test', aws_secret_access_key='test').create_bucket(Bucket='{BUCKET}')",
        address("s3")
    );
    assert!(hosts.command("client", &python, &["-c", &bucket]).status().unwrap().success());
    let curated = format!("s3://{BUCKET}/curated");
    let generated = format!("s3://{BUCKET}/generated");
    hosts.ok(&["build", "--out", &curated]);
    hosts.ok(&["generate", "--out", &generated, "--level", "district", "--indicators", "4", "--seed", "8"]);
    hosts.start_scheduler();
    hosts.start_executor("e1");
    hosts.start_executor("e2");

    // Every saved query and the suite, from the client, on the hosts: as one process.
    for run in saved_runs(true) {
        let args: Vec<&str> = run.iter().map(|s| s.as_str()).collect();
        assert!(same(&hosts, &curated, &args) > 0, "{args:?} returned no rows");
    }
    for run in saved_runs(false) {
        let args: Vec<&str> = run.iter().map(|s| s.as_str()).collect();
        same(&hosts, &generated, &args);
    }
    for file in suite_files() {
        same(&hosts, &generated, &["query", "-f", file.to_str().unwrap()]);
    }

    // Faults, each in the middle of the long query. An executor killed: the query ends within 30 s
    // of it, and the next one runs on the executor left.
    let expected = hosts.ok(&["--warehouse", &generated, "query", LONG, "--format", "csv"]);
    let killed =
        through_a_fault(&mut hosts, &generated, &expected, Duration::from_secs(30), |h| h.kill("e1"));
    eprintln!("an executor killed: {killed}");
    let sql = "select indicator, count(*) n from observations group by 1 order by 1";
    let started = Instant::now();
    same(&hosts, &generated, &["query", sql]);
    eprintln!("the next query, on the executor left: {:?}", started.elapsed());
    // A new executor in its place, then the other one's link cut (and mended).
    hosts.start_executor("e1");
    let cut =
        through_a_fault(&mut hosts, &generated, &expected, Duration::from_secs(60), |h| h.link("e2", false));
    eprintln!("an executor's link cut: {cut}");
    hosts.link("e2", true);

    // A scheduler restarted between queries: the client says it cannot reach it, then works again
    // once it is back and an executor has registered with it again.
    hosts.kill("sched");
    let run = hosts.chiso("client", &["--cluster", &url(), "--warehouse", &generated, "query", "select 1"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("cannot reach the Ballista scheduler"), "{}", run.stderr);
    hosts.start_scheduler();
    let restarted = Instant::now();
    loop {
        let args = [
            "--cluster",
            &url(),
            "--timeout",
            "10",
            "--warehouse",
            &generated,
            "query",
            sql,
            "--format",
            "csv",
        ];
        let run = hosts.chiso("client", &args);
        if run.code == 0 {
            let here = hosts.ok(&["--warehouse", &generated, "query", sql, "--format", "csv"]);
            same_rows(sql, &here, &run.stdout);
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(60),
            "no answer 60 s after the scheduler came back: {}",
            run.stderr
        );
    }
    eprintln!("a scheduler restarted: answering again {:?} after it came back", restarted.elapsed());
}
