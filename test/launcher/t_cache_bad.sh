#!/usr/bin/env bash
# A cache location that is missing, not a directory, not writable, or too
# small for this node: every rank fails with a message saying where (and,
# when too small, how much is needed), no hang, nothing left behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds cb 2

run_ranks 2 --cache "$T/nocache" --data "$T/cb.ds" -- true
all_nonzero
err_has "cache directory $T/nocache"
ok "missing cache"

: >"$T/afile"
FANSTORE_CACHE=$T/afile run_ranks 2 --data "$T/cb.ds" -- true
all_nonzero
err_has "not a directory"
ok "cache is a file (from FANSTORE_CACHE)"

[ "$(id -u)" -eq 0 ] || { echo "not root: read-only and too-small cache cases not run"; exit 0; }

# A read-only file system at the cache path (root bypasses mode bits).
mkdir -p "$T/ro"
: >"$T/exits"
timeout -k 5 60 unshare -m --propagation private sh -c \
  'mount -t tmpfs -o ro,size=1m fstest "$1" && shift && "$@"; echo $? >>"'"$T"'/exits"' \
  sh "$T/ro" "$EXEC" --cache "$T/ro" --data "$T/cb.ds" -- true 2>"$T/err" || true
cat "$T/err"
all_nonzero
err_has "not writable"
ok "read-only cache"

# A 256 KiB tmpfs: the dataset does not fit.
mkdir -p "$T/small"
: >"$T/exits"
timeout -k 5 60 mpirun -np 2 unshare -m --propagation private sh -c \
  'mount -t tmpfs -o size=256k fstest "$1" && shift && "$@"; echo $? >>"'"$T"'/exits"' \
  sh "$T/small" "$EXEC" --cache "$T/small" --data "$T/cb.ds" -- true 2>"$T/err" || true
cat "$T/err"
[ "$(wc -l <"$T/exits")" -eq 2 ] || fail "expected 2 exit statuses"
all_nonzero
err_has "cache directory $T/small is too small: this node needs"
ok "too small cache: says how much and where"
cache_empty
