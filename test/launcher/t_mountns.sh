#!/usr/bin/env bash
# Each rank in its own mount namespace with a private tmpfs at the cache
# path: every rank is its own node, so remote files really cross MPI
# (socket or channel -> launcher -> MPI -> owner -> back), the broadcast partition is
# sent over MPI to every node, and --replicas spreads owners.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root for unshare -m and a private tmpfs per rank"
unshare -m true 2>/dev/null || skip "unshare -m does not work here"
mkds ns 5 -b d01

# ns_run NP ARGS...: like run_ranks, each rank in a private mount namespace.
ns_run() {
  local np=$1; shift
  : >"$T/exits"
  timeout -k 5 120 mpirun -np "$np" unshare -m --propagation private sh -c \
    'mount -t tmpfs -o size=64m fstest "$FANSTORE_CACHE" && "$@"; echo $? >>"'"$T"'/exits"' \
    sh "$EXEC" "$@" >"$T/out" 2>"$T/err" || true
  cat "$T/out" "$T/err"
  [ "$(wc -l <"$T/exits")" -eq "$np" ] || fail "expected $np exit statuses: $(cat "$T/exits")"
}

for ranks in 2 3 4; do
  ns_run "$ranks" --data "$T/ns.ds" -- "$FSREAD" "$T/ns.tree"
  all_exits 0
  grep -q "$ranks nodes" "$T/err" || fail "expected $ranks nodes in the summary"
  remote=$(sed -n 's/.* local \([0-9]*\) remote.*/\1/p' "$T/out" | sort -n | head -1)
  [ "${remote:-0}" -gt 0 ] || fail "some rank read no remote file"
  ok "$ranks ranks as $ranks nodes, remote reads on every rank"
done

# The same through the shared-memory channel libfanstore uses, and with
# 8 requests in flight in one channel (replies complete out of order).
for ranks in 2 3; do
  ns_run "$ranks" --data "$T/ns.ds" -- "$FSREAD" --chan "$T/ns.tree"
  all_exits 0
  remote=$(sed -n 's/.* local \([0-9]*\) remote.*/\1/p' "$T/out" | sort -n | head -1)
  [ "${remote:-0}" -gt 0 ] || fail "some rank read no remote file"
  ok "$ranks nodes, remote reads through a channel"
done
ns_run 2 --data "$T/ns.ds" -- "$FSREAD" --bench 0.3 8
all_exits 0
[ "$(count_of 'bench 8 in flight (channel)' "$T/out")" -eq 2 ] || fail "a rank did not report its bench"
ok "8 requests in flight in one channel, every reply decoded and crc-checked"

ns_run 3 -vv --replicas 2 --data "$T/ns.ds" -- "$FSREAD" "$T/ns.tree"
all_exits 0
# 5 partitions, each on 2 of the 3 nodes: the second copy comes over MPI.
[ "$(count_of 'received fs_' "$T/err")" -eq 5 ] || fail "expected 5 replicas received over MPI"
ok "--replicas 2, second copies sent over MPI"

ns_run 2 --data "$T/ns.ds" -- "$FSREAD" --ping
all_exits 0
ok "ping through the socket"

# A rank whose command is done keeps serving the others' reads.
ns_run 3 --data "$T/ns.ds" -- sh -c '[ "$RANK" = 0 ] || exit 0; sleep 1; exec "$@"' sh "$FSREAD" "$T/ns.tree"
all_exits 0
ok "ranks whose command exited still serve"

# Files larger than one reply (FS_CHUNK_MAX, 8 MiB) come in pieces.
gentree "$T/big.tree" --files 4 --dirs 1 --sizes 20000000,9000000,1,8388608 >/dev/null
"$PREP" -q -n 2 -l 1 -o "$T/big.ds" "$T/big.tree"
ns_run 2 --data "$T/big.ds" -- "$FSREAD" "$T/big.tree"
all_exits 0
ok "remote files larger than one reply"
ns_run 2 --data "$T/big.ds" -- "$FSREAD" --chan "$T/big.tree"
all_exits 0
ok "remote files larger than one channel slot"
cache_empty
