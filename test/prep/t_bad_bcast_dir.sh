#!/usr/bin/env bash
# A broadcast directory that is missing, a file, or outside the dataset is
# refused naming it (both forms); nothing is written.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 6
cd "$T"
expect_msg "-b missing dir" "broadcast directory 'nope'" "$PREP" -n 2 -b nope "$T/ds"
expect_msg "-b a file" "broadcast directory 'f0000.txt'" "$PREP" -n 2 -b f0000.txt "$T/ds"
expect_msg "-b outside" "broadcast directory '../ds'" "$PREP" -n 2 -b ../ds "$T/ds"
no_partial "$T"
cd "$T/ds" && find ./ > file.list
expect_msg "original form, missing val" "broadcast directory 'val'" "$PREP" 2 file.list val
no_partial "$T/ds"
