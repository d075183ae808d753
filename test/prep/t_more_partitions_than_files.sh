#!/usr/bin/env bash
# More partitions than files: the surplus partitions are empty and valid.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
mkdir "$T/ds"; echo a > "$T/ds/a"; echo b > "$T/ds/b"
"$PREP" -q -n 8 -o "$T/out" "$T/ds"
[ "$(ls "$T/out" | grep -c '^fs_')" = 8 ] || fail "not 8 partitions"
"$PREP" --info "$T/out" | grep -q '^fs_0007 *0 ' || fail "fs_0007 not empty"
check_roundtrip "$T/ds" "$T/out"
