#!/usr/bin/env bash
# diff -r between the original tree and the mount finds no difference.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 3 -l 6
vrun diff -r --no-dereference "$T/src" "$MNT" || fail "diff -r reports differences"
ok "diff -r: identical"
echo extra >"$T/src/f0006.txt"
if vrun diff -r --no-dereference "$T/src" "$MNT" >/dev/null; then fail "diff -r missed a change"; fi
ok "diff -r notices a changed file"
