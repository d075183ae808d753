#!/usr/bin/env bash
# Packing the same input twice (any -j) gives byte-identical output.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/src" --weird --links --files 80
"$PREP" -q -n 4 -b d01 -j 1 -o "$T/a" "$T/src"
"$PREP" -q -n 4 -b d01 -j 3 -o "$T/b" "$T/src"
for f in "$T/a"/*; do cmp "$f" "$T/b/$(basename "$f")" || fail "$(basename "$f") differs"; done
[ "$(ls "$T/a")" = "$(ls "$T/b")" ] || fail "different file sets"
ok "identical output"
