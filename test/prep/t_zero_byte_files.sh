#!/usr/bin/env bash
# Zero-byte files (alone, and among others) pack, verify and extract.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
mkdir -p "$T/ds/sub"; : > "$T/ds/empty1"; : > "$T/ds/sub/empty2"
for l in 0 6; do
  "$PREP" -q -n 2 -l $l -o "$T/out$l" "$T/ds"
  check_roundtrip "$T/ds" "$T/out$l"
done
[ "$("$PREP" --list "$T/out6" | awk '$1 ~ /^-/ && $2 == 0 && $3 == 0' | wc -l)" = 2 ] || fail "sizes not 0"
gentree "$T/mix" --files 14 --sizes 0,1,5000
"$PREP" -q -n 3 -o "$T/mixout" "$T/mix"
check_roundtrip "$T/mix" "$T/mixout"
