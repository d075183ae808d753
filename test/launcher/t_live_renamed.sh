#!/usr/bin/env bash
# A job directory stays while its launcher lives, whatever the launcher is
# called: a renamed copy of fanstore-exec and one run under valgrind keep
# their directories, and their reads working, while another job starts on
# the same node and cleans up; a launcher killed outright (run through a
# symlink of another name) leaves a directory that the next job removes.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
command -v valgrind >/dev/null || skip "valgrind is not installed"
mkds lv 2
mkdir "$T/bin"
cp "$EXEC" "$T/bin/trainjob"
ln -s "$EXEC" "$T/bin/fsx-link"
# The command says it is ready, waits for the gate, then reads everything.
cmd='touch "$0.ready"; n=0; while [ ! -e "'"$T"'/gate" ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done; exec "$@"'
"$T/bin/trainjob" --data "$T/lv.ds" -- sh -c "$cmd" "$T/a" "$FSREAD" "$T/lv.tree" >"$T/a.out" 2>&1 & pa=$!
valgrind -q --trace-children=no "$EXEC" --data "$T/lv.ds" -- sh -c "$cmd" "$T/b" "$FSREAD" "$T/lv.tree" \
  >"$T/b.out" 2>&1 & pb=$!
for _ in $(seq 1200); do [ -e "$T/a.ready" ] && [ -e "$T/b.ready" ] && break; sleep 0.1; done
[ -e "$T/a.ready" ] && [ -e "$T/b.ready" ] || { touch "$T/gate"; cat "$T/a.out" "$T/b.out"; fail "jobs did not start"; }
[ "$(ls "$FANSTORE_CACHE" | wc -l)" -eq 2 ] || fail "expected two job directories: $(ls "$FANSTORE_CACHE")"
FANSTORE_VERBOSE=1 "$EXEC" --data "$T/lv.ds" -- true 2>"$T/c.err" || { cat "$T/c.err"; fail "third job failed"; }
touch "$T/gate"
ra=0; rb=0
wait "$pa" || ra=$?
wait "$pb" || rb=$?
cat "$T/a.out" "$T/b.out" "$T/c.err"
grep -q "removed stale" "$T/c.err" && fail "the third job removed a live job's directory"
[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] || fail "renamed launcher exit $ra, launcher under valgrind exit $rb"
grep -q "0 mismatches" "$T/a.out" && grep -q "0 mismatches" "$T/b.out" || fail "a reader did not match"
cache_empty
ok "live directories of a renamed launcher and of one under valgrind survive a new job"

marker="sleep 318.$$"
"$T/bin/fsx-link" --data "$T/lv.ds" -- sh -c "exec $marker" >"$T/d.out" 2>&1 & pd=$!
for _ in $(seq 100); do pgrep -f "^$marker" >/dev/null && break; sleep 0.1; done
pgrep -f "^$marker" >/dev/null || fail "command did not start: $(cat "$T/d.out")"
dead=$(ls "$FANSTORE_CACHE")
kill -KILL "$pd"
wait "$pd" 2>/dev/null || true
for _ in $(seq 50); do pgrep -f "^$marker" >/dev/null || break; sleep 0.1; done
FANSTORE_VERBOSE=1 "$EXEC" --data "$T/lv.ds" -- true 2>"$T/e.err" || { cat "$T/e.err"; fail "next job failed"; }
grep -q "removed stale job directory.*$dead" "$T/e.err" || { cat "$T/e.err"; fail "dead job's $dead not removed"; }
cache_empty
ok "a dead launcher's directory is removed by the next job"
