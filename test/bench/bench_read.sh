#!/usr/bin/env bash
# bench_read.sh [--quick]: libfanstore's read path against its baselines,
# all with the same reader program (test/intercept/readbench) in one run:
#   read100k, read4k  shuffled open+fstat+read-all+close, files/s: FanStore
#                     (job directory in /dev/shm) vs the same files in native
#                     /dev/shm vs a squashfuse mount of them (skipped with a
#                     note where FUSE does not work)
#   stat              stat() per second over the 4 KB files
#   readdir20k        entries/s of whole readdir passes over 20,000 entries
#   deflate100k       MB/s of compressed (level 6) 100 KB files read through
#                     FanStore vs libdeflate decompressing the same blobs
#   outside_stat, outside_read4k
#                     calls on /dev/shm paths (outside the prefix) with the
#                     library preloaded vs without it
# Steady state: every reader runs once unmeasured first.
# Floors (issue 4): read100k >= 1.2x tmpfs, read4k >= 2x, stat >= 4x,
# >= 10x squashfuse for 4 KB and 5x for 100 KB, deflate >= 80% of plain
# libdeflate, < 5% added outside the prefix.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
B=${B:-build}
PY=/usr/bin/python3
RB=$TOP/$B/test/intercept/readbench
MK=$TOP/$B/test/intercept/mkjob
LIB=$TOP/lib/libfanstore.so
MNT=/fanstore
line() { "$PY" test/bench/report.py line "$@"; }
for f in "$RB" "$MK" "$LIB"; do
	[ -e "$f" ] || { echo "bench_read: $f is missing: run make tests" >&2; exit 1; }
done
if [ "${1:-}" = --quick ]; then
	reps=3 secs=0.3 n100k=600 n4k=3000 ndir=20000 ncomp=200
else
	reps=5 secs=2 n100k=5000 n4k=20000 ndir=20000 ncomp=1000
fi
W=$(mktemp -d /dev/shm/fanstore-bench-read.XXXXXX)
SQ=
cleanup() {
	[ -n "$SQ" ] && { fusermount -u "$SQ" 2>/dev/null || umount "$SQ" 2>/dev/null || true; }
	rm -rf "$W"
}
trap cleanup EXIT

# trees: random (incompressible) 100 KB and 4 KB files, a flat 20k directory,
# text-like 100 KB files for the compressed case
"$PY" - "$W" "$n100k" "$n4k" "$ndir" "$ncomp" <<'PY'
import os, random, sys
w, n100k, n4k, ndir, ncomp = sys.argv[1], *map(int, sys.argv[2:])
rng = random.Random(7)
def tree(name, n, make):
    for i in range(n):
        d = os.path.join(w, name, "d%03d" % (i % 50))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "f%06d" % i), "wb") as f:
            f.write(make(i))
tree("t100k", n100k, lambda i: rng.randbytes(102400))
tree("t4k", n4k, lambda i: rng.randbytes(4096))
words = b"the quick brown fox jumps over a lazy dog while training data flows".split()
def text(i):
    out = bytearray()
    while len(out) < 102400:
        out += rng.choice(words) + b" "
    return bytes(out[:102400])
tree("tcomp", ncomp, text)
os.makedirs(os.path.join(w, "tdir", "big"))
for i in range(ndir):
    open(os.path.join(w, "tdir", "big", "e%06d" % i), "wb").close()
PY
for t in t100k t4k tdir; do "$MK" "$W/$t" "$W/j_$t"; done
"$MK" -l 6 "$W/tcomp" "$W/j_tcomp"
for t in t100k t4k tcomp; do
	find "$W/$t" -type f | sort >"$W/$t.native"
	sed "s|^$W/$t|$MNT|" "$W/$t.native" >"$W/$t.fanstore"
done
head -n 64 "$W/t4k.native" >"$W/outside.list"

fan() { local job=$1; shift; FANSTORE_JOBDIR=$W/$job FANSTORE_MOUNT=$MNT LD_PRELOAD=$LIB "$@"; }
# measure NAME-OF-ARRAY CMD...: reps values of the first number CMD prints
measure() {
	local -n acc=$1
	shift
	acc=()
	for _ in $(seq "$reps"); do acc+=("$("$@" | awk '{print $1}')"); done
}
measure2() {   # the second number (MB/s of the read mode)
	local -n acc=$1
	shift
	acc=()
	for _ in $(seq "$reps"); do acc+=("$("$@" | awk '{print $2}')"); done
}

