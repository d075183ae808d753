#!/usr/bin/env bash
# bench_readers10m.sh: readers under libfanstore with a metadata image of
# 10,000,000 files ("fanstore") against the same readers with one of
# 1,000,000 ("1m-image"), the two alternating (issue 13: within 20%, the
# path lookup must not degrade with the namespace).  Both datasets are
# mkmeta's (-b 300 -c 21000: 300-byte files under 21,000 ImageNet-21k-like
# class directories, 2 partitions), made once into build/bench/mkmeta/
# (minutes at 10M) and reused; the images are built afresh each run into
# job directories in /dev/shm, the default cache (4 KiB pages there, unless
# the tmpfs is mounted with huge=: a fresh process maps the image's pages
# as it touches them, which costs more at 10M).
#   load10m        ns of one load at a random 64-byte line of the image, in
#                  a fresh process (memload: 200,000 dependent loads, the
#                  process's first touch of those pages), and load10m_warm
#                  the same loads again: the floor under any lookup, which
#                  must read the image at least once in a place no earlier
#                  lookup chose (scaling.md: why stat10m cannot be within
#                  20% of the 1M image here); load10m_part (_warm) the same
#                  in the first partition (2.2 GB at 10M, 0.22 GB at 1M),
#                  which a read adds
#   stat10m        stat() calls/s over 200,000 random paths, one pass in a
#                  fresh process (the image's pages not yet mapped in it),
#                  by wall time; stat10m_cpu the same pass by the process's
#                  CPU time (steadier on a busy machine); stat10m_warm the
#                  same paths again in that process, by wall time
#   read10m        open + read + close files/s over the same paths, every
#                  byte checked (mkmeta -r), and read10m_cpu, read10m_warm
#   scandir21k10m  ms of one os.scandir() of imagenet21k/train (21,000
#                  class directories), the first in a fresh process, and
#                  scandir21k10m_warm the median of 5 more; every name and
#                  d_type checked; also the same 21,000 directories on tmpfs
#   start10m       ms of wall time to run /bin/true with the 10M image
#                  ("fanstore"), without the library ("native") and with
#                  the 1M image ("fanstore-1m"); start10m_cpu its user +
#                  system CPU time, start10m_python `python3 -c pass`.
#                  Bound (issue 10): at most 5 ms over native for
#                  /bin/true, python3 within 10%.
# Full runs only: with --quick it prints a note and no figure.
ME=bench_readers10m
. "$(dirname "$0")/lib.sh"
MKMETA=$TOP/$B/test/launcher/mkmeta
MKIMAGE=$TOP/$B/test/prep/mkimage
MEMLOAD=$TOP/$B/test/bench/memload
need "$LIB" "$MKMETA" "$MKIMAGE" "$MEMLOAD"
if [ "${1:-}" = --quick ]; then
	echo "bench_readers10m: full make bench only (the 10M-file dataset takes minutes to make)"
	exit 0
fi
reps=5 sample=200000 classes=21000
GEN=(-b 300 -c "$classes")

# dataset N: the directory of the N-file dataset, made when missing (under
# a temporary name first, so an interrupted run leaves no half dataset)
dataset() {
	local d=$TOP/$B/bench/mkmeta/b300-c$classes-n$1-p2
	if [ ! -f "$d/fanstore.manifest" ]; then
		rm -rf "$d" "$d.tmp"
		mkdir -p "${d%/*}"
		echo "bench_readers10m: making $d" >&2
		"$MKMETA" "${GEN[@]}" "$d.tmp" "$1" 2 || die "mkmeta could not make $d"
		mv "$d.tmp" "$d"
	fi
	echo "$d"
}
W=$(mktemp -d /dev/shm/fanstore-bench-readers10m.XXXXXX)
trap 'rm -rf "$W"' EXIT
# a job directory a size: the image, and the partitions where they lie
declare -A N=([10m]=10000000 [1m]=1000000)
for k in 10m 1m; do
	ds=$(dataset "${N[$k]}")
	mkdir "$W/$k"
	ln -s "$ds"/fs_0000 "$ds"/fs_0001 "$W/$k/"
	"$MKIMAGE" "$ds" "$W/$k/meta.img" || die "mkimage could not build the $k image"
done
fan() { local k=$1; shift; FANSTORE_JOBDIR=$W/$k FANSTORE_MOUNT=$MNT LD_PRELOAD=$LIB "$@"; }

