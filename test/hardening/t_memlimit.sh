#!/usr/bin/env bash
# A virtual file larger than the reader's memory limit (ulimit -v; a
# 256 MiB file that compresses to a few hundred KiB, read locally on one
# node and remotely on the other): reads fail with ENOMEM ("Cannot allocate
# memory") naming the file, never EIO, an abort or a crash; small files
# still read under the same limit, and without the limit the big file
# reads right.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
[ -z "${FANSTORE_PRELOAD_FIRST:-}" ] || skip "a preloaded runtime (ASan) reserves more address space than ulimit -v allows"
mkdir -p "$T/orig"
truncate -s 256M "$T/orig/big.bin"
echo "small file" >"$T/orig/small.txt"
"$PREP" -q -n 2 -o "$T/data" "$T/orig"
sum=$(md5sum <"$T/orig/big.bin")
cat >"$T/cmd.sh" <<'SH'
big=/fanstore/big.bin
( ulimit -v 120000
  for c in "cat $big" "head -c 10 $big" "md5sum $big"; do
	$c >/dev/null 2>"$0.err.$RANK"; rc=$?
	cat "$0.err.$RANK" >&2
	echo "rank $RANK limited: $c: exit $rc"
	[ $rc -ge 1 ] && [ $rc -lt 128 ] || exit 1
	grep -qE "$big'?: Cannot allocate memory" "$0.err.$RANK" || exit 1
  done
  [ "$(cat /fanstore/small.txt)" = "small file" ] || exit 1
  echo "rank $RANK limited: small file reads" ) || exit 1
[ "$(md5sum <$big)" = "$1" ] || exit 1
echo "rank $RANK unlimited: the big file reads right"
SH
job_exits 2 --data "$T/data" -- bash "$T/cmd.sh" "$sum"
all_exits 0
[ "$(count_of 'unlimited: the big file reads right' "$T/out")" -eq 2 ] || fail "not every rank reported"
ok "a file larger than the memory limit: a clear error, no crash"
cache_empty
