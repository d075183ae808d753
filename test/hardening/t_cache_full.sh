#!/usr/bin/env bash
# The cache file system fills up while partitions are being loaded (the
# space check saw enough room; a preloaded shim makes statvfs report a
# terabyte so the copy itself runs out): every rank fails with a message
# naming the file being written and the error, how much the node needs and
# what to do; no hang, no process and nothing left in the cache.  The same
# when the cache fills while the broadcast partition or a replica arrives
# over MPI.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null ||
	skip "needs root to mount a small tmpfs at the cache"
SHIM=$HB/shim_statvfs.so
[ -f "$SHIM" ] || fail "build first: $SHIM missing (make tests)"
# full_job FANSTORE-EXEC-ARGS...: 2 ranks, each its own "node" with a 1 MiB
# tmpfs at the cache (statvfs saying a terabyte), running `true`: output in
# $T/out, each rank's status in $T/exits, what a node's cache kept in
# $T/left; no rank may exit 0
full_job() {
	: >"$T/exits"
	: >"$T/left"
	timeout -k 5 120 $MPIRUN -np 2 unshare -m --propagation private sh -c \
		'mount -t tmpfs -o size=1m fstest "$FANSTORE_CACHE" && LD_PRELOAD=$0 "$@"; echo $? >>"'"$T"'/exits"; ls -A "$FANSTORE_CACHE" >>"'"$T"'/left"' \
		"$SHIM" "$EXEC" "$@" -- true >"$T/out" 2>&1 || true
	cat "$T/out"
	[ "$(wc -l <"$T/exits")" -eq 2 ] || fail "$*: expected 2 exit statuses, got: $(cat "$T/exits")"
	! grep -qx 0 "$T/exits" || fail "$*: a rank exited 0 with a full cache: $(tr '\n' ' ' <"$T/exits")"
}
# says_full R FILE: rank R says it could not write FILE in its job directory
says_full() {
	grep -q "rank $1: writing $FANSTORE_CACHE/fanstore\..*/$2: No space left on device" "$T/out" ||
		fail "rank $1 does not say it could not write $2"
}

mkdata --files 12 --dirs 2 --sizes 1000000
full_job --data "$T/data"
grep -q "No space left on device" "$T/out" || fail "the error does not say the cache is full"
grep -q "writing $FANSTORE_CACHE/fanstore\." "$T/out" || fail "the error does not name the file in the cache"
ok "a full cache during load: every rank fails, saying which file and why"
grep -q "needs [0-9.]* [kMGT]*B" "$T/out" || fail "the error does not say how much this node needs"
grep -q -- "--cache" "$T/out" || fail "the error does not say what to do (--cache DIR)"
ok "the error says how much the node needs and what to do"
cache_empty

# The broadcast partition, which every node leader writes as it arrives over
# MPI_Bcast (rank 0 from its own mapping, the other "node" receiving): the
# write fails on both, the broadcast runs to its end so that neither waits.
mkdir -p "$T/orig2/train" "$T/orig2/val"
head -c 1000 /dev/urandom >"$T/orig2/train/a"
for i in 1 2 3; do head -c 1000000 /dev/urandom >"$T/orig2/val/v$i"; done
"$PREP" -q -n 2 -l 0 -b val -o "$T/data2" "$T/orig2"
full_job --data "$T/data2"
says_full 0 .fs_bcast.tmp
says_full 1 .fs_bcast.tmp
ok "a full cache during the broadcast: both node leaders fail, naming the file"
cache_empty

# --replicas 2: each "node" copies its own partition, which fits, then
# receives the other's over MPI from its reader, which does not.
mkdir -p "$T/orig3/train"
for i in 1 2; do head -c 600000 /dev/urandom >"$T/orig3/train/f$i"; done
"$PREP" -q -n 2 -l 0 -o "$T/data3" "$T/orig3"
full_job --replicas 2 --data "$T/data3"
says_full 0 .fs_0001.tmp
says_full 1 .fs_0000.tmp
ok "a full cache while receiving replicas: both ranks fail, naming the file"
cache_empty
