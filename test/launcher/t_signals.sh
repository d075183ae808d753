#!/usr/bin/env bash
# The command's exit status becomes the launcher's (128+N when killed by
# signal N) on every rank; SIGTERM to mpirun mid-run reaches the commands
# and leaves no processes and no job directories behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds s 2

run_ranks 2 --data "$T/s.ds" -- sh -c 'exit 3'
all_exits 3
ok "exit status 3 passed on"

run_ranks 2 --data "$T/s.ds" -- sh -c 'kill -KILL $$'
all_exits 137
cache_empty
ok "command killed by SIGKILL: 137"

"$EXEC" --data "$T/s.ds" -- sh -c 'kill -TERM $$' && rc=0 || rc=$?
[ "$rc" -eq 143 ] || fail "single rank without mpirun: command killed by SIGTERM gave $rc, expected 143"
ok "without mpirun: 143"

# SIGINT to a launcher reaches its command (which then exits 130).
"$EXEC" --data "$T/s.ds" -- sh -c 'trap "exit 130" INT; echo started >"$0"; while :; do sleep 0.05; done' "$T/started" &
ex=$!
for _ in $(seq 100); do [ -s "$T/started" ] && break; sleep 0.1; done
kill -INT "$ex"
for _ in $(seq 300); do kill -0 "$ex" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ex" 2>/dev/null && { kill -KILL "$ex"; fail "SIGINT: launcher still running after 30 s"; }
rc=0; wait "$ex" || rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT: exit $rc, expected the command's 130"
cache_empty
ok "SIGINT forwarded to the command"

# SIGTERM to mpirun while the commands run.
marker="sleep 317.$$"
mpirun -np 2 "$EXEC" --data "$T/s.ds" -- sh -c "exec $marker" >"$T/out" 2>&1 &
mp=$!
for _ in $(seq 100); do
  [ "$(pgrep -fc "^$marker" || true)" -eq 2 ] && break
  sleep 0.1
done
[ "$(pgrep -fc "^$marker" || true)" -eq 2 ] || fail "commands did not start: $(cat "$T/out")"
ls "$FANSTORE_CACHE" | grep -q '^fanstore\.' || fail "no job directory while running"
kill -TERM "$mp"
timeout 30 tail --pid="$mp" -f /dev/null || fail "mpirun still running 30 s after SIGTERM"
wait "$mp" || true
cat "$T/out"
sleep 0.5
[ "$(pgrep -fc "^$marker" || true)" -eq 0 ] || fail "commands left running after SIGTERM to mpirun"
pgrep -f "$EXEC.*$marker" >/dev/null && fail "launchers left running after SIGTERM to mpirun"
cache_empty
ok "SIGTERM to mpirun: no processes, no job directories left"
