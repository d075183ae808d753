#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 60), from seeds made from
# real packed data plus the corpus kept in build/fuzz/corpus, and replay the
# regression inputs in test/fuzz/regress/TARGET/ first.  A crash leaves its
# input in build/fuzz/artifacts/ (add it to test/fuzz/regress/TARGET/).
# usage: test/fuzz/run.sh [SECONDS] [TARGET...]
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}; case "$B" in /*) ;; *) B=$TOP/$B ;; esac
secs=${1:-60}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(part manifest image req chan)
work=$B/fuzz
mkdir -p "$work/artifacts"
if [ ! -d "$work/seeds/chan" ]; then
  "$TOP/test/fuzz/seeds.sh" "$work/seeds" || { echo "fuzz: cannot make seeds" >&2; exit 1; }
fi
fail=0
for t in "${targets[@]}"; do
  bin=$work/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz: $bin missing: run make fuzzers" >&2; exit 1; }
  reg=$TOP/test/fuzz/regress/$t
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
    "$bin" "$reg"/* >"$work/$t.regress.log" 2>&1 || { echo "fuzz_$t: a regression input fails (log $work/$t.regress.log)"; fail=1; }
  fi
  corpus=$work/corpus/$t
  mkdir -p "$corpus"
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$t-" "$corpus" "$work/seeds/$t" >"$work/$t.log" 2>&1
  rc=$?
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$')
  if [ $rc -ne 0 ]; then
    echo "fuzz_$t: FAILED after ${runs:-?} runs (log $work/$t.log):"
    grep -E 'ERROR|SUMMARY|Test unit written' "$work/$t.log" | head -5
    fail=1
  else
    echo "fuzz_$t: ${runs:-?} runs in ${secs}s, no crash"
  fi
done
exit $fail
