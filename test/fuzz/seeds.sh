#!/usr/bin/env bash
# Make seed corpora for the fuzz targets from real packed data.
# usage: test/fuzz/seeds.sh OUTDIR   (creates OUTDIR/{part,manifest,image,req,chan})
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}; case "$B" in /*) ;; *) B=$TOP/$B ;; esac
out=$1
tmp=$(mktemp -d /tmp/fsseeds.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"/{part,manifest,image,req,chan}
/usr/bin/python3 "$TOP/test/gentree.py" "$tmp/src" --files 12 --dirs 3 --sizes 0,1,100,700,3000 --links --weird
"$TOP/bin/fanstore-prep" -q -n 2 -b d01 -l 6 -o "$tmp/p6" "$tmp/src"
"$TOP/bin/fanstore-prep" -q -n 1 -l 0 -o "$tmp/p0" "$tmp/src"
for d in p6 p0; do
  for f in "$tmp/$d"/fs_*; do cp "$f" "$out/part/$d.$(basename "$f")"; done
  cp "$tmp/$d/fanstore.manifest" "$out/manifest/$d"
  "$B/test/prep/mkimage" "$tmp/$d" "$out/image/$d.img"
  cp "$tmp/$d/fanstore.image" "$out/image/$d.prebuilt"
done
/usr/bin/python3 - "$out/req" <<'PYEOF'
import struct, sys
d = sys.argv[1]
M, V = 0x46535251, 2  # FS_PROTO_MAGIC, FS_PROTO_VERSION
for i, (ent, off, ln) in enumerate([(1, 0, 1), (2, 0, 100), (3, 10, 4096), (4, 0, 1)]):
    open("%s/fetch%d" % (d, i), "wb").write(struct.pack("<IHHQQQQ", M, V, 1, 7, ent, off, ln))
open(d + "/ping", "wb").write(struct.pack("<IHHQQQQ", M, V, 4, 8, 0, 0, 0))
open(d + "/chan", "wb").write(struct.pack("<IHHQQQQ", M, V, 5, 9, 0, 0, 0))
open(d + "/data", "wb").write(struct.pack("<IHHQiIQ", M, V, 2, 0, 0, 0, 0))
open(d + "/verified", "wb").write(struct.pack("<IHHQiIQ", M, V, 2, 0, 0, 1, 0))
open(d + "/error", "wb").write(struct.pack("<IHHQiIQ", M, V, 3, 5, 2, 0, 0))
PYEOF
/usr/bin/python3 - "$out/chan" <<'PYEOF'
import struct, sys
d = sys.argv[1]
M, V, PAGE = 0x4E414843, 2, 4096  # FS_CHAN_MAGIC, FS_PROTO_VERSION, FS_CHAN_PAGE
def size(n, sb):
    return (64 + n * 64 + PAGE - 1) // PAGE * PAGE + n * sb
# (nslots, slot_bytes, memfd size): as the library makes them, at the
# limits, and one byte short of the layout
for i, (n, sb, fs) in enumerate([(8, 32 * PAGE, None), (1, PAGE, None), (64, 8 << 20, None),
                                 (4, 16 * PAGE, -1), (63, PAGE, None)]):
    total = size(n, sb) + (fs or 0)
    hdr = struct.pack("<IHHQI44x", M, V, n, sb, 0)
    open("%s/chan%d" % (d, i), "wb").write(struct.pack("<Q", total) + hdr)
PYEOF
