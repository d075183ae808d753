#!/usr/bin/env bash
# bench_start.sh [--quick]: what loading libfanstore adds to a new process
# (a DataLoader worker is one, every epoch), with a metadata image of
# 1,000,000 files, against the same program without the library:
#   start1m         ms of wall time to run /bin/true, and start1m_cpu its
#                   user + system CPU time (steadier on a busy machine)
#   start1m_python  ms of wall time to run `python3 -c pass`
# Each process is started with posix_spawn and waited for; with and without
# the library alternate.  Floors (issue 10): at most 5 ms added to /bin/true,
# python3 within 10%.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
B=${B:-build}
PY=/usr/bin/python3
LIB=$TOP/lib/libfanstore.so
MKMETA=$TOP/$B/test/launcher/mkmeta
MKIMAGE=$TOP/$B/test/prep/mkimage
line() { "$PY" test/bench/report.py line "$@"; }
for f in "$LIB" "$MKMETA" "$MKIMAGE"; do
	[ -e "$f" ] || { echo "bench_start: $f is missing: run make tests" >&2; exit 1; }
done
if [ "${1:-}" = --quick ]; then reps=10; else reps=40; fi
N=1000000
W=$(mktemp -d /dev/shm/fanstore-bench-start.XXXXXX)
trap 'rm -rf "$W"' EXIT
# the dataset is kept between runs (it takes a few seconds to make); the
# image is made afresh, as each job does
D=$TOP/$B/bench/start
[ -f "$D/meta1m/fanstore.manifest" ] || { rm -rf "$D/meta1m"; mkdir -p "$D"; "$MKMETA" "$D/meta1m" $N 4; }
mkdir -p "$W/job"
"$MKIMAGE" "$D/meta1m" "$W/job/meta.img"
# the library must see the image, or it would measure an inert library
FANSTORE_JOBDIR=$W/job LD_PRELOAD=$LIB "$PY" -c "
import os, sys
n = len(os.listdir('/fanstore/train'))
sys.exit(0 if n > 0 else 1)" || { echo "bench_start: the library did not mount the image" >&2; exit 1; }

# run REPS CMD...: three lines "wall|cpu|... NAME v1 v2 ..." (ms)
run() {
	"$PY" - "$LIB" "$W/job" "$@" <<'PY'
import os, sys, time
lib, job, reps, cmd = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
base = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FANSTORE_JOBDIR")}
sides = [("fanstore", dict(base, LD_PRELOAD=lib, FANSTORE_JOBDIR=job)), ("native", base)]
out = {(k, n): [] for k in ("wall", "cpu") for n, _ in sides}
for _ in range(reps):
    for name, env in sides:
        t = time.perf_counter()
        pid = os.posix_spawn(cmd[0], cmd, env)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t
        if status != 0:
            sys.exit("bench_start: %s exited with status %d" % (" ".join(cmd), status))
        out[("wall", name)].append(wall * 1e3)
        out[("cpu", name)].append((ru.ru_utime + ru.ru_stime) * 1e3)
for (kind, name), v in out.items():
    print(kind, name, " ".join("%.4f" % x for x in v))
PY
}

report() { # report GROUP KIND < lines of run
	local group=$1 kind=$2 k n vals
	while read -r k n vals; do
		[ "$k" = "$kind" ] || continue
		# shellcheck disable=SC2086
		line "$group" "$n" ms $vals
	done
}

run "$reps" /bin/true >"$W/true"
report start1m wall <"$W/true"
report start1m_cpu cpu <"$W/true"
run "$reps" "$PY" -c pass >"$W/python"
report start1m_python wall <"$W/python"
