#!/usr/bin/env bash
# A file over 4 GiB (sparse) packs at level 1, verifies, and lists with its
# exact size; 64-bit sizes and offsets throughout.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
mkdir "$T/ds"
size=$(( (4 << 30) + 4097 ))
truncate -s $size "$T/ds/big.bin"
printf 'tail' | dd of="$T/ds/big.bin" bs=1 seek=$((size - 4)) conv=notrunc status=none
echo small > "$T/ds/small.txt"
"$PREP" -q -n 2 -l 1 -o "$T/out" "$T/ds" || fail "pack"
"$PREP" --list "$T/out" | grep -q "^-.* $size .* big.bin$" || { "$PREP" --list "$T/out"; fail "size not $size"; }
"$PREP" --verify "$T/out" >/dev/null || fail "verify"
ok "4 GiB + 4097 bytes file packed and verified"
