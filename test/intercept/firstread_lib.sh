#!/usr/bin/env bash
# firstread_lib.sh [REPS] [OLDLIB] - the read path end to end: fresh
# processes each reading every file of a tree once (readbench read, one
# pass), natively on /dev/shm and through libfanstore on a job directory
# of stored (raw) files, 2,000 files of 108 KB and 20,000 of 4 KB.
# "first": the node's verified map removed before the run (nothing checked
# yet: a new job's first epoch); "later": left as the previous run made it.
# With OLDLIB (another build's libfanstore.so) that library is measured
# too, in the same alternation.  Prints medians and ranges in files/s,
# and of the reader's CPU time per file (steadier on a busy machine).
# SIZES="BYTES:COUNT ..." chooses other trees.
# Not a test: the figures of docs/performance.md, "The read path".
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BD=$TOP/${B:-build}
RB=$BD/test/intercept/readbench
MKJOB=$BD/test/intercept/mkjob
REPS=${1:-5}
OLD=${2:-}
W=/dev/shm/firstread_lib.$$
trap 'rm -rf "$W"' EXIT
mkdir -p "$W"
# "FILES/S MB/S CPU": CPU as the reader's user + system time per file, in
# us (process start and list loading included: the same for every reader)
cpu() {
  local TIMEFORMAT="%3U %3S"
  { time "$@" >"$W/rate"; } 2>"$W/time"
  echo "$(cat "$W/rate") $(awk -v n="$n" '{ printf "%.2f", ($1 + $2) * 1e6 / n }' "$W/time")"
}
libs="new=$TOP/lib/libfanstore.so${OLD:+ old=$OLD}"
for spec in ${SIZES:-110592:2000 4096:20000}; do
  size=${spec%:*} n=${spec#*:}
  python3 - "$W/src" "$size" "$n" <<'PY'
import os, sys
d, size, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    sub = os.path.join(d, "d%02d" % (i % 50))
    os.makedirs(sub, exist_ok=True)
    open(os.path.join(sub, "f%06d" % i), "wb").write(os.urandom(size))
PY
  "$MKJOB" -l 0 "$W/src" "$W/job"
  (cd "$W/src" && find . -type f | sed "s|^\.|$W/src|") >"$W/native.list"
  sed "s|^$W/src|/fanstore|" "$W/native.list" >"$W/virt.list"
  for r in $(seq "$REPS"); do
    echo "$size native $(cpu "$RB" read "$W/native.list" 0.000001)" >>"$W/out"
    for l in $libs; do
      rm -f "$W/job/verified"
      for phase in first later; do
        echo "$size ${l%%=*}-$phase $(FANSTORE_JOBDIR=$W/job FANSTORE_MOUNT=/fanstore LD_PRELOAD=${l#*=} \
          cpu "$RB" read "$W/virt.list" 0.000001)" >>"$W/out"
      done
    done
  done
  rm -rf "$W/src" "$W/job"
done
python3 "$(dirname "$0")/medians.py" "$W/out" "files/s" "MB/s" "cpu us"
