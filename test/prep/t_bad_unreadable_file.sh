#!/usr/bin/env bash
# A file that cannot be read fails the run naming it (--skip-bad skips it).
# As root, the packer runs as nobody so that mode 000 means unreadable.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
as=()
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || skip "root without setpriv: cannot make a file unreadable"
  as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
chmod 755 "$T"
gentree "$T/ds" --files 6
chmod -R a+rX "$T/ds"
chmod 000 "$T/ds/f0000.txt"
mkdir "$T/w" && chmod 777 "$T/w" && cd "$T/w"
expect_msg "unreadable file" "f0000.txt: Permission denied" "${as[@]}" "$PREP" -n 2 -o "$T/w/out" "$T/ds"
no_partial "$T/w" out
"${as[@]}" "$PREP" -n 2 --skip-bad -o "$T/w/out" "$T/ds" 2>"$T/err" || { cat "$T/err"; fail "--skip-bad"; }
grep -q "skipping f0000.txt" "$T/err" || fail "skip not reported"
"$PREP" --list "$T/w/out" | grep -q f0000.txt && fail "unreadable file was packed"
ok "--skip-bad skips the unreadable file"
