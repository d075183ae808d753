#!/usr/bin/env bash
# A launcher killed outright takes its command with it (PR_SET_PDEATHSIG);
# the job directory it leaves is removed at the next start on that node,
# while directories of live jobs (owner file locked, by any process), of
# other hosts, or just being created stay.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds st 2
marker="sleep 319.$$"
"$EXEC" --data "$T/st.ds" -- sh -c "exec $marker" >"$T/out" 2>&1 &
ex=$!
for _ in $(seq 100); do pgrep -f "^$marker" >/dev/null && break; sleep 0.1; done
pgrep -f "^$marker" >/dev/null || fail "command did not start: $(cat "$T/out")"
kill -KILL "$ex"
wait "$ex" 2>/dev/null || true
for _ in $(seq 50); do pgrep -f "^$marker" >/dev/null || break; sleep 0.1; done
pgrep -f "^$marker" >/dev/null && fail "command still running after its launcher was killed"
ok "command dies with its launcher"
stale=$(ls "$FANSTORE_CACHE")
[ -n "$stale" ] || fail "expected the killed job's directory to be left"

uid=$(id -u)
host=$(hostname)
mk() { mkdir -m 0700 "$FANSTORE_CACHE/fanstore.$uid.$1"; [ $# -lt 2 ] || echo "$2" >"$FANSTORE_CACHE/fanstore.$uid.$1/owner"; }
mk otherhost "not-$host 1"
mk creating
sleep 1000 & live=$!
mk notlauncher "$host $live"
mk held "$host 1"
flock -s "$FANSTORE_CACHE/fanstore.$uid.held/owner" sleep 1000 & holder=$!
FANSTORE_VERBOSE=1 "$EXEC" --data "$T/st.ds" -- true 2>"$T/err" || { cat "$T/err"; fail "second job failed"; }
pkill -P "$holder" || true   # flock's sleep, which would outlive it
kill "$live" "$holder"
grep -q "removed stale job directory.*$stale" "$T/err" || fail "no word of removing $stale"
left=$(ls "$FANSTORE_CACHE" | sort | tr '\n' ' ')
[ "$left" = "fanstore.$uid.creating fanstore.$uid.held fanstore.$uid.otherhost " ] || fail "left: $left"
ok "stale directories removed, others kept"