# ---- stat and open + read: R_RATES gets "WALL CPU WARM", the first pass's
# rates by wall and by CPU time, and the second pass's by wall time
reader() {
	local k=$1 mode=$2 out
	out=$(fan "$k" "$MKMETA" "${GEN[@]}" -r "$MNT" -s $sample -R 1 -m "$mode" -t -p 2 "${N[$k]}") ||
		die "$mode with the $k image: $out"
	case "$out" in
		"$((2 * sample)) files checked, 0 wrong; pass 1: "*) ;;
		*) die "$mode with the $k image: $out" ;;
	esac
	R_RATES=$(echo "$out" | awk -v n=$sample '{ print n / $8, n / $10, n / $15 }')
}
# an unmeasured pass each: the page cache holds the sample, and the node's
# record of checked crcs has it, for both images alike
for k in 10m 1m; do reader $k read; done
declare -A v
for _ in $(seq $reps); do
	for mode in stat read; do
		for k in 10m 1m; do
			reader $k $mode
			read -r cold cpu warm <<<"$R_RATES"
			v[$mode$k]+=" $cold" v[${mode}cpu$k]+=" $cpu" v[${mode}warm$k]+=" $warm"
		done
	done
done
# ---- one load at random in each image and its first partition, in a fresh
# process and again
declare -A ld
for r in $(seq $reps); do
	for k in 10m 1m; do
		for f in meta.img fs_0000; do
			out=$("$MEMLOAD" "$W/$k/$f" $sample "$r") || die "memload of the $k $f failed"
			case "$out" in
				"pass 1: "*" ns; pass 2: "*" ns") ;;
				*) die "memload of the $k $f: $out" ;;
			esac
			read -r _ _ first _ _ _ later _ <<<"$out"
			ld[$f$k]+=" $first" ld[warm$f$k]+=" $later"
		done
	done
done
# shellcheck disable=SC2086
for f in meta.img fs_0000; do
	g=load10m
	[ $f = meta.img ] || g=load10m_part
	line $g fanstore ns ${ld[${f}10m]}
	line $g 1m-image ns ${ld[${f}1m]}
	line ${g}_warm fanstore ns ${ld[warm${f}10m]}
	line ${g}_warm 1m-image ns ${ld[warm${f}1m]}
done

# shellcheck disable=SC2086
for mode in stat read; do
	unit=files/s
	[ $mode = read ] || unit=calls/s
	line "${mode}10m" fanstore $unit ${v[${mode}10m]}
	line "${mode}10m" 1m-image $unit ${v[${mode}1m]}
	line "${mode}10m_cpu" fanstore $unit ${v[${mode}cpu10m]}
	line "${mode}10m_cpu" 1m-image $unit ${v[${mode}cpu1m]}
	line "${mode}10m_warm" fanstore $unit ${v[${mode}warm10m]}
	line "${mode}10m_warm" 1m-image $unit ${v[${mode}warm1m]}
done

# ---- os.scandir of the 21,000 class directories
mkdir "$W/tmpfs"
(cd "$W/tmpfs" && seq -f 'n%08.0f' 1000000 $((1000000 + classes - 1)) | xargs mkdir)
# scandir DIR [PREFIX...]: "FIRST LATER", ms of the first os.scandir of DIR
# in a fresh process (PREFIX python3 ...) and the median of 5 more
scandir() {
	local d=$1
	shift
	"$@" "$PY" - "$d" "$classes" "$MNT" <<'PY'
import os, statistics, sys, time
d, n, mnt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if d.startswith(mnt + "/"):
    os.stat(mnt)       # the library maps its image: start cost, measured apart
want = {"n%08d" % (1000000 + c) for c in range(n)}
times = []
for _ in range(6):
    t = time.perf_counter()
    got = [(e.name, e.is_dir()) for e in os.scandir(d)]
    times.append((time.perf_counter() - t) * 1e3)
    if len(got) != n or {g for g, _ in got} != want or not all(isdir for _, isdir in got):
        sys.exit("scandir %s: not the %d class directories" % (d, n))
print("%.4f %.4f" % (times[0], statistics.median(times[1:])))
PY
}
declare -A sd
for _ in $(seq $reps); do
	for k in 10m 1m tmpfs; do
		if [ $k = tmpfs ]; then
			out=$(scandir "$W/tmpfs") || die "scandir on tmpfs failed"
		else
			out=$(scandir "$MNT/imagenet21k/train" fan $k) || die "scandir with the $k image failed"
		fi
		read -r first later <<<"$out"
		sd[$k]+=" $first" sd[warm$k]+=" $later"
	done
done
# shellcheck disable=SC2086
{
	line scandir21k10m fanstore ms ${sd[10m]}
	line scandir21k10m 1m-image ms ${sd[1m]}
	line scandir21k10m tmpfs ms ${sd[tmpfs]}
	line scandir21k10m_warm fanstore ms ${sd[warm10m]}
	line scandir21k10m_warm 1m-image ms ${sd[warm1m]}
	line scandir21k10m_warm tmpfs ms ${sd[warmtmpfs]}
}

# ---- a new process's start, as bench_start.sh measures it at 1M
run() { "$PY" test/bench/spawntime.py "$@"; }
run --wall start10m --cpu start10m_cpu "$LIB" 40 fanstore="$W/10m" native fanstore-1m="$W/1m" -- /bin/true
run --wall start10m_python "$LIB" 40 fanstore="$W/10m" native fanstore-1m="$W/1m" -- "$PY" -c pass
