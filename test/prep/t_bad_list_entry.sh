#!/usr/bin/env bash
# A file.list entry that does not exist fails the run naming it and its line;
# with --skip-bad it is skipped, reported, and the rest is packed.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 8
cd "$T/ds"
find ./ > file.list
echo "./gone/away.txt" >> file.list
expect_msg "listed entry missing" "gone/away.txt: listed on line" "$PREP" 2 file.list NULL
no_partial "$T/ds"
"$PREP" 2 file.list NULL --skip-bad 2>"$T/err" || { cat "$T/err"; fail "--skip-bad run failed"; }
grep -q "skipping gone/away.txt" "$T/err" || { cat "$T/err"; fail "skip not reported"; }
"$PREP" --verify . >/dev/null
[ "$("$PREP" --list . | grep -c f0)" = 8 ] || fail "the 8 files are not all packed"
ok "--skip-bad packs the rest"
