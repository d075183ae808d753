#!/usr/bin/env bash
# An existing output (dir, even empty, or file; original form: an old
# partition or manifest) is refused and left untouched.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 4
mkdir "$T/out"
expect_msg "existing empty output dir" "$T/out: the output directory already exists" "$PREP" -n 2 -o "$T/out" "$T/ds"
[ -z "$(ls -A "$T/out")" ] || fail "existing output touched"
cd "$T" && "$PREP" -q -n 2 "$T/ds" && [ -f "$T/ds.fanstore/fanstore.manifest" ] || fail "default OUT is ./ds.fanstore"
expect_msg "existing default output" "ds.fanstore: the output directory already exists" "$PREP" -n 2 "$T/ds"
ls -d "$T"/ds.fanstore.tmp.* 2>/dev/null && fail "temporary dir left"
cd "$T/ds" && find ./ > file.list
echo old > fs_0001
expect_msg "original form, old partition present" "fs_0001 already exists" "$PREP" 2 file.list NULL
[ "$(cat fs_0001)" = old ] || fail "old partition touched"
ls -a | grep -q '^\.fs_' && fail "temporary partition left"
[ -e fanstore.manifest ] && fail "manifest written"
ok "existing outputs refused"
