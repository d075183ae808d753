#!/usr/bin/env bash
# Original command line: NPART file.list val|NULL [pack_LEVEL] in the dataset
# root, list lines with and without ./; output in the current directory.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ref" --weird --links --files 40
rm "$T/ref"/new*line.txt        # a find(1) listing cannot carry a newline
i=0
for args in "1 file.list NULL pack_0" "3 file.list d01 pack_6" "8 file.list NULL 6" "2 file.list d01"; do
  i=$((i + 1)); d=$T/ds$i
  cp -a "$T/ref" "$d"
  ( cd "$d" && find ./ > file.list
    [ $i -eq 3 ] && sed -i 's|^\./||' file.list
    # shellcheck disable=SC2086
    "$PREP" $args -q ) || fail "pack $args"
  mkdir "$T/pk$i" && mv "$d"/fs_* "$d"/fanstore.manifest "$d"/fanstore.image "$T/pk$i/" && rm "$d/file.list"
  touch -r "$T/ref" "$d"
  check_roundtrip "$d" "$T/pk$i"
done
