#!/usr/bin/env bash
# Runs the standard suite (benches/queries/*.sql) through chiso and through DuckDB on the same
# Parquet files with the same SQL, alternating, several runs each, and prints per query the median
# wall times, the ratio chiso/DuckDB, the peak memory of each, and whether both returned the same rows.
# Then the saved queries of benches/saved/*.sql: chiso runs the saved query its header names
# (`-- chiso: run ...`), DuckDB the hand-written SQL below it, and the columns the header lists
# (`-- compare: a,b`) must agree.
#
#   benches/compare.sh                 # default scale: 3 years x 8 indicators x 10,035 communes (~88 M rows)
#   benches/compare.sh --smoke         # one year, 2 indicators, every commune (7 M rows), one run:
#                                      # checks the runner and the answers (CI); commune rows, so
#                                      # the saved queries derive province figures as at full scale
#   RUNS=7 WH=bench-data/wh benches/compare.sh
#   MEMORY_LIMIT=2G WH=bench-data/wh300 GEN_ARGS="--years 10" benches/compare.sh
#                                      # 291.8 M rows, both engines held to 2 GB: chiso's
#                                      # --memory-limit, DuckDB's memory_limit (spilling to a
#                                      # temporary folder); a run that fails is shown as failed
#
# It installs DuckDB's CLI (PyPI package duckdb-cli) into bench-data/venv and times its native
# binary (duckdb_cli/duckdb), not the Python wrapper on PATH. It builds chiso in release (or uses
# $CHISO_BIN) and generates the warehouse when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
RUNS=${RUNS:-5}
if [ "$SMOKE" = 1 ]; then
  WH=${WH:-bench-data/smoke-wh}
  GEN_ARGS=${GEN_ARGS:---years 1 --level commune --indicators 2 --start 2024-01-01}
  RUNS=1
else
  WH=${WH:-bench-data/wh}
  GEN_ARGS=${GEN_ARGS:-}
fi
mkdir -p bench-data

if [ -z "${CHISO_BIN:-}" ]; then
  cargo build --release --quiet
  CHISO_BIN=target/release/chiso
fi

if [ ! -x bench-data/venv/bin/python ]; then
  python3 -m venv bench-data/venv
fi
if ! ls bench-data/venv/lib/python3*/site-packages/duckdb_cli/duckdb >/dev/null 2>&1; then
  bench-data/venv/bin/pip install --quiet duckdb-cli
fi
DUCKDB=$(ls bench-data/venv/lib/python3*/site-packages/duckdb_cli/duckdb | head -n 1)

if [ ! -d "$WH/observations/_delta_log" ] && [ ! -f "$WH/observations/_manifest.json" ]; then
  echo "generating $WH ($GEN_ARGS)" >&2
  # shellcheck disable=SC2086
  "$CHISO_BIN" generate --out "$WH" $GEN_ARGS --overwrite
fi

