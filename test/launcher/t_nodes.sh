#!/usr/bin/env bash
# Several ranks per node and several nodes in one job, without root: a
# node is the set of ranks that see the same cache directory, so giving
# ranks different cache directories makes them different nodes.  Ranks of
# a node share one job directory and read each other's partitions from
# it; other nodes' files come over MPI.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds nd 8 -b d01
nodes_run 4 2 --data "$T/nd.ds" -- "$FSREAD" "$T/nd.tree"
all_exits 0
grep -q "4 ranks, 2 nodes" "$T/err" || fail "expected 2 nodes"
[ "$(count_of ' 0 mismatches' "$T/out")" -eq 4 ] || fail "not every reader matched"
! grep -q ' 0 remote' "$T/out" || fail "some rank read nothing remotely"
ok "4 ranks on 2 nodes"
nodes_run 3 2 --data "$T/nd.ds" -- "$FSREAD" "$T/nd.tree"
all_exits 0
grep -q "3 ranks, 2 nodes" "$T/err" || fail "expected 2 nodes"
ok "3 ranks on 2 unequal nodes"
cache_empty "$T/c0"
cache_empty "$T/c1"
