#!/usr/bin/env bash
# A pack writes the dataset's namespace image (fanstore.image, readable like
# the partitions); --verify checks it and names it when it is damaged (body
# or header), of another dataset, or of another packing; --image rebuilds it
# byte for byte; a dataset without one (older releases) still verifies.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
FLIP="$PY $TOP/test/launcher/flip.py"
gentree "$T/src" --weird --links --files 40
umask 022
"$PREP" -q -n 3 -b d01 -o "$T/out" "$T/src"
img=$T/out/fanstore.image
[ -f "$img" ] || fail "no fanstore.image in the output"
[ "$(stat -c %a "$img")" = 644 ] || fail "fanstore.image has mode $(stat -c %a "$img"), expected 644 (umask 022)"
"$PREP" --verify "$T/out" >"$T/v" || fail "a fresh dataset does not verify"
grep -qx "$img: OK: 47 files and symlinks, checksum matches" "$T/v" || fail "--verify did not check the image: $(cat "$T/v")"
ok "pack writes fanstore.image, and --verify checks it"
cp "$img" "$T/good.image"

# damage DESC TEXT: --verify fails naming the image, what is wrong, the fix;
# --image then rebuilds the very same file.
damage() {
  expect_msg "$1" "$img: $2: rebuild it with fanstore-prep --image $T/out" "$PREP" --verify "$T/out"
  grep -q "1 problem found" "$T/err" || fail "$1: expected exactly one problem: $(cat "$T/err")"
  "$PREP" --image "$T/out" || fail "--image failed"
  cmp "$img" "$T/good.image" || fail "--image did not rebuild the same image"
  "$PREP" -q --verify "$T/out" || fail "the rebuilt image does not verify"
}
$FLIP "$img" @-3
damage "a flipped byte in the image's names" "body checksum mismatch (damaged)"
$FLIP "$img" @$(( $(stat -c %s "$img") / 2 ))
damage "a flipped byte in the middle of the image" "body checksum mismatch (damaged)"
$FLIP "$img" @40
damage "a flipped byte in the image's header" "metadata image header damaged"
truncate -s -64 "$img"
damage "a truncated image" "metadata image truncated: [0-9]* of [0-9]* bytes"

gentree "$T/other" --files 5 --seed 3
"$PREP" -q -n 3 -b d01 -o "$T/other.ds" "$T/other"
cp "$T/other.ds/fanstore.image" "$img"
damage "another dataset's image" "built for another dataset (id [0-9a-f]*, the manifest says [0-9a-f]*)"
"$PREP" -q -n 3 -b d01 -l 0 -o "$T/stored" "$T/src"
cp "$T/stored/fanstore.image" "$img"
damage "another packing's image" "built for another packing of this dataset (manifest crc [0-9a-f]*, the manifest.s is [0-9a-f]*)"

rm "$img"
"$PREP" --verify "$T/out" >"$T/v" || fail "a dataset without an image does not verify"
grep -q "no fanstore.image: .*fanstore-prep --image $T/out adds it" "$T/v" || fail "no note on the missing image: $(cat "$T/v")"
"$PREP" --image "$T/out" && cmp "$img" "$T/good.image" || fail "--image did not add the same image"
ok "a dataset without an image verifies, and --image adds it"
expect_msg "--image on no dataset" "fanstore.manifest" "$PREP" --image "$T/src"
[ ! -e "$T/src/fanstore.image" ] || fail "--image wrote into a directory that is no dataset"
