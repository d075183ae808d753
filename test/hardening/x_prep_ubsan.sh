#!/usr/bin/env bash
# Known bug (fanstore-prep): packing a tree with an empty directory calls
# qsort(NULL, 0, ...) (prep/scan.c, walk), undefined behaviour that UBSan
# reports as "null pointer passed as argument 1, which is declared to never
# be null"; it stops `make asan` at its first fanstore-prep run.  Builds
# fanstore-prep with -fsanitize=undefined into $T and packs such a tree.
. "$(dirname "$0")/../lib.sh"
cc -std=gnu11 -O1 -g -fsanitize=undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I"$TOP/store" \
	-o "$T/prep-ubsan" "$TOP"/prep/*.c "$TOP"/store/*.c -ldeflate -lpthread || fail "building fanstore-prep with UBSan failed"
mkdir -p "$T/orig/empty" "$T/orig/full"
echo data >"$T/orig/full/a.txt"
"$T/prep-ubsan" -q -n 1 -o "$T/data" "$T/orig" || fail "fanstore-prep under UBSan failed on a tree with an empty directory"
ok "fanstore-prep packs a tree with an empty directory without undefined behaviour"