# squashfuse of the same trees, when FUSE works here
squash=0
if command -v mksquashfs >/dev/null && command -v squashfuse_ll >/dev/null && [ -e /dev/fuse ]; then
	mkdir -p "$W/sqroot/t100k" "$W/sqroot/t4k" "$W/sq"
	cp -r "$W/t100k/." "$W/sqroot/t100k/" && cp -r "$W/t4k/." "$W/sqroot/t4k/"
	if mksquashfs "$W/sqroot" "$W/img.sq" -noappend -quiet -no-progress >/dev/null 2>&1 &&
	   squashfuse_ll "$W/img.sq" "$W/sq" 2>/dev/null; then
		SQ=$W/sq
		squash=1
		for t in t100k t4k; do sed "s|^$W/$t|$SQ/$t|" "$W/$t.native" >"$W/$t.squash"; done
	fi
fi
[ $squash = 1 ] || echo "squashfuse: not measured (FUSE or squashfs-tools not usable here)"

# each reader runs once unmeasured first: page cache and, for FanStore, the
# node's one-time crc check of raw blobs (JOBDIR/verified) are warm alike
for t in t100k t4k; do
	g=read${t#t}
	fan "j_$t" "$RB" read "$W/$t.fanstore" "$secs" >/dev/null
	"$RB" read "$W/$t.native" "$secs" >/dev/null
	measure fs fan "j_$t" "$RB" read "$W/$t.fanstore" "$secs"
	measure nat "$RB" read "$W/$t.native" "$secs"
	echo "$g files/s: fanstore ${fs[*]}  tmpfs ${nat[*]}"
	line "$g" fanstore files/s "${fs[@]}"
	line "$g" tmpfs files/s "${nat[@]}"
	if [ $squash = 1 ]; then
		"$RB" read "$W/$t.squash" "$secs" >/dev/null   # warm
		measure sq "$RB" read "$W/$t.squash" "$secs"
		echo "$g files/s: squashfuse ${sq[*]}"
		line "$g" squashfuse files/s "${sq[@]}"
	fi
done

measure fs fan j_t4k "$RB" stat "$W/t4k.fanstore" "$secs"
measure nat "$RB" stat "$W/t4k.native" "$secs"
echo "stat/s: fanstore ${fs[*]}  tmpfs ${nat[*]}"
line stat fanstore calls/s "${fs[@]}"
line stat tmpfs calls/s "${nat[@]}"

measure fs fan j_tdir "$RB" readdir "$MNT/big" "$secs"
measure nat "$RB" readdir "$W/tdir/big" "$secs"
echo "readdir entries/s: fanstore ${fs[*]}  tmpfs ${nat[*]}"
line readdir20k fanstore entries/s "${fs[@]}"
line readdir20k tmpfs entries/s "${nat[@]}"

measure2 fs fan j_tcomp "$RB" read "$W/tcomp.fanstore" "$secs"
measure plain "$RB" inflate "$W/j_tcomp/fs_0000" "$secs"
echo "compressed MB/s: fanstore ${fs[*]}  libdeflate ${plain[*]}"
line deflate100k fanstore MB/s "${fs[@]}"
line deflate100k libdeflate MB/s "${plain[@]}"

# outside the prefix: interleave the two so drift hits both alike
a=() b=() c=() d=()
for _ in $(seq "$reps"); do
	a+=("$(fan j_t4k "$RB" stat "$W/outside.list" "$secs")")
	b+=("$("$RB" stat "$W/outside.list" "$secs")")
	c+=("$(fan j_t4k "$RB" read "$W/t4k.native" "$secs" | awk '{print $1}')")
	d+=("$("$RB" read "$W/t4k.native" "$secs" | awk '{print $1}')")
done
echo "outside stat/s: preloaded ${a[*]}  plain ${b[*]}"
echo "outside 4 KB files/s: preloaded ${c[*]}  plain ${d[*]}"
line outside_stat fanstore calls/s "${a[@]}"
line outside_stat plain calls/s "${b[@]}"
line outside_read4k fanstore files/s "${c[@]}"
line outside_read4k plain files/s "${d[@]}"
