#!/usr/bin/env bash
# 16 ranks as 16 nodes (each in its own mount namespace with a private
# tmpfs at the cache path), 1,000,000 files in 16 partitions, one a node:
# every rank reads its own 10,000 files byte for byte through the library,
# 9,375 of them held on other nodes and fetched over MPI, and every node
# holds one metadata image of its own.
source "$(dirname "$0")/../lib.sh"
can_nodes || skip "needs root and unshare -m for a private tmpfs per rank"
source "$(dirname "$0")/ranks16_common.sh"
r16_run 'mount -t tmpfs -o size=512m fstest "$FANSTORE_CACHE"' unshare -m --propagation private
r16_check
grep -q "$NP ranks, $NP nodes, $N files" "$T/err" || fail "expected $NP ranks as $NP nodes with $N files"
# rank r holds partition r (file i is in partition i % 16); its sample
# r + 99k has 625 files there (k a multiple of 16), and each other rank's
# has 625 there too
[ "$(count_of 'served 9375 requests from other ranks, forwarded 9375,' "$T/err")" -eq $NP ] ||
  fail "not every rank forwarded and served 9375 requests: $(grep -o 'served.*forwarded [0-9]*' "$T/err" | sort | uniq -c)"
[ "$R16_IMAGES" -eq $NP ] || fail "$R16_IMAGES different images over $NP nodes: $(sort -u "$T/images")"
ok "16 ranks as 16 nodes: 16 x 10,000 of 1,000,000 files read right, 15/16 of them over MPI, one image a node"
[ -z "$(ls -A "$FANSTORE_CACHE")" ] || fail "left in the cache: $(ls -A "$FANSTORE_CACHE")"
