#!/usr/bin/env bash
# N = 0 is refused with a message (both forms); nothing is written.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 4
cd "$T/ds"; find ./ > file.list
expect_msg "-n 0" "number of partitions" "$PREP" -n 0 "$T/ds"
expect_msg "original form with 0" "NPART '0'" "$PREP" 0 file.list NULL
expect_msg "-n missing" "-n N" "$PREP" "$T/ds"
no_partial "$T/ds"
