#!/usr/bin/env bash
# The original form's pack levels map onto libdeflate levels as documented:
# pack_0 stores, pack_1..9 are levels 1..9, pack_10 and above level 12,
# a bare number works alike, no level means 6.  Same output byte for byte.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 12 --sizes 5000,40000
for pair in pack_0:0 pack_3:3 pack_10:12 pack_15:12 7:7 none:6; do
  lv=${pair%%:*}; want=${pair#*:}
  rm -rf "$T/m" "$T/w"; mkdir "$T/w"
  "$PREP" -q -n 2 -l "$want" -o "$T/m" "$T/ds"
  cp -a "$T/ds" "$T/w/ds"; ( cd "$T/w/ds" && find ./ > file.list
    if [ "$lv" = none ]; then "$PREP" -q 2 file.list NULL; else "$PREP" -q 2 file.list NULL "$lv"; fi )
  for f in fs_0000 fs_0001 fanstore.manifest; do
    cmp -s "$T/m/$f" "$T/w/ds/$f" || fail "$lv: $f differs from -l $want"
  done
  ok "$lv = -l $want"
done
expect_msg "bad pack level" "pack level 'pack_x'" "$PREP" 2 "$T/w/ds/file.list" NULL pack_x
