#!/usr/bin/env bash
# A reader process killed with SIGKILL in the middle of its reads: the
# other readers of the same node finish with every byte right, the
# launcher keeps serving (a fresh reader afterwards reads everything), and
# the job ends normally with nothing left behind.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdata --files 40 --dirs 4 --sizes 1,4096,100000,300000,1000000
cat >"$T/cmd.sh" <<'SH'
set -u
rl=$1 orig=$2 list=$3 d=$4/r$RANK
mkdir -p "$d"
"$rl" /fanstore "$orig" "$list" 0 "$d/ready" >"$d/victim" 2>&1 & victim=$!
"$rl" /fanstore "$orig" "$list" 2 >"$d/a" 2>&1 & a=$!
"$rl" /fanstore "$orig" "$list" 2 >"$d/b" 2>&1 & b=$!
n=0; while [ ! -e "$d/ready" ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done
[ -e "$d/ready" ] || { echo "rank $RANK: victim never read a file"; exit 1; }
kill -KILL $victim
rv=0; wait $victim || rv=$?
ra=0; wait $a || ra=$?
rb=0; wait $b || rb=$?
echo "rank $RANK: victim $rv, readers $ra $rb"
[ $rv = 137 ] && [ $ra = 0 ] && [ $rb = 0 ] || { cat "$d/a" "$d/b"; exit 1; }
"$rl" /fanstore "$orig" "$list" 1 || exit 1
SH
job_exits 2 --data "$T/data" -- bash "$T/cmd.sh" "$HB/rloop" "$T/orig" "$T/list" "$T"
all_exits 0
[ "$(count_of 'victim 137, readers 0 0' "$T/out")" -eq 2 ] || fail "not every rank reported"
ok "killed reader: the others read every byte right, the launcher serves on"
no_strays "readers" "rloop /fanstore $T/orig"
cache_empty
