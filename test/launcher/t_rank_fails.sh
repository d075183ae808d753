#!/usr/bin/env bash
# A rank's command that fails ends the job, as mpirun ends one whose process
# fails: the other ranks' commands, which would otherwise wait for it
# forever (a data-parallel job's next collective), get SIGTERM, then SIGKILL
# if they ignore it, and every launcher exits with the failed command's
# status, leaving no process and no job directory.  Processes a command
# leaves running when it exits are killed too.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds f 3
gone() {   # gone MARKER: no process of that command line left
  local left
  left=$(pgrep -fa -- "$1" || true)
  [ -z "$left" ] || { pkill -KILL -f -- "$1"; fail "left running: $left"; }
}

# Rank 1 fails once the others run; theirs would sleep for ten minutes
# (run_ranks gives up after 120 s, and then fails the test).
m1="sleep 431.$$"
run_ranks 3 --data "$T/f.ds" -- sh -c '
  if [ "$RANK" = 1 ]; then
    for i in $(seq 100); do [ "$(pgrep -fc "^$0")" -ge 2 ] && break; sleep 0.1; done
    exit 3
  fi
  exec $0' "$m1"
all_exits 3
grep -q "rank 1: the command exited with status 3: stopping it on the other 2 ranks (the job's status is 3)" "$T/err" \
  || fail "no line saying rank 1 failed and the job stops"
[ "$(grep -c "exited with status" "$T/err")" = 1 ] || fail "more than one rank said it failed"
gone "$m1"
cache_empty
ok "rank 1 exits 3: the other ranks' commands stopped, every launcher exits 3"

# The other rank's command ignores SIGTERM: SIGKILL after the grace period.
m2="loop433.$$"
run_ranks 2 --data "$T/f.ds" -- sh -c '
  if [ "$RANK" = 1 ]; then sleep 1; exit 7; fi
  trap "" TERM; while :; do sleep 0.2; done' "$m2"
all_exits 7
grep -q "rank 0: the command did not end within 10 s of SIGTERM (rank 1's failed): sending SIGKILL" "$T/err" \
  || fail "no line saying the command that ignored SIGTERM got SIGKILL"
gone "$m2"
cache_empty
ok "a command ignoring SIGTERM: SIGKILL after 10 s, every launcher exits 7"

# Killed by a signal counts as failing: status 128+9.
m3="sleep 437.$$"
run_ranks 2 --data "$T/f.ds" -- sh -c '
  if [ "$RANK" = 0 ]; then sleep 1; kill -KILL $$; fi
  exec $0' "$m3"
all_exits 137
grep -q "rank 0: the command exited with status 137" "$T/err" || fail "no line for the killed command"
gone "$m3"
ok "a command killed by SIGKILL on rank 0: the job ends with 137"

# A rank that finishes with 0 first stops nobody.
run_ranks 2 --data "$T/f.ds" -- sh -c '[ "$RANK" = 0 ] || sleep 2'
all_exits 0
grep -q "stopping it" "$T/err" && fail "a command that exited 0 stopped the others"
ok "a command exiting 0 early stops nobody"

# What a command leaves running (its parent gone) is killed when it exits.
m4="sleep 439.$$"
run_ranks 2 --data "$T/f.ds" -- sh -c '(exec $0 &); exit 0' "$m4"
all_exits 0
[ "$(grep -c "killed pid [0-9]* (sleep), which the command left running" "$T/err")" = 2 ] \
  || fail "expected one 'killed ... left running' line per rank"
gone "$m4"
cache_empty
ok "processes the command left running are killed, one line each"
