"""Real clients of `chiso serve`, driven by tests/serve.rs: psycopg 3 (PostgreSQL wire protocol)
and ADBC's Flight SQL driver (to pyarrow). Each scenario prints one JSON object; the Rust test
checks it. Usage: serve_clients.py SCENARIO PG_PORT FLIGHT_PORT [PASSWORD]."""
import json
import sys
import threading
import time

import adbc_driver_flightsql
import adbc_driver_flightsql.dbapi as flightsql
import psycopg

# Queries whose answers the test also asks of `chiso query`, each row as text.
QUERIES = [
    "select province_code, cast(value as bigint) from latest_by_province('eid_accounts') order by 1",
    "select indicator, count(*) from observations group by indicator order by 1",
    "select geo_level, count(*) from observations group by geo_level order by 1",
    "select source_id, count(*) from observations group by source_id order by 1",
]


def pg(port, password=None, user="analyst"):
    return psycopg.connect(host="127.0.0.1", port=port, user=user, dbname="chiso", password=password,
                           connect_timeout=10, autocommit=True)


def flight(port, password=None):
    kwargs = {}
    if password is not None:
        kwargs["db_kwargs"] = {"username": "analyst", "password": password}
    return flightsql.connect(f"grpc://127.0.0.1:{port}", autocommit=True, **kwargs)


def text_rows(rows):
    return [[str(v) for v in row] for row in rows]


def pg_rows(port, sql, password=None):
    with pg(port, password) as conn:
        return text_rows(conn.execute(sql).fetchall())


def flight_rows(port, sql, password=None):
    with flight(port, password) as conn, conn.cursor() as cur:
        cur.execute(sql)
        table = cur.fetch_arrow_table()
        return text_rows(zip(*[col.to_pylist() for col in table.columns])), table.num_rows


def error_of(action):
    try:
        action()
    except Exception as e:  # the message is what the test checks
        return f"{type(e).__name__}: {e}"
    return None


def scenario_pg(pg_port, flight_port, password):
    out = {}
    with pg(pg_port, password) as conn:
        # A bound parameter: psycopg sends it separately ($1), the server plans it.
        out["param"] = text_rows(conn.execute(
            "select cast(value as bigint) from observations where indicator = %s and province_code = %s "
            "order by period_end desc limit 1", ("eid_accounts", "40")).fetchall())
        out["unknown_table"] = error_of(lambda: conn.execute("select * from no_such_table"))
        out["insert"] = error_of(lambda: conn.execute("insert into observations select * from observations"))
        out["drop"] = error_of(lambda: conn.execute("drop table observations"))
        out["copy"] = error_of(lambda: conn.execute("copy observations to '/tmp/chiso-serve-copy.csv'"))
        # A million rows streamed, one by one as they come, never held whole by the client.
        count, total, started = 0, 0, time.perf_counter()
        for (value,) in conn.cursor().stream("select value from generate_series(1, 1000000) as t(value)"):
            count += 1
            total += value
        out["stream"] = {"rows": count, "sum": total, "seconds": time.perf_counter() - started}
    out["queries"] = [pg_rows(pg_port, q, password) for q in QUERIES]
    return out


def scenario_flight(pg_port, flight_port, password):
    out = {}
    rows, n = flight_rows(flight_port, QUERIES[0], password)
    out["rows"], out["num_rows"] = rows, n
    out["queries"] = [flight_rows(flight_port, q, password)[0] for q in QUERIES]
    out["drop"] = error_of(lambda: flight_rows(flight_port, "drop table observations", password))
    # What a notebook or DBeaver browses before it queries.
    with flight(flight_port, password) as conn:
        objects = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
        out["tables"] = sorted(t["table_name"] for c in objects for s in c["catalog_db_schemas"] or []
                               for t in s["db_schema_tables"] or [])
        out["observations_fields"] = conn.adbc_get_table_schema("observations").names
        out["table_types"] = sorted(conn.adbc_get_table_types())
    out["unknown_table"] = error_of(lambda: flight_rows(flight_port, "select * from no_such_table", password))
    return out


def scenario_concurrent(pg_port, flight_port, password):
    """16 clients at once, half on each protocol, each running every query."""
    results, errors = {}, []

    def client(i):
        try:
            for q, sql in enumerate(QUERIES):
                rows = pg_rows(pg_port, sql) if i % 2 == 0 else flight_rows(flight_port, sql)[0]
                results[(i, q)] = rows
        except Exception as e:
            errors.append(f"client {i}: {e}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answers = [[results.get((i, q)) for q in range(len(QUERIES))] for i in range(16)]
    return {"answers": answers, "errors": errors}


def scenario_password(pg_port, flight_port, password):
    return {
        "pg_wrong": error_of(lambda: pg_rows(pg_port, "select 1", "wrong-" + password)),
        "pg_none": error_of(lambda: pg_rows(pg_port, "select 1", None)),
        "pg_right": pg_rows(pg_port, "select 1", password),
        "flight_wrong": error_of(lambda: flight_rows(flight_port, "select 1", "wrong-" + password)),
        "flight_none": error_of(lambda: flight_rows(flight_port, "select 1", None)),
        "flight_right": flight_rows(flight_port, "select 1", password)[0],
    }


def scenario_slow_reader(pg_port, flight_port, password):
    """Start a huge result, read a little of it row by row (libpq's single-row mode), say so,
    then wait to be killed."""
    conn = pg(pg_port, password)
    raw = conn.pgconn
    raw.send_query(b"select value from generate_series(1, 2000000000) as t(value)")
    raw.set_single_row_mode()
    for _ in range(1000):
        raw.get_result()
    print(json.dumps({"reading": True}), flush=True)
    time.sleep(3600)
    return {}


def scenario_timeout(pg_port, flight_port, password):
    started = time.perf_counter()
    pg_error = error_of(lambda: pg_rows(pg_port, "select count(*) from generate_series(1, 100000000000)"))
    pg_seconds = time.perf_counter() - started
    return {
        "pg": pg_error,  # QueryCanceled: SQLSTATE 57014
        "pg_seconds": pg_seconds,
        "flight": error_of(lambda: flight_rows(flight_port, "select count(*) from generate_series(1, 100000000000)")),
        "after": pg_rows(pg_port, "select 42"),
    }


if __name__ == "__main__":
    name, pg_port, flight_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    secret = sys.argv[4] if len(sys.argv) > 4 else None
    print(json.dumps(globals()[f"scenario_{name}"](pg_port, flight_port, secret)), flush=True)
