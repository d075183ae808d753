#!/usr/bin/env bash
# A data directory that is missing, not a dataset, of another format
# version, or with a partition missing, truncated or corrupt (its index,
# when the namespace is built from it; its header): a message
# naming the thing, a non-zero exit on every rank, no hang, an empty cache.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds good 3 -b d01

# bad NAME: a fresh copy of the good dataset at T/NAME.
bad() { rm -rf "$T/$1"; cp -r "$T/good.ds" "$T/$1"; }
# expect_load_fail WHAT TEXT ARGS...: 3 ranks fail, stderr says TEXT.
expect_load_fail() {
  local what=$1 text=$2; shift 2
  run_ranks 3 "$@" -- "$FSREAD" "$T/good.tree"
  all_nonzero
  err_has "$text"
  cache_empty
  ok "$what"
}

expect_load_fail "missing data directory" "$T/missing" --data "$T/missing"
mkdir "$T/empty"
expect_load_fail "not a dataset" "fanstore-prep" --data "$T/empty"

bad oldver
"$PY" - "$T/oldver/fanstore.manifest" <<'PY'
import struct, sys, zlib
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[8:12] = struct.pack("<I", 99)
b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])) & 0xffffffff)
open(p, "wb").write(bytes(b))
PY
expect_load_fail "other format version" "version" --data "$T/oldver"

bad nopart
rm "$T/nopart/fs_0001"
expect_load_fail "missing partition" "fs_0001" --data "$T/nopart"

bad nobcast
rm "$T/nobcast/fs_bcast"
expect_load_fail "missing broadcast partition" "fs_bcast" --data "$T/nobcast"

bad trunc
truncate -s 1000 "$T/trunc/fs_0002"
expect_load_fail "truncated partition" "fs_0002" --data "$T/trunc"
err_has "truncated"

# The index is read at job start only to build the namespace from records,
# when the dataset has no image of its own (t_image: with it, the index is
# not read).
bad corrupt
rm "$T/corrupt/fanstore.image"
"$PY" - "$T/corrupt/fs_0000" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
index_off = struct.unpack_from("<Q", b, 48)[0]
b[index_off + 20] ^= 0xff
open(p, "wb").write(bytes(b))
PY
expect_load_fail "corrupt partition index" "fs_0000" --data "$T/corrupt"

bad hdr
printf 'XXXX' | dd of="$T/hdr/fs_bcast" bs=1 seek=0 conv=notrunc status=none
expect_load_fail "corrupt broadcast partition header" "fs_bcast" --data "$T/hdr"
