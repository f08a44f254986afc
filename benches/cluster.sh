#!/usr/bin/env bash
# Runs the standard suite (benches/queries/*.sql) in the embedded engine and then on a Ballista
# cluster on this machine with 1, 2 and 4 executors, and prints the median wall time of each query
# in each setting and whether the cluster's rows equal the embedded engine's.
#
#   benches/cluster.sh                       # on bench-data/wh (chiso generate --out bench-data/wh)
#   RUNS=3 EXECUTORS="1 2" CONCURRENCY=2 WH=bench-data/wh benches/cluster.sh
#
# Needs a chiso built with the cluster feature: cargo build --release --features cluster (or $CHISO_BIN).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
WH=${WH:-bench-data/wh}
EXECUTORS=${EXECUTORS:-1 2 4}
CONCURRENCY=${CONCURRENCY:-2}
BIN=${CHISO_BIN:-target/release/chiso}
PORT=${PORT:-50250}
[ -x "$BIN" ] || { echo "no chiso binary at $BIN: cargo build --release --features cluster" >&2; exit 1; }
[ -d "$WH" ] || { echo "no warehouse at $WH: $BIN generate --out $WH" >&2; exit 1; }
WH=$(cd "$WH" && pwd)
LOGS=$(mktemp -d)
PIDS=()
stop() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=(); }
trap 'stop; rm -rf "$LOGS"' EXIT

# median of the numbers on standard input
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# time_query OUT_CSV ARGS...: run chiso once, print wall seconds, keep the rows sorted in OUT_CSV
time_query() {
  local out=$1; shift
  local start end
  start=$(date +%s.%N)
  "$BIN" "$@" --format csv > "$out.raw"
  end=$(date +%s.%N)
  sort "$out.raw" > "$out"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

run_suite() { # LABEL EXTRA_ARGS...
  local label=$1; shift
  for f in benches/queries/*.sql; do
    local q times=()
    q=$(basename "$f" .sql)
    for _ in $(seq "$RUNS"); do times+=("$(time_query "$LOGS/$label-$q.csv" "$@" --warehouse "$WH" query -f "$f")"); done
    printf '%s\n' "${times[@]}" | median > "$LOGS/$label-$q.time"
  done
}

wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

echo "embedded engine: $RUNS runs of each query" >&2
run_suite embedded
for n in $EXECUTORS; do
  echo "cluster with $n executor(s) of $CONCURRENCY task slots: $RUNS runs of each query" >&2
  "$BIN" scheduler --bind "127.0.0.1:$PORT" > "$LOGS/scheduler-$n.log" 2>&1 & PIDS+=($!)
  wait_port "$PORT"
  for i in $(seq "$n"); do
    "$BIN" executor --scheduler "127.0.0.1:$PORT" --concurrency "$CONCURRENCY" \
      --flight-port $((PORT + 2 * i)) --grpc-port $((PORT + 2 * i + 1)) > "$LOGS/executor-$n-$i.log" 2>&1 & PIDS+=($!)
    wait_port $((PORT + 2 * i + 1))
  done
  sleep 1
  run_suite "x$n" --cluster "df://127.0.0.1:$PORT" --timeout 1800
  stop
done

# Rows with numbers rounded to 6 significant digits (float sums added in another order), sorted.
norm() { awk -F, -v OFS=, '{for(i=1;i<=NF;i++) if ($i ~ /^-?[0-9]+\.[0-9]+(e-?[0-9]+)?$/) $i=sprintf("%.6g",$i); print}' "$1" | sort; }

printf '%-30s %10s' query embedded_s
for n in $EXECUTORS; do printf ' %10s' "${n}exec_s"; done
printf ' %s\n' same_rows
for f in benches/queries/*.sql; do
  q=$(basename "$f" .sql)
  printf '%-30s %10.2f' "$q" "$(cat "$LOGS/embedded-$q.time")"
  same=yes
  for n in $EXECUTORS; do
    printf ' %10.2f' "$(cat "$LOGS/x$n-$q.time")"
    cmp -s <(norm "$LOGS/embedded-$q.csv") <(norm "$LOGS/x$n-$q.csv") || same="NO($n)"
  done
  printf ' %s\n' "$same"
done
