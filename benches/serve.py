"""Serving benchmarks for `chiso serve` (docs/serve.md), on loopback:

1. first row of `select * from observations limit 10` over psycopg, from the query being sent;
2. a 10 M-row result to pyarrow over Flight SQL (ADBC), rows per second;
3. 16 clients at once running the scale suite (benches/queries), every answer compared with
   the answer of one client alone, and the server's peak memory (VmHWM).

4. with `--overhead` alone: what one small query costs a warm connection, `select 1` over Flight
   SQL (ADBC) and over psycopg, on any warehouse (the built-in one will do).

Usage (a release build with `--features serve`, the client venv of .ci/run):
    bench-data/serve-venv/bin/python benches/serve.py CHISO_BIN WAREHOUSE [MEMORY_LIMIT]
    bench-data/serve-venv/bin/python benches/serve.py --overhead CHISO_BIN [WAREHOUSE]
Prints a Markdown table for benches/README.md.
"""
import pathlib
import re
import statistics
import subprocess
import sys
import threading
import time

import adbc_driver_flightsql.dbapi as flightsql
import psycopg

BENCHES = pathlib.Path(__file__).resolve().parent


def start(binary, warehouse, memory_limit):
    args = [binary, "--warehouse", warehouse]
    if memory_limit:
        args += ["--memory-limit", memory_limit]
    return start_args(args)


def start_args(args):
    args = args + ["serve", "--pg", "127.0.0.1:0", "--flight", "127.0.0.1:0"]
    server = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    pg = flight = None
    while pg is None or flight is None:
        line = server.stderr.readline()
        if not line:
            raise SystemExit("chiso serve ended before listening")
        if m := re.search(r"postgresql://[\d.]+:(\d+)", line):
            pg = int(m.group(1))
        if m := re.search(r"grpc://[\d.]+:(\d+)", line):
            flight = int(m.group(1))
    threading.Thread(target=server.stderr.read, daemon=True).start()
    return server, pg, flight


def peak_rss_mib(pid):
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def first_row_ms(pg_port, runs=50):
    times = []
    with psycopg.connect(host="127.0.0.1", port=pg_port, user="bench", dbname="chiso", autocommit=True) as conn:
        conn.execute("select * from observations limit 10").fetchall()  # warm: tables opened
        for _ in range(runs):
            cur = conn.cursor()
            started = time.perf_counter()
            cur.execute("select * from observations limit 10")
            cur.fetchone()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]


def flight_rate(flight_port, rows=10_000_000, runs=4):
    """Seconds of each run; the first is cold (tables opened, files read from disk)."""
    times = []
    for _ in range(runs):
        with flightsql.connect(f"grpc://127.0.0.1:{flight_port}", autocommit=True) as conn, conn.cursor() as cur:
            started = time.perf_counter()
            cur.execute(f"select * from observations limit {rows}")
            table = cur.fetch_arrow_table()
            times.append(time.perf_counter() - started)
            assert table.num_rows == rows, table.num_rows
    return rows, times[0], statistics.median(times[1:])


def per_query_ms(flight_port, pg_port, runs=200):
    """Median and p95 milliseconds of `select 1` on one warm connection: Flight SQL, then psycopg."""
    out = []
    with flightsql.connect(f"grpc://127.0.0.1:{flight_port}", autocommit=True) as conn, conn.cursor() as cur:
        out.append(timed(lambda: (cur.execute("select 1"), cur.fetch_arrow_table()), runs))
    with psycopg.connect(host="127.0.0.1", port=pg_port, user="bench", dbname="chiso", autocommit=True) as conn:
        out.append(timed(lambda: conn.execute("select 1").fetchall(), runs))
    return out


def timed(work, runs):
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]


def overhead():
    binary = sys.argv[2]
    args = [binary] + (["--warehouse", sys.argv[3]] if len(sys.argv) > 3 else [])
    server, pg_port, flight_port = start_args(args)
    try:
        (flight, flight95), (pg, pg95) = per_query_ms(flight_port, pg_port)
    finally:
        server.terminate()
        server.wait()
    print("| `select 1` on a warm connection (200 runs) | median | p95 |\n|---|---|---|")
    print(f"| Flight SQL (ADBC) | {flight:.2f} ms | {flight95:.2f} ms |")
    print(f"| PostgreSQL (psycopg) | {pg:.2f} ms | {pg95:.2f} ms |")


def suite():
    return [(p.stem, p.read_text()) for p in sorted((BENCHES / "queries").glob("*.sql"))]


def answer(pg_port, sql):
    with psycopg.connect(host="127.0.0.1", port=pg_port, user="bench", dbname="chiso", autocommit=True) as conn:
        return sorted(map(repr, conn.execute(sql).fetchall()))


def concurrent(pg_port, queries, clients=16):
    expected = {name: answer(pg_port, sql) for name, sql in queries}
    wrong, errors = [], []

    def client(i):
        # Each client starts at a different query, so all of them run at once.
        order = queries[i % len(queries):] + queries[: i % len(queries)]
        for name, sql in order:
            try:
                if answer(pg_port, sql) != expected[name]:
                    wrong.append(f"client {i}: {name}")
            except Exception as e:
                errors.append(f"client {i}: {name}: {e}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, wrong, errors


def main():
    if sys.argv[1] == "--overhead":
        return overhead()
    binary, warehouse = sys.argv[1], sys.argv[2]
    memory_limit = sys.argv[3] if len(sys.argv) > 3 else None
    server, pg_port, flight_port = start(binary, warehouse, memory_limit)
    try:
        median, p95 = first_row_ms(pg_port)
        rows, cold, warm = flight_rate(flight_port)
        queries = suite()
        took, wrong, errors = concurrent(pg_port, queries)
        peak = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait()
    print(f"| measure | result |\n|---|---|")
    print(f"| first row, `select * from observations limit 10` (psycopg, 50 runs) | median {median:.1f} ms, p95 {p95:.1f} ms |")
    print(f"| {rows:,} rows (`select *`, 1.5 GB in Arrow) to pyarrow over Flight SQL | first run {cold:.2f} s = "
          f"{rows / cold / 1e6:.1f} M rows/s; then median {warm:.2f} s = {rows / warm / 1e6:.1f} M rows/s |")
    print(f"| 16 clients × {len(queries)} suite queries at once (memory limit {memory_limit or 'none'}) "
          f"| {took:.1f} s, {16 * len(queries) - len(wrong) - len(errors)} of {16 * len(queries)} answers right |")
    print(f"| server peak memory (VmHWM) | {peak:.0f} MiB |")
    for problem in wrong + errors:
        print(f"- {problem}")


if __name__ == "__main__":
    main()
