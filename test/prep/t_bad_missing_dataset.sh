#!/usr/bin/env bash
# A dataset directory that does not exist (or is a file) fails naming it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
cd "$T"
expect_msg "missing dataset dir" "$T/nope" "$PREP" -n 2 "$T/nope"
echo x > "$T/file"
expect_msg "dataset that is a file" "$T/file" "$PREP" -n 2 "$T/file"
expect_msg "original form, missing file.list" "nolist" "$PREP" 2 nolist NULL
no_partial "$T"
