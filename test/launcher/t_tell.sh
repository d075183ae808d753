#!/usr/bin/env bash
# What the launcher tells: one summary line from rank 0 (ranks, nodes,
# files, bytes raw and stored, load time and rate, mount); --progress
# shows the load, one line for the job; -v adds per-rank lines with rank,
# time and file:line.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds tl 3 -b d01
run_ranks 2 --data "$T/tl.ds" -- true
all_exits 0
[ "$(count_of 'fanstore-exec: 2 ranks, 1 node, 64 files, ' "$T/err")" -eq 1 ] || fail "expected one summary line"
grep -E 'raw, .* stored; loaded in [0-9.]+ s \(.*/s\); mount /fanstore, cache ' "$T/err" >/dev/null || fail "summary misses fields"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "quiet run says more than the summary"
ok "one summary line"

run_ranks 2 --progress --data "$T/tl.ds" -- true
all_exits 0
[ "$(count_of 'fanstore-exec: loaded ' "$T/err")" -eq 1 ] || fail "--progress: expected one final line"
ok "--progress (its numbers: t_progress)"

run_ranks 2 -v --data "$T/tl.ds" -- true
all_exits 0
for r in 0 1; do
  grep -Eq "^fanstore-exec\[$r\] +[0-9]+\.[0-9]{3}s [a-z]+\.c:[0-9]+: " "$T/err" || fail "-v: no detail from rank $r"
done
ok "-v per-rank detail"
