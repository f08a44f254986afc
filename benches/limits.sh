#!/usr/bin/env bash
# What a memory limit costs chiso itself: each query of the suite through chiso alone, under each
# limit in turn (no limit first), round after round, so that every limit meets the machine in the
# same state; prints per query the median wall seconds and peak MB under each limit, and each
# limited time as a multiple of the unlimited one. (benches/compare.sh alternates chiso with DuckDB,
# whose spilling under a limit leaves the disk busy for the next process.)
#
#   LIMITS="8G 2G" RUNS=3 WH=bench-data/wh300 benches/limits.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
WH=${WH:-bench-data/wh}
LIMITS=${LIMITS:-8G 2G}
CHISO_BIN=${CHISO_BIN:-target/release/chiso}
[ -x "$CHISO_BIN" ] || cargo build --release --quiet
[ -d "$WH/observations" ] || { echo "no warehouse at $WH: run chiso generate --out $WH first" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[++n]=$1} END{ if (n%2) print a[(n+1)/2]; else print (a[n/2]+a[n/2+1])/2 }'; }

printf '%-30s' query
for l in none $LIMITS; do printf ' %10s %8s' "${l}_s" "${l}_MB"; done
for l in $LIMITS; do printf ' %8s' "${l}/none"; done
echo
for q in benches/queries/*.sql; do
  name=$(basename "$q" .sql)
  for _ in $(seq "$RUNS"); do
    for l in none $LIMITS; do
      args=()
      [ "$l" != none ] && args=(--memory-limit "$l")
      start=$EPOCHREALTIME
      /usr/bin/time -f "%M" -o "$tmp/mem" "$CHISO_BIN" "${args[@]}" --warehouse "$WH" query -f "$q" --format csv >/dev/null
      end=$EPOCHREALTIME
      awk -v s="$start" -v e="$end" 'BEGIN{printf "%.3f\n", e - s}' >>"$tmp/$l.s"
      tail -n 1 "$tmp/mem" >>"$tmp/$l.kb"
    done
  done
  printf '%-30s' "$name"
  base=$(median <"$tmp/none.s")
  for l in none $LIMITS; do
    printf ' %10s %8d' "$(median <"$tmp/$l.s")" $(($(sort -g "$tmp/$l.kb" | tail -n 1) / 1024))
  done
  for l in $LIMITS; do
    awk -v a="$(median <"$tmp/$l.s")" -v b="$base" 'BEGIN{printf " %8.2f", a / b}'
  done
  echo
  rm -f "$tmp"/*.s "$tmp"/*.kb
done
