#!/usr/bin/env bash
# --progress shows the load as one line for the whole job, from rank 0:
# the last says the bytes put into node caches by all ranks, exactly (each
# scatter partition once on every node that holds it, the broadcast one on
# every node), and no line is about one rank or one partition.  A rank
# with nothing to copy, several nodes, replicas, and a load that fails all
# end with that one last line and leave no job behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds pr 3 -b d01
size() { stat -c %s "$T/pr.ds/$1"; }
p0=$(size fs_0000) p1=$(size fs_0001) p2=$(size fs_0002) pb=$(size fs_bcast)

# one_line BYTES: the run's one final line says BYTES of BYTES, and no
# line names a rank or a partition.
one_line() {
  [ "$(count_of "fanstore-exec: loaded " "$T/err")" -eq 1 ] || fail "expected one final line"
  grep -Eq "^fanstore-exec: loaded ([0-9.]+ [kMG]?B) of \1 \($1 bytes\) in [0-9.]+ s, " "$T/err" ||
    fail "the final line does not say $1 bytes: $(grep 'loaded ' "$T/err")"
  ! grep -E 'rank [0-9]|fs_[0-9b]' "$T/err" || fail "a line about one rank or partition"
  ! grep -E '^fanstore-exec: load(ing|ed) ' "$T/err" | grep -vE '^fanstore-exec: load(ing|ed) [0-9.]+ [kMG]?B of ' ||
    fail "a progress line of another shape"
}

run_ranks 2 --progress --data "$T/pr.ds" -- true
all_exits 0
one_line $((p0 + p1 + p2 + pb))
ok "2 ranks: one line, $((p0 + p1 + p2 + pb)) bytes"

run_single --progress --data "$T/pr.ds" -- true
all_exits 0
one_line $((p0 + p1 + p2 + pb))
ok "a singleton"

# Rank 3 holds nothing of 3 partitions.
run_ranks 4 --progress --data "$T/pr.ds" -- true
all_exits 0
one_line $((p0 + p1 + p2 + pb))
ok "4 ranks, one with nothing to copy"

# Ranks 0 and 1 one node, rank 2 another: each holds its own partition,
# the broadcast one is on both nodes.
nodes_run 3 2 --progress --data "$T/pr.ds" -- true
all_exits 0
grep -q "3 ranks, 2 nodes" "$T/err" || fail "expected 2 nodes"
one_line $((p0 + p1 + p2 + 2 * pb))
ok "3 ranks on 2 nodes"

# With 2 replicas: slot 0 on ranks 0 and 1 (one node), slot 1 on ranks 1
# and 2 and slot 2 on ranks 2 and 0 (both nodes each).
nodes_run 3 2 --progress --replicas 2 --data "$T/pr.ds" -- true
all_exits 0
one_line $((p0 + 2 * p1 + 2 * p2 + 2 * pb))
ok "3 ranks on 2 nodes, 2 replicas"

# A partition cut short: the load fails on every rank, the line says where
# it stopped, nothing waits.
cp -r "$T/pr.ds" "$T/bad.ds"
truncate -s 1000 "$T/bad.ds/fs_0001"
run_ranks 2 --progress --data "$T/bad.ds" -- true
all_exits 1
[ "$(count_of "fanstore-exec: load stopped after " "$T/err")" -eq 1 ] || fail "a failed load: expected one 'load stopped' line"
ok "a failed load ends with one line"
cache_empty
cache_empty "$T/c0"
cache_empty "$T/c1"
