#!/usr/bin/env bash
# SIGTERM or SIGINT in the middle of a pack leaves no output and no
# temporary directory behind.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
mkdir "$T/ds"
truncate -s 3G "$T/ds/big.bin"     # slow to compress at level 12 on one thread
echo small > "$T/ds/a.txt"
cd "$T"
for sig in TERM INT; do
  "$PREP" -q -n 2 -l 12 -j 1 -o "$T/out" "$T/ds" & pid=$!
  for _ in $(seq 200); do compgen -G "$T/out.tmp.*/fs_0000" >/dev/null && break; sleep 0.05; done
  compgen -G "$T/out.tmp.*" >/dev/null || fail "no temporary directory seen while packing"
  kill -$sig $pid
  rc=0; wait $pid || rc=$?
  [ $rc -ne 0 ] || fail "SIG$sig: pack finished before the signal; make the input slower"
  [ ! -e "$T/out" ] || fail "SIG$sig: output left"
  ! compgen -G "$T/out.tmp.*" >/dev/null || fail "SIG$sig: temporary directory left: $(ls -d "$T"/out.tmp.*)"
  ok "SIG$sig cleans up (exit $rc)"
done
