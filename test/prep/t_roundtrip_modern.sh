#!/usr/bin/env bash
# Modern command line: pack a weird tree at levels 0 and 6 into 1, 3 and 8
# partitions, with and without broadcast dirs; extract; compare.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/src" --weird --links --files 40
i=0
for args in "-n 1 -l 0" "-n 3 -l 6 -b d01" "-n 8 -l 6" "-n 3 -l 0 -b d01 -b empty" "-n 1 -l 6 -j 1"; do
  i=$((i + 1))
  # shellcheck disable=SC2086
  "$PREP" $args -q -o "$T/out$i" "$T/src" || fail "pack $args"
  check_roundtrip "$T/src" "$T/out$i"
done
