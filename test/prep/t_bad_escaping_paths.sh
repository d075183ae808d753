#!/usr/bin/env bash
# file.list paths that escape the dataset (.., absolute outside) are refused
# naming them; an absolute path inside the root is accepted.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 4
echo secret > "$T/outside.txt"
cd "$T/ds"
printf './f0000.txt\n../outside.txt\n' > l1
expect_msg "../ escape" "../outside.txt.*escapes" "$PREP" 2 l1 NULL
printf './f0000.txt\nd00/../../outside.txt\n' > l2
expect_msg "nested .. escape" "escapes" "$PREP" 2 l2 NULL
printf '%s\n' ./f0000.txt "$T/outside.txt" > l3
expect_msg "absolute path outside" "$T/outside.txt.*outside the dataset" "$PREP" 2 l3 NULL
no_partial "$T/ds"
printf '%s\n' "$T/ds/f0000.txt" > l4
"$PREP" -q 1 l4 NULL || fail "absolute path inside the root refused"
"$PREP" --list . | grep -q ' f0000.txt$' || fail "f0000.txt not packed"
ok "absolute path inside the root packed"
