#!/usr/bin/env bash
# firstread.sh [DIR] [REPS] - run test/intercept/firstread's methods in
# fresh processes, alternating, over 2,000 blobs of 108 KB and 20,000 of
# 4 KB under DIR (default /dev/shm), and print each method's median and
# range in us per blob (wall clock, and the process's CPU time, steadier on
# a busy machine).  SIZES="BYTES:COUNT ..." and METHODS choose others.
# Not a test: the figures of docs/performance.md, "The read path".
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FR=$TOP/${B:-build}/test/intercept/firstread
DIR=${1:-/dev/shm}/firstread.$$
REPS=${2:-5}
METHODS=${METHODS:-native pread pread_crc map map_populate map_madv map_crc}
[ -x "$FR" ] || { echo "build first: $FR (make tests)"; exit 1; }
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR"
for spec in ${SIZES:-110592:2000 4096:20000}; do
  size=${spec%:*} n=${spec#*:}
  pack=$DIR/pack.$size
  head -c $((size * n)) /dev/urandom >"$pack"
  mkdir "$pack.d"
  python3 - "$pack" "$size" "$n" <<'PY'
import sys
p, size, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(p, "rb") as f:
    for i in range(n):
        open("%s.d/%d" % (p, i), "wb").write(f.read(size))
PY
  for r in $(seq "$REPS"); do
    for m in $METHODS; do
      "$FR" "$m" "$pack" "$size" 2 2>/dev/null |
        sed -n "s/^\([a-z_]*\) pass \([0-9]\): \([0-9.]*\) us\/blob, cpu \([0-9.]*\)$/$size \1-\2 \3 \4/p" >>"$DIR/out"
    done
  done
  rm -rf "$pack" "$pack.d"
done
python3 "$(dirname "$0")/medians.py" "$DIR/out" "wall us" "cpu us"
