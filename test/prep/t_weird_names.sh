#!/usr/bin/env bash
# Names with spaces, a newline and non-UTF-8 bytes (modern form) round-trip;
# --list shows them escaped on one line.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
mkdir -p "$T/ds/with space"
echo a > "$T/ds/with space/a b.txt"
echo b > "$T/ds/new
line.txt"
"$PY" -c "import sys; open(sys.argv[1].encode() + b'/caf\xe9\xff.bin', 'wb').write(b'c')" "$T/ds"
"$PREP" -q -n 2 -o "$T/out" "$T/ds"
"$PREP" --list "$T/out" | grep -q ' new\\nline.txt$' || fail "newline not escaped"
"$PREP" --list "$T/out" | grep -q ' caf\\351\\377.bin$' || fail "non-UTF-8 bytes not escaped"
[ "$("$PREP" --list "$T/out" | wc -l)" = 4 ] || fail "one line per entry"
check_roundtrip "$T/ds" "$T/out"
