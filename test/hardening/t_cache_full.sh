#!/usr/bin/env bash
# The cache file system fills up while partitions are being loaded (the
# space check saw enough room; a preloaded shim makes statvfs report a
# terabyte so the copy itself runs out): every rank fails with a message
# naming the file being written and the error, how much the node needs and
# what to do; no hang, no process and nothing left in the cache.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null ||
	skip "needs root to mount a small tmpfs at the cache"
SHIM=$HB/shim_statvfs.so
[ -f "$SHIM" ] || fail "build first: $SHIM missing (make tests)"
mkdata --files 12 --dirs 2 --sizes 1000000
: >"$T/exits"
: >"$T/left"
timeout -k 5 120 $MPIRUN -np 2 unshare -m --propagation private sh -c \
	'mount -t tmpfs -o size=1m fstest "$FANSTORE_CACHE" && LD_PRELOAD=$0 "$@"; echo $? >>"'"$T"'/exits"; ls -A "$FANSTORE_CACHE" >>"'"$T"'/left"' \
	"$SHIM" "$EXEC" --data "$T/data" -- true >"$T/out" 2>&1 || true
cat "$T/out"
[ "$(wc -l <"$T/exits")" -eq 2 ] || fail "expected 2 exit statuses, got: $(cat "$T/exits")"
! grep -qx 0 "$T/exits" || fail "a rank exited 0 with a full cache: $(tr '\n' ' ' <"$T/exits")"
grep -q "No space left on device" "$T/out" || fail "the error does not say the cache is full"
grep -q "writing $FANSTORE_CACHE/fanstore\." "$T/out" || fail "the error does not name the file in the cache"
ok "a full cache during load: every rank fails, saying which file and why"
grep -q "needs [0-9.]* [kMGT]*B" "$T/out" || fail "the error does not say how much this node needs"
grep -q -- "--cache" "$T/out" || fail "the error does not say what to do (--cache DIR)"
ok "the error says how much the node needs and what to do"
cache_empty
