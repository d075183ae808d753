#!/usr/bin/env bash
# A DataLoader-like program forks workers after opening a file of the
# mount; one worker is killed with SIGKILL mid-read.  The other workers,
# a replacement worker and the parent (through the shared descriptor) read
# every byte right, on every rank, and the job ends with nothing left.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdata --files 30 --dirs 3 --sizes 1,4096,100000,300000,1000000
job_exits 2 --data "$T/data" -- "$HB/loader" /fanstore "$T/orig" "$T/list" 4 1
all_exits 0
[ "$(count_of 'worker 0 killed, 3 workers and a replacement read every byte right' "$T/out")" -eq 2 ] ||
	fail "not every rank's loader reported"
ok "killed worker: the rest read right"
no_strays "workers" "loader /fanstore $T/orig"
cache_empty
