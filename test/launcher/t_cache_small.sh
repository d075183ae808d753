#!/usr/bin/env bash
# A cache too small for this node (a 256 KiB tmpfs): every rank fails before
# copying, saying where and how much the node needs; nothing left behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
can_nodes || skip "needs root and unshare -m to mount a small tmpfs as the cache"
mkds cb 2
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
