#!/usr/bin/env bash
# bench_start.sh [--quick]: what loading libfanstore adds to a new process
# (a DataLoader worker is one, every epoch), with a metadata image of
# 1,000,000 files, against the same program without the library:
#   start1m         ms of wall time to run /bin/true, and start1m_cpu its
#                   user + system CPU time (steadier on a busy machine)
#   start1m_python  ms of wall time to run `python3 -c pass`
# Each process is started with posix_spawn and waited for; with and without
# the library alternate (test/bench/spawntime.py).  Floors (issue 10): at
# most 5 ms added to /bin/true, python3 within 10%.
ME=bench_start
. "$(dirname "$0")/lib.sh"
MKMETA=$TOP/$B/test/launcher/mkmeta
MKIMAGE=$TOP/$B/test/prep/mkimage
need "$LIB" "$MKMETA" "$MKIMAGE"
if [ "${1:-}" = --quick ]; then reps=10; else reps=40; fi
N=1000000
W=$(mktemp -d /dev/shm/fanstore-bench-start.XXXXXX)
trap 'rm -rf "$W"' EXIT
# the dataset is kept between runs (it takes a few seconds to make); the
# image is made afresh, as each job does
D=$TOP/$B/bench/start
[ -f "$D/meta1m/fanstore.manifest" ] || { rm -rf "$D/meta1m"; mkdir -p "$D"; "$MKMETA" "$D/meta1m" $N 4 || die "mkmeta could not make $D/meta1m"; }
mkdir -p "$W/job"
"$MKIMAGE" "$D/meta1m" "$W/job/meta.img" || die "mkimage could not build the image"
# the library must see the image, or it would measure an inert library
FANSTORE_JOBDIR=$W/job LD_PRELOAD=$LIB "$PY" -c "
import os, sys
n = len(os.listdir('/fanstore/train'))
sys.exit(0 if n > 0 else 1)" || die "the library did not mount the image"

run() { "$PY" test/bench/spawntime.py "$@"; }
run --wall start1m --cpu start1m_cpu "$LIB" "$reps" fanstore="$W/job" native -- /bin/true
run --wall start1m_python "$LIB" "$reps" fanstore="$W/job" native -- "$PY" -c pass
