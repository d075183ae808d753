#!/usr/bin/env bash
# Files of the mount opened before RLIMIT_NOFILE is reached, never read
# before (local and remote, raw and compressed), read right at the limit,
# as on a kernel file system where a read never needs a descriptor: the
# library maps the partition or fetches the file at open.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdata --files 10 --dirs 0 --sizes 5000,100000
job_exits 2 --data "$T/data" -- "$HB/nofile" /fanstore "$T/orig" "$T/list" 40 cold
all_exits 0
[ "$(count_of 'read right at the limit' "$T/out")" -eq 2 ] || fail "not every rank reported"
ok "files opened before the limit read at the limit"
cache_empty
