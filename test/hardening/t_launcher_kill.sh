#!/usr/bin/env bash
# Remote reads whose launchers stop answering, two ranks as two nodes:
#  1. the rank holding the data hangs (SIGSTOP): a read on the other node
#     fails with EIO after --timeout seconds; the reader goes on reading,
#     and once the hung rank resumes (its late replies arriving) every
#     file reads right again in the same process; the job ends normally;
#  2. the reader's own launcher is killed with SIGKILL while the reader is
#     blocked in a remote read: the read fails with EIO at once (connection
#     lost, long before the timeout), the job ends, and no launcher, command
#     or reader is left.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
can_nodes || skip "needs root and unshare -m to run two ranks as two nodes"
mkdata --files 40 --dirs 3 --sizes 4096,100000,300000
cat >"$T/cmd.sh" <<'SH'
# rank 0 holds fs_0000 and idles; rank 1 reads everything (fs_0000 remotely)
d=$1 rl=$2 orig=$3 list=$4
echo $PPID >"$d/l$RANK"
if [ "$RANK" = 0 ]; then
	while [ ! -e "$d/done" ]; do sleep 0.05; done
	exit 0
fi
while [ ! -e "$d/go" ]; do sleep 0.05; done
# in the background: a grandchild of the launcher, like a DataLoader worker;
# with d/until, it reads through errors until that file exists
if [ -e "$d/keep" ]; then set -- - "$d/until"; else set --; fi
( "$rl" /fanstore "$orig" "$d/list" 0 "$@" >"$d/r1" 2>&1; echo $? >"$d/rc1" ) &
wait
SH
waitfor() { for _ in $(seq "$2"); do [ -e "$1" ] && return 0; sleep 0.1; done; fail "no $1 after $(($2 / 10)) s"; }

# 1. the holder hangs: EIO after the timeout, right bytes once it resumes
mkdir "$T/a"; cp "$T/list" "$T/a/list"; touch "$T/a/keep"
job_exits 2 --timeout 2 --data "$T/data" -- bash "$T/cmd.sh" "$T/a" "$HB/rloop" "$T/orig" "$T/list" &
jp=$!
waitfor "$T/a/l0" 300; waitfor "$T/a/l1" 300
kill -STOP "$(cat "$T/a/l0")"
touch "$T/a/go"
for _ in $(seq 600); do grep -q "errno" "$T/a/r1" 2>/dev/null && break; sleep 0.1; done
kill -CONT "$(cat "$T/a/l0")"
touch "$T/a/until"
waitfor "$T/a/rc1" 600
touch "$T/a/done"
wait $jp || fail "job did not end"
cat "$T/a/r1"
grep -q "errno 5 (Input/output error)" "$T/a/r1" || fail "hung holder: no EIO"
[ "$(cat "$T/a/rc1")" = 0 ] && grep -q "then a clean round" "$T/a/r1" ||
	fail "after the holder resumed, the same reader did not read every file right (exit $(cat "$T/a/rc1"))"
all_exits 0
cache_empty
ok "a hung holder gives EIO after --timeout; once it resumes, the same reader reads right; the job ends normally"

# 2. the reader's launcher killed with SIGKILL mid-read: EIO from the lost connection
mkdir "$T/b"; cp "$T/list" "$T/b/list"
run_nodes 2 --timeout 600 --data "$T/data" -- bash "$T/cmd.sh" "$T/b" "$HB/rloop" "$T/orig" "$T/list" >"$T/b/out" 2>&1 &
jp=$!
waitfor "$T/b/l0" 300; waitfor "$T/b/l1" 300
kill -STOP "$(cat "$T/b/l0")"     # so the reader blocks in a remote read
touch "$T/b/go"
sleep 1
[ -e "$T/b/rc1" ] && fail "the reader ended before its launcher was killed: $(cat "$T/b/r1")"
t0=$(date +%s.%N)
kill -KILL "$(cat "$T/b/l1")"
waitfor "$T/b/rc1" 300
lost=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
kill -CONT "$(cat "$T/b/l0")"
touch "$T/b/done"
timeout 60 tail --pid=$jp -f /dev/null || fail "the job still runs 60 s after a launcher was killed"
wait $jp && fail "the job succeeded although a launcher was killed"
grep -v '^ *$' "$T/b/out" | head -3
cat "$T/b/r1"
[ "$(cat "$T/b/rc1")" = 5 ] || fail "killed launcher: reader exit $(cat "$T/b/rc1"), expected 5 (EIO)"
ok "the reader of a killed launcher gets EIO ${lost} s after the kill (within 30 s; --timeout 600), not a hang"
no_strays "readers" "rloop /fanstore $T/orig"
no_strays "launchers" "fanstore-exec --timeout"
no_strays "commands" "$T/cmd.sh"
