#!/usr/bin/env bash
# The user's program crashes with SIGSEGV on every rank while it holds
# files of the mount open: every launcher exits 128+11, and no process and
# no job directory is left.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdata --files 30 --dirs 3 --sizes 1,4096,100000
ulimit -c 0
mkdir "$T/ready"
job_exits 2 --data "$T/data" -- "$HB/crash" /fanstore "$T/list" "$T/ready" 2
[ "$(count_of 'files open, crashing' "$T/out")" -eq 2 ] || fail "the program did not run on every rank"
all_exits 139
no_strays "crashed programs" "crash /fanstore $T/list"
cache_empty