# DuckDB reads the same files: one view per table over the Parquet files of its directory. (A
# generated warehouse holds one version of each table, so its files are exactly the table's;
# DuckDB's own Delta reader is an extension it downloads, which this runner does not assume.)
PRELUDE=""
for t in "$WH"/*/; do
  name=$(basename "$t")
  PRELUDE+="CREATE VIEW $name AS SELECT * FROM read_parquet('${t}*.parquet');"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The same memory limit for both engines: "512M" / "8G" is chiso's spelling, "512MB" / "8GB" DuckDB's.
CHISO_LIMIT=()
if [ -n "${MEMORY_LIMIT:-}" ]; then
  CHISO_LIMIT=(--memory-limit "$MEMORY_LIMIT")
  mkdir -p "$tmp/duckdb-spill"
  PRELUDE="SET memory_limit='${MEMORY_LIMIT}B';SET temp_directory='$tmp/duckdb-spill';$PRELUDE"
fi

# timed WHAT OUT COMMAND... -> runs COMMAND with stdout to OUT, stderr to $tmp/err, and prints
# "seconds peak_kb", or "failed peak_kb" (its error on stderr). Wall time is read from bash's
# microsecond clock: /usr/bin/time's %e has 10 ms steps, as large as the small queries' gaps.
timed() {
  local what=$1 out=$2 rc=0 start end
  shift 2
  start=$EPOCHREALTIME
  /usr/bin/time -f "%M" -o "$tmp/time" "$@" >"$out" 2>"$tmp/err" || rc=$?
  end=$EPOCHREALTIME
  local kb
  kb=$(tail -n 1 "$tmp/time")
  if [ "$rc" != 0 ]; then
    echo "$what failed: $(head -c 300 "$tmp/err")" >&2
    echo "failed $kb"
  else
    awk -v s="$start" -v e="$end" -v m="$kb" 'BEGIN{printf "%.3f %s\n", e - s, m}'
  fi
}

# run ENGINE QUERYFILE OUT -> as `timed`
run() {
  local engine=$1 q=$2 out=$3
  if [ "$engine" = chiso ]; then
    timed "chiso on $q" "$out" "$CHISO_BIN" "${CHISO_LIMIT[@]}" --warehouse "$WH" query -f "$q" --format csv
  else
    timed "duckdb on $q" "$out" "$DUCKDB" -csv -c "$PRELUDE$(cat "$q")"
  fi
}

# Numbers to 4 decimals, header dropped, rows sorted: what both engines must agree on.
normalise() {
  tail -n +2 "$1" | tr -d '"' | awk -F, 'BEGIN{OFS=","} {for(i=1;i<=NF;i++) { if ($i == "NULL") $i = ""; else if ($i ~ /^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$/) $i=sprintf("%.4f",$i) }; print}' | sort
}

# The columns COLS (comma-separated names) of CSV file $2, as CSV (quoted fields may hold commas).
pick() {
  python3 -c 'import csv, sys
cols = sys.argv[1].split(",")
rows = csv.reader(open(sys.argv[2], newline=""))
head = next(rows)
at = [head.index(c) for c in cols]
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(cols)
for r in rows:
    out.writerow([r[i] for i in at])' "$1" "$2"
}

# The median of the numbers read, or "failed" when a run failed.
median() { sort -g | awk '$1=="failed"{f=1; next} {a[++n]=$1} END{ if (f) print "failed"; else if (n%2) print a[(n+1)/2]; else print (a[n/2]+a[n/2+1])/2 }'; }
ratio() { awk -v c="$1" -v d="$2" 'BEGIN{ if (c != "failed" && d != "failed" && d > 0) printf "%.2f", c/d; else print "n/a" }'; }

printf '%-30s %10s %10s %7s %10s %10s %s\n' query chiso_s duckdb_s ratio chiso_MB duckdb_MB same_rows
ratios=()
fail=0
for q in benches/queries/*.sql; do
  name=$(basename "$q" .sql)
  : >"$tmp/c"; : >"$tmp/d"; : >"$tmp/cm"; : >"$tmp/dm"
  for _ in $(seq "$RUNS"); do
    read -r s m < <(run chiso "$q" "$tmp/out_c"); echo "$s" >>"$tmp/c"; echo "$m" >>"$tmp/cm"
    read -r s m < <(run duckdb "$q" "$tmp/out_d"); echo "$s" >>"$tmp/d"; echo "$m" >>"$tmp/dm"
  done
  c=$(median <"$tmp/c"); d=$(median <"$tmp/d")
  cm=$(sort -g "$tmp/cm" | tail -n 1); dm=$(sort -g "$tmp/dm" | tail -n 1)
  ratio=$(ratio "$c" "$d")
  if [ "$c" = failed ] || [ "$d" = failed ]; then same=-; [ "$c" = failed ] && fail=1
  elif diff -q <(normalise "$tmp/out_c") <(normalise "$tmp/out_d") >/dev/null; then same=yes; else same=NO; fail=1; fi
  rows=$(($(wc -l <"$tmp/out_c") - 1))
  printf '%-30s %10s %10s %7s %10d %10d %s (%d rows)\n' "$name" "$c" "$d" "$ratio" $((cm / 1024)) $((dm / 1024)) "$same" "$rows"
  [ "$ratio" != n/a ] && ratios+=("$ratio")
done
echo "median ratio chiso/duckdb: $(printf '%s\n' "${ratios[@]}" | median); worst: $(printf '%s\n' "${ratios[@]}" | sort -g | tail -n 1)"

# Saved queries against hand-written DuckDB SQL.
for q in benches/saved/*.sql; do
  name=$(basename "$q" .sql)
  read -r -a command <<<"$(sed -n 's/^-- chiso: //p' "$q")"
  cols=$(sed -n 's/^-- compare: //p' "$q")
  : >"$tmp/c"; : >"$tmp/d"; : >"$tmp/cm"; : >"$tmp/dm"
  for _ in $(seq "$RUNS"); do
    read -r s m < <(timed "chiso run $name" "$tmp/out_c" "$CHISO_BIN" "${CHISO_LIMIT[@]}" --warehouse "$WH" "${command[@]}" --format csv)
    echo "$s" >>"$tmp/c"; echo "$m" >>"$tmp/cm"
    read -r s m < <(run duckdb "$q" "$tmp/out_d"); echo "$s" >>"$tmp/d"; echo "$m" >>"$tmp/dm"
  done
  c=$(median <"$tmp/c"); d=$(median <"$tmp/d")
  cm=$(sort -g "$tmp/cm" | tail -n 1); dm=$(sort -g "$tmp/dm" | tail -n 1)
  ratio=$(ratio "$c" "$d")
  pick "$cols" "$tmp/out_c" >"$tmp/pick_c"
  if [ "$c" = failed ]; then same=-; fail=1
  elif [ "$d" = failed ]; then same=-
  elif diff -q <(normalise "$tmp/pick_c") <(normalise "$tmp/out_d") >/dev/null; then same=yes; else same=NO; fail=1; fi
  rows=$(($(wc -l <"$tmp/out_c") - 1))
  printf '%-30s %10s %10s %7s %10d %10d %s (%d rows)\n' "run $name" "$c" "$d" "$ratio" $((cm / 1024)) $((dm / 1024)) "$same" "$rows"
done
exit $fail
