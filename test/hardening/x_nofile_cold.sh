#!/usr/bin/env bash
# Known bug (libfanstore): files opened before RLIMIT_NOFILE is reached
# fail to read at the limit (EIO, "cannot open (Too many open files); the
# job directory is incomplete"): the library opens a partition (and, for
# remote files, its socket) on the first read, which needs a descriptor.
# On a kernel file system a read never needs one.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdata --files 10 --dirs 0 --sizes 5000,100000
job_exits 2 --data "$T/data" -- "$HB/nofile" /fanstore "$T/orig" "$T/list" 40 cold
all_exits 0
[ "$(grep -c 'read right at the limit' "$T/out")" -eq 2 ] || fail "not every rank reported"
ok "files opened before the limit read at the limit"
cache_empty
