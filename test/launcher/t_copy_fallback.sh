#!/usr/bin/env bash
# Where sendfile cannot copy a partition (a file system without splice:
# EINVAL, made here by a shim preloaded into the launcher), the launcher
# copies it with read and write instead, and every file reads back byte
# for byte, with the dataset's image and without it (whole partitions).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
SHIM=$B/test/launcher/shim_nosendfile.so
[ -f "$SHIM" ] || fail "build first: $SHIM missing (make tests)"
mkds cf 3
cp -r "$T/cf.ds" "$T/old.ds"
rm "$T/old.ds/fanstore.image"
for ds in cf old; do
  : >"$T/log"
  : >"$T/exits"
  timeout -k 5 120 $MPIRUN -np 2 sh -c \
    'LD_PRELOAD=$0 SHIM_NOSENDFILE_LOG='"$T"'/log "$@"; echo $? >>"'"$T"'/exits"' \
    "$SHIM" "$EXEC" --data "$T/$ds.ds" -- "$FSREAD" "$T/cf.tree" >"$T/out" 2>&1 || true
  cat "$T/out"
  all_exits 0
  [ "$(count_of ' 0 mismatches' "$T/out")" -eq 2 ] || fail "$ds: not every reader matched"
  # one refused call per partition copied from the dataset: 3
  [ "$(wc -l <"$T/log")" -eq 3 ] || fail "$ds: expected 3 refused sendfile calls, got $(wc -l <"$T/log")"
  ok "$ds: partitions copied with read and write where sendfile cannot"
done
cache_empty
