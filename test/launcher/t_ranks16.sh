#!/usr/bin/env bash
# 16 ranks as one node, 1,000,000 files: every rank reads its own 10,000
# files byte for byte through the library, all locally, and the node holds
# one metadata image: one meta.img in the cache while the job runs, and the
# 16 commands and their 16 launchers all map that one file.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/ranks16_common.sh"
r16_run true
r16_check
grep -q "$NP ranks, 1 node, $N files" "$T/err" || fail "expected $NP ranks on 1 node with $N files"
[ "$(count_of 'served 0 requests from other ranks, forwarded 0,' "$T/err")" -eq $NP ] ||
  fail "a rank served or forwarded a request on a single node"
[ "$R16_IMAGES" -eq 1 ] || fail "$R16_IMAGES different images on one node: $(sort -u "$T/images")"
case "$R16_IMAGE" in
  *" $FANSTORE_CACHE/fanstore."*/meta.img) ;;
  *) fail "the image is not in the node's job directory: $R16_IMAGE" ;;
esac
ok "16 ranks on one node: 16 x 10,000 of 1,000,000 files read right, one image mapped by all"
[ -z "$(ls -A "$FANSTORE_CACHE")" ] || fail "left in the cache: $(ls -A "$FANSTORE_CACHE")"
