#!/usr/bin/env bash
# 1, 2, 3 and 4 ranks against datasets of 1, 3 and 8 partitions: every
# rank's reader gets every file and its stat right, then nothing is left.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
for np in 1 3 8; do
  mkds p$np "$np"
  for ranks in 1 2 3 4; do
    run_ranks "$ranks" --data "$T/p$np.ds" -- "$FSREAD" "$T/p$np.tree"
    all_exits 0
    cache_empty
    ok "$ranks ranks, $np partitions"
  done
done
mkds bc 3 -b d01 -b empty
for ranks in 1 3; do
  run_ranks "$ranks" --data "$T/bc.ds" -- "$FSREAD" "$T/bc.tree"
  all_exits 0
  cache_empty
  ok "$ranks ranks, 3 partitions and a broadcast partition"
done
