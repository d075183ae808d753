#!/usr/bin/env bash
# make bench / make bench-quick: run every test/bench/bench_*.sh, collect their
# BENCH lines, print the table, write build/bench/results.json and draw
# build/bench/results.png (FanStore's gain over each baseline, per group).
#
# Usage: test/bench/run.sh [--quick] [PATTERN]
#   --quick   each script's short mode (the whole run stays under two minutes)
#   PATTERN   only scripts whose name contains it (e.g. torch)
# BENCH_TIMEOUT (seconds, default 3600) bounds each script.
# Exit status: non-zero when a script failed or no figure came out; the
# report is made from whatever figures there are either way.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${B:-build}
OUT=$B/bench
quick=
pat=
for arg in "$@"; do
  case "$arg" in
    --quick) quick=--quick ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    *) pat=$arg ;;
  esac
done
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1

test/deps.sh bench || { echo "run.sh: install the packages above first" >&2; exit 1; }
make --no-print-directory -s all || { echo "run.sh: the build failed" >&2; exit 1; }
make --no-print-directory -s tests >/dev/null 2>&1 \
  || echo "run.sh: note: 'make tests' failed; scripts that need test tools may fail" >&2

mkdir -p "$OUT/logs"
rm -f "$OUT"/logs/*.log "$OUT/bench.tsv"
start=$(date +%s)
failed=()
for s in test/bench/bench_*.sh; do
  [ -f "$s" ] || continue
  name=$(basename "$s" .sh)
  case "$name" in *"$pat"*) ;; *) continue ;; esac
  log=$OUT/logs/$name.log
  printf '\n==== %s %s\n' "$name" "$quick"
  t0=$(date +%s)
  timeout -k 10 "${BENCH_TIMEOUT:-3600}" bash "$s" $quick 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  n=$(grep -c '^BENCH	' "$log")
  printf '==== %s: exit %d, %d figure(s), %d s\n' "$name" "$rc" "$n" $(( $(date +%s) - t0 ))
  [ "$rc" -eq 0 ] || failed+=("$name (exit $rc)")
  grep '^BENCH	' "$log" >>"$OUT/bench.tsv"
done
printf '\n==== report (%d s of benchmarks)\n' $(( $(date +%s) - start ))
if [ ! -s "$OUT/bench.tsv" ]; then
  echo "run.sh: no BENCH lines from any script (logs in $OUT/logs)" >&2
  exit 1
fi
title="FanStore against its baselines ($(hostname), $(nproc) cores, $(date -u +%Y-%m-%d)${quick:+, quick})"
/usr/bin/python3 test/bench/report.py report --json "$OUT/results.json" --png "$OUT/results.png" \
  --title "$title" "$OUT/bench.tsv" | tee "$OUT/table.txt"
rc=${PIPESTATUS[0]}
if [ ${#failed[@]} -gt 0 ]; then
  printf 'run.sh: failed: %s (logs in %s/logs)\n' "${failed[*]}" "$OUT" >&2
  exit 1
fi
exit "$rc"
