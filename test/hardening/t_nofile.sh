#!/usr/bin/env bash
# RLIMIT_NOFILE reached while files of the mount are open: open and opendir
# fail with EMFILE after exactly as many opens as on the original tree,
# stat still works, and after closing them every file (local and remote)
# reads right again.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdata --files 40 --dirs 3 --sizes 1,4096,100000,300000
job_exits 2 --data "$T/data" -- "$HB/nofile" /fanstore "$T/orig" "$T/list" 48
all_exits 0
[ "$(count_of 'EMFILE as the kernel gives it' "$T/out")" -eq 2 ] || fail "not every rank reported"
ok "RLIMIT_NOFILE: EMFILE as the kernel, then reads right"
cache_empty
