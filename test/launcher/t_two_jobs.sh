#!/usr/bin/env bash
# Two jobs on one node at once, same cache: each has its own private job
# directory and reads its own dataset; neither disturbs the other.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds a 3
mkds b 2
gate=$T/gate
# Each job's command waits until both job directories exist, then reads.
cmd='n=0; while [ "$(ls -d "$FANSTORE_CACHE"/fanstore.* | wc -l)" -lt 2 ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n+1)); done; stat -c %a "$FANSTORE_JOBDIR" >>'"$gate"'; exec "$0" "$@"'
mpirun -np 2 "$EXEC" --data "$T/a.ds" -- sh -c "$cmd" "$FSREAD" "$T/a.tree" >"$T/a.out" 2>&1 & pa=$!
mpirun -np 2 "$EXEC" --data "$T/b.ds" -- sh -c "$cmd" "$FSREAD" "$T/b.tree" >"$T/b.out" 2>&1 & pb=$!
ra=0; rb=0
wait "$pa" || ra=$?
wait "$pb" || rb=$?
cat "$T/a.out" "$T/b.out"
[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] || fail "job a exit $ra, job b exit $rb"
[ "$(count_of " 0 mismatches" "$T/a.out")" -eq 2 ] && [ "$(count_of " 0 mismatches" "$T/b.out")" -eq 2 ] ||
  fail "not every reader matched"
[ "$(sort -u "$gate")" = 700 ] || fail "job directories not 0700: $(cat "$gate")"
cache_empty
ok "two jobs at once"
