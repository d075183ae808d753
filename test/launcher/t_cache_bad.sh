#!/usr/bin/env bash
# A cache location that is missing, not a directory or not writable: every
# rank fails with a message saying where, no hang, nothing left behind.
# (Too small: t_cache_small.)
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

if [ "$(id -u)" -eq 0 ]; then
  # A read-only file system at the cache path (root bypasses mode bits).
  mkdir -p "$T/ro"
  : >"$T/exits"
  timeout -k 5 60 unshare -m --propagation private sh -c \
    'mount -t tmpfs -o ro,size=1m fstest "$1" && shift && "$@"; echo $? >>"'"$T"'/exits"' \
    sh "$T/ro" "$EXEC" --cache "$T/ro" --data "$T/cb.ds" -- true 2>"$T/err" || true
  cat "$T/err"
else
  # A directory without write permission.
  mkdir -m 0555 "$T/ro"
  run_ranks 2 --cache "$T/ro" --data "$T/cb.ds" -- true
fi
all_nonzero
err_has "cache directory $T/ro: not writable"
ok "read-only cache"
cache_empty
