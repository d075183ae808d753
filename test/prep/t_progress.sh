#!/usr/bin/env bash
# Progress (files, MB, rate, time left) goes to stderr on a terminal or with
# --progress; nothing of it otherwise, and -q silences everything but errors.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 20
"$PREP" -n 2 -o "$T/a" "$T/ds" 2>"$T/err.plain"
grep -q 'files .* MB/s' "$T/err.plain" && fail "progress printed to a non-terminal"
grep -q 'fanstore-prep: .*20 files' "$T/err.plain" || { cat "$T/err.plain"; fail "no summary line"; }
"$PREP" -n 2 --progress -o "$T/b" "$T/ds" 2>"$T/err.prog"
grep -q '20/20 files .* MB/s .* left' "$T/err.prog" || { cat "$T/err.prog"; fail "--progress printed no progress"; }
"$PREP" -q -n 2 -o "$T/c" "$T/ds" 2>"$T/err.q"
[ ! -s "$T/err.q" ] || { cat "$T/err.q"; fail "-q printed something"; }
if command -v script >/dev/null; then
  script -qec "$PREP -n 2 -o $T/d $T/ds" /dev/null >"$T/tty.out" 2>&1 || fail "pack on a terminal"
  grep -q '20/20 files' "$T/tty.out" || { cat "$T/tty.out"; fail "no progress on a terminal"; }
  ok "progress on a terminal"
fi
ok "progress only when asked or on a terminal"
