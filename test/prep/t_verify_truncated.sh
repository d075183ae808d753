#!/usr/bin/env bash
# A truncated partition is rejected, naming it; so is a missing one.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/src" --files 20
"$PREP" -q -n 3 -o "$T/out" "$T/src"
sz=$(stat -c %s "$T/out/fs_0001")
truncate -s $((sz - 100)) "$T/out/fs_0001"
expect_msg "verify of a truncated partition" "fs_0001" "$PREP" --verify "$T/out"
expect_msg "extract from a truncated partition" "fs_0001" "$PREP" --extract "$T/out" "$T/x"
rm "$T/out/fs_0001"
expect_msg "verify with a missing partition" "fs_0001" "$PREP" --verify "$T/out"
