#!/usr/bin/env bash
# With the real preloaded library (found next to the launcher as
# ../lib/libfanstore.so), a program we did not write sees the dataset
# under the mount path on every rank: diff -r against the original tree,
# with ranks as separate nodes (remote reads) when root, else on one node.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
[ -f "$LIB" ] || skip "lib/libfanstore.so is not built"
unset FANSTORE_LIB
mkds pl 3 -b d01
cmd='diff -r --no-dereference "$FANSTORE_MOUNT" "$0" && echo "rank $RANK: identical"'
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  : >"$T/exits"
  timeout -k 5 120 mpirun -np 3 unshare -m --propagation private sh -c \
    'mount -t tmpfs -o size=64m fstest "$FANSTORE_CACHE" && "$@"; echo $? >>"'"$T"'/exits"' \
    sh "$EXEC" --mount /data/pl --data "$T/pl.ds" -- sh -c "$cmd" "$T/pl.tree" >"$T/out" 2>"$T/err" || true
  cat "$T/out" "$T/err"
  [ "$(wc -l <"$T/exits")" -eq 3 ] || fail "expected 3 exit statuses"
  all_exits 0
  ok "diff -r on 3 ranks as 3 nodes"
fi
run_ranks 2 --data "$T/pl.ds" -- sh -c "$cmd" "$T/pl.tree"
all_exits 0
cache_empty
ok "diff -r on 2 ranks of one node"
