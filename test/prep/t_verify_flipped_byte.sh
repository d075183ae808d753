#!/usr/bin/env bash
# --verify catches one flipped byte in a compressed blob and in a raw blob,
# naming the partition and the file.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/src" --files 10
"$PREP" -q -n 1 -l 6 -o "$T/out" "$T/src"
"$PREP" --verify "$T/out" >/dev/null || fail "clean dataset does not verify"
cp -a "$T/out" "$T/good"
# blob_mid FILE: offset of the middle of FILE's blob in fs_0000
blob_mid() {
  "$PY" - "$T/out/fs_0000" "$1" <<'PYEOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
nent, ioff = struct.unpack_from("<QQ", b, 40)
noff = struct.unpack_from("<Q", b, 64)[0]
for i in range(nent):
    e = ioff + 64 * i
    no, nl = struct.unpack_from("<QI", b, e)
    n = b[noff + no:noff + no + nl]
    if n == sys.argv[2].encode() or n.endswith(b"/" + sys.argv[2].encode()):
        data_off, stored = struct.unpack_from("<Q", b, e + 32)[0], struct.unpack_from("<Q", b, e + 24)[0]
        print(data_off + stored // 2)
PYEOF
}
# one compressed text file, one raw random file
for f in f0004.txt f0005.bin; do
  rm -rf "$T/out"; cp -a "$T/good" "$T/out"
  off=$(blob_mid "$f")
  [ -n "$off" ] || fail "$f not found in the index"
  printf '\x5a' | dd of="$T/out/fs_0000" bs=1 seek="$off" conv=notrunc status=none
  expect_msg "verify with a flipped byte in $f" "fs_0000: .*$f" "$PREP" --verify "$T/out"
done
# both at once: every damaged file is named, whatever the threads
rm -rf "$T/out"; cp -a "$T/good" "$T/out"
for f in f0004.txt f0005.bin; do
  printf '\x5a' | dd of="$T/out/fs_0000" bs=1 seek="$(blob_mid "$f")" conv=notrunc status=none
done
for j in 1 2; do
  expect_msg "verify -j $j with two damaged files" "2 problems found" "$PREP" -j $j --verify "$T/out"
  grep -q f0004.txt "$T/err" && grep -q f0005.bin "$T/err" || { cat "$T/err"; fail "not both named"; }
done
