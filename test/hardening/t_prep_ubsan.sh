#!/usr/bin/env bash
# Packing a tree with an empty directory once called qsort(NULL, 0, ...),
# undefined behaviour that UBSan stops on.  Builds fanstore-prep with
# -fsanitize=undefined into $T and packs such a tree (and an empty partition).
. "$(dirname "$0")/../lib.sh"
cc -std=gnu11 -O1 -g -fsanitize=undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I"$TOP/store" \
	-o "$T/prep-ubsan" "$TOP"/prep/*.c "$TOP"/store/*.c -ldeflate -lpthread || fail "building fanstore-prep with UBSan failed"
mkdir -p "$T/orig/empty" "$T/orig/full"
echo data >"$T/orig/full/a.txt"
"$T/prep-ubsan" -q -n 3 -o "$T/data" "$T/orig" || fail "fanstore-prep under UBSan failed on a tree with an empty directory"
ok "fanstore-prep packs a tree with an empty directory without undefined behaviour"
