#!/usr/bin/env bash
# Run every test: built C tests ($B/test/AREA/t_*) and scripts (test/AREA/t_*.sh).
# Exit 0 pass, 77 skip (first line of output starting "SKIP:" says why), else fail.
# Usage: test/run.sh [PATTERN]   (only tests whose AREA/NAME contains PATTERN)
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
pat=${1:-}
logs=$B/test-logs
mkdir -p "$logs"
export FANSTORE_TOP=$PWD B
pass=0 fail=0 skip=0 failed=()
tests=()
for t in $B/test/*/t_* test/*/t_*.sh; do
  [ -x "$t" ] || [ "${t%.sh}" != "$t" ] || continue
  [ -f "$t" ] || continue
  tests+=("$t")
done
for t in "${tests[@]}"; do
  name=${t#$B/test/}; name=${name#test/}; name=${name%.sh}
  case "$name" in *"$pat"*) ;; *) continue ;; esac
  log=$logs/${name//\//_}.log
  start=$(date +%s.%N)
  if [ "${t%.sh}" != "$t" ]; then
    timeout -k 10 ${TEST_TIMEOUT:-600} bash "$t" >"$log" 2>&1; rc=$?
  else
    timeout -k 10 ${TEST_TIMEOUT:-600} "$t" >"$log" 2>&1; rc=$?
  fi
  dt=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')
  if [ $rc -eq 0 ]; then
    pass=$((pass+1)); printf 'PASS  %-44s %6ss\n' "$name" "$dt"
  elif [ $rc -eq 77 ]; then
    skip=$((skip+1)); printf 'SKIP  %-44s %s\n' "$name" "$(grep -m1 '^SKIP:' "$log" | cut -c7-)"
  else
    fail=$((fail+1)); failed+=("$name")
    printf 'FAIL  %-44s %6ss (exit %d, log %s)\n' "$name" "$dt" "$rc" "$log"
    tail -n 25 "$log" | sed 's/^/      | /'
  fi
done
echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $((pass+fail)) -gt 0 ]
