#!/usr/bin/env bash
# bench_read.sh [--quick]: libfanstore's read path against its baselines,
# all with the same reader program (test/intercept/readbench) in one run.
# FanStore (a job directory in /dev/shm), the same files in native /dev/shm
# ("tmpfs") and a squashfuse mount of them (skipped with a note where FUSE
# does not work), in three access patterns:
#   GROUP_first  first epoch: a new job (a fresh copy of the job directory:
#                nothing verified, nothing mapped; tmpfs: a fresh copy of the
#                tree; squashfuse: a fresh mount), a fresh process reads
#                (stats) each file once, shuffled
#   GROUP_later  later epoch: another fresh process in the same job, each
#                file once
#   GROUP_loop   long-lived: one process, an unmeasured warm-up pass, then
#                whole passes for SECONDS (secondary: training rarely reads
#                this way)
# for read100k, read4k (open + fstat + read-all + close, files/s) and stat
# (stat() calls/s over the 4 KB files).  In the first and later epochs
# FanStore runs a second time with its job report on (FANSTORE_STATS=1,
# a fresh job of its own): row fanstore-stats, so that the report's cost
# shows next to fanstore (issue 12: under 2%).  Also, long-lived only:
#   readdir20k_loop   entries/s of whole readdir passes over 20,000 entries
#   deflate100k_loop  MB/s of compressed (level 6) 100 KB files read through
#                     FanStore vs libdeflate decompressing the same blobs
#   outside_stat_loop, outside_read4k_loop
#                     calls on /dev/shm paths (outside the prefix) with the
#                     library preloaded vs without it
# Only the reading is timed, not the process start.  FanStore and baseline
# repetitions alternate.  Every run's files, bytes and checksum (readbench's
# cheap one: size and a word per page) must equal those of the original
# tree, or the benchmark fails.
# Floors (issue 10): read100k_later >= 1.3x tmpfs, read100k_first >= 1.0x,
# read4k first and later >= 2x tmpfs and >= 10x squashfuse, read100k_loop
# >= 2x; (issue 4) stat >= 4x, deflate >= 80% of plain libdeflate, < 5%
# added outside the prefix.
ME=bench_read
. "$(dirname "$0")/lib.sh"
RB=$TOP/$B/test/intercept/readbench
MK=$TOP/$B/test/intercept/mkjob
need "$RB" "$MK" "$LIB"
if [ "${1:-}" = --quick ]; then
	reps=3 secs=0.3 n100k=600 n4k=3000 ndir=20000 ncomp=200
else
	reps=5 secs=2 n100k=5000 n4k=20000 ndir=20000 ncomp=1000
fi
W=$(mktemp -d /dev/shm/fanstore-bench-read.XXXXXX)
SQ=$W/sq
sq_umount() { mountpoint -q "$SQ" 2>/dev/null && { fusermount3 -u "$SQ" 2>/dev/null || umount "$SQ"; }; true; }
cleanup() { sq_umount; rm -rf "$W"; }
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
# Pristine job directories: never read, only copied (a new job is a copy).
for t in t100k t4k tdir; do "$MK" "$W/$t" "$W/p_$t"; done
"$MK" -l 6 "$W/tcomp" "$W/p_tcomp"
for t in t100k t4k tcomp; do
	find "$W/$t" -type f | sort >"$W/$t.native"
	sed "s|^$W/$t|$MNT|" "$W/$t.native" >"$W/$t.fanstore"
	sed "s|^$W/$t|$W/run_nat|" "$W/$t.native" >"$W/$t.fresh"   # a fresh copy's paths
done
head -n 64 "$W/t4k.native" >"$W/outside.list"

# The original tree's figures of one pass, by the same reader: what every
# run must report.  want[KEY]="ITEMS BYTES SUM".
declare -A want
ref() { local k=$1; shift; want[$k]=$("$RB" "$@" | cut -d' ' -f3-); }
ref read:t100k read "$W/t100k.native" 0
ref read:t4k read "$W/t4k.native" 0
ref read:tcomp read "$W/tcomp.native" 0
ref stat:t4k stat "$W/t4k.native" 0
ref readdir:tdir readdir "$W/tdir/big" 0
ref stat:outside stat "$W/outside.list" 0
[ "${want[read:t100k]% *}" = "$n100k $((n100k * 102400))" ] || die "the 100 KB tree reads as ${want[read:t100k]}"
[ "${want[read:t4k]% *}" = "$n4k $((n4k * 4096))" ] || die "the 4 KB tree reads as ${want[read:t4k]}"

# rb KEY LABEL CMD...: run one reader; R_RATE and R_MBS get its figures.
# Its files, bytes and checksum must be the original tree's.
rb() {
	local key=$1 label=$2 out
	shift 2
	out=$("$@") || die "$label: the reader failed"
	read -r R_RATE R_MBS got <<<"$out"
	[ "$got" = "${want[$key]}" ] ||
		die "$label: read \"$got\" (files bytes checksum), the original tree gives \"${want[$key]}\""
}
fan() { local job=$1; shift; FANSTORE_JOBDIR=$job FANSTORE_MOUNT=$MNT LD_PRELOAD=$LIB "$@"; }
# the same with the job report's counting on (the job directory gets its
# stats file from the first process, as under fanstore-exec --stats)
fanstat() { FANSTORE_STATS=1 fan "$@"; }
# newjob T: $W/run_fs, a fresh copy of T's pristine job directory, and
# $W/run_nat, a fresh copy of the tree T (each job stages its data anew)
newjob() {
	newjob_fs "$1"
	rm -rf "$W/run_nat"
	cp -a "$W/$1" "$W/run_nat"
}
newjob_fs() {
	rm -rf "$W/run_fs"
	cp -a "$W/p_$1" "$W/run_fs"
}

# squashfuse of the same trees, when FUSE works here
squash=0
if command -v mksquashfs >/dev/null && command -v squashfuse_ll >/dev/null && [ -e /dev/fuse ]; then
	mkdir -p "$W/sqroot" "$SQ"
	cp -r "$W/t100k" "$W/t4k" "$W/sqroot/"
	if mksquashfs "$W/sqroot" "$W/img.sq" -noappend -quiet -no-progress >/dev/null 2>&1 &&
	   squashfuse_ll "$W/img.sq" "$SQ" 2>/dev/null && mountpoint -q "$SQ"; then
		sq_umount
		squash=1
		rm -rf "$W/sqroot"
		for t in t100k t4k; do sed "s|^$W/$t|$SQ/$t|" "$W/$t.native" >"$W/$t.squash"; done
	fi
fi
[ $squash = 1 ] || echo "squashfuse: not measured (FUSE or squashfs-tools not usable here)"
sq_mount() { squashfuse_ll "$W/img.sq" "$SQ" || die "squashfuse_ll cannot mount $W/img.sq"; }

# emit GROUP UNIT: the BENCH lines of fs, nat (and sq) for GROUP
emit() {
	echo "$1 $2: fanstore ${fs[*]}  tmpfs ${nat[*]}${sq:+  squashfuse ${sq[*]}}"
	line "$1" fanstore "$2" "${fs[@]}"
	line "$1" tmpfs "$2" "${nat[@]}"
	[ ${#sq[@]} -eq 0 ] || line "$1" squashfuse "$2" "${sq[@]}"
}

# ---- first and later epoch: a new job, two fresh processes, each file once
# epochs GROUP UNIT MODE T: MODE (read or stat) over tree T, the systems
# in turn within each repetition
epochs() {
	local g=$1 u=$2 mode=$3 t=$4 k=$3:$4
	local -a f1=() f2=() n1=() n2=() s1=() s2=() c1=() c2=()
	for r in $(seq "$reps"); do
		newjob "$t"
		rb "$k" "$g fanstore first, rep $r" fan "$W/run_fs" "$RB" "$mode" "$W/$t.fanstore" 0; f1+=("$R_RATE")
		rb "$k" "$g fanstore later, rep $r" fan "$W/run_fs" "$RB" "$mode" "$W/$t.fanstore" 0; f2+=("$R_RATE")
		newjob_fs "$t"
		rb "$k" "$g fanstore-stats first, rep $r" fanstat "$W/run_fs" "$RB" "$mode" "$W/$t.fanstore" 0; c1+=("$R_RATE")
		rb "$k" "$g fanstore-stats later, rep $r" fanstat "$W/run_fs" "$RB" "$mode" "$W/$t.fanstore" 0; c2+=("$R_RATE")
		rb "$k" "$g tmpfs first, rep $r" "$RB" "$mode" "$W/$t.fresh" 0; n1+=("$R_RATE")
		rb "$k" "$g tmpfs later, rep $r" "$RB" "$mode" "$W/$t.fresh" 0; n2+=("$R_RATE")
		if [ $squash = 1 ] && [ -f "$W/$t.squash" ]; then
			sq_mount
			rb "$k" "$g squashfuse first, rep $r" "$RB" "$mode" "$W/$t.squash" 0; s1+=("$R_RATE")
			rb "$k" "$g squashfuse later, rep $r" "$RB" "$mode" "$W/$t.squash" 0; s2+=("$R_RATE")
			sq_umount
		fi
	done
	fs=("${f1[@]}") nat=("${n1[@]}") sq=("${s1[@]}"); emit "${g}_first" "$u"
	echo "${g}_first $u: fanstore-stats ${c1[*]}"; line "${g}_first" fanstore-stats "$u" "${c1[@]}"
	fs=("${f2[@]}") nat=("${n2[@]}") sq=("${s2[@]}"); emit "${g}_later" "$u"
	echo "${g}_later $u: fanstore-stats ${c2[*]}"; line "${g}_later" fanstore-stats "$u" "${c2[@]}"
}
epochs read100k files/s read t100k
epochs read4k files/s read t4k
epochs stat calls/s stat t4k

# ---- long-lived: one process loops for $secs after an unmeasured pass
# (page cache and, for FanStore, the node's one-time crc check are warm)
# loops GROUP UNIT KEY FS_JOB FS_LIST NAT_LIST [SQ_LIST]: KEY's mode
# (read or stat) over the lists, the systems in turn within each repetition
loops() {
	local g=$1 u=$2 k=$3 job=$4 fl=$5 nl=$6 sl=${7:-} mode=${3%%:*}
	fs=() nat=() sq=()
	fan "$job" "$RB" "$mode" "$fl" 0 >/dev/null
	"$RB" "$mode" "$nl" 0 >/dev/null
	[ -z "$sl" ] || "$RB" "$mode" "$sl" 0 >/dev/null
	for r in $(seq "$reps"); do
		rb "$k" "$g fanstore, rep $r" fan "$job" "$RB" "$mode" "$fl" "$secs"; fs+=("$R_RATE")
		rb "$k" "$g tmpfs, rep $r" "$RB" "$mode" "$nl" "$secs"; nat+=("$R_RATE")
		[ -z "$sl" ] || { rb "$k" "$g squashfuse, rep $r" "$RB" "$mode" "$sl" "$secs"; sq+=("$R_RATE"); }
	done
	emit "${g}_loop" "$u"
}
for t in t100k t4k tdir tcomp; do cp -a "$W/p_$t" "$W/j_$t"; done
[ $squash = 0 ] || sq_mount
sql() { [ $squash = 0 ] || echo "$W/$1.squash"; }
loops read100k files/s read:t100k "$W/j_t100k" "$W/t100k.fanstore" "$W/t100k.native" "$(sql t100k)"
loops read4k files/s read:t4k "$W/j_t4k" "$W/t4k.fanstore" "$W/t4k.native" "$(sql t4k)"
sq_umount
loops stat calls/s stat:t4k "$W/j_t4k" "$W/t4k.fanstore" "$W/t4k.native"

# readdir, compressed reads, calls outside the prefix: alternating pairs
# pair GROUP UNIT KEY NAME_A NAME_B -- CMD_A... -- CMD_B...: reps
# alternating runs of the two, after an unmeasured one of CMD_A with SECONDS
# 0; the figure is R_RATE, or R_MBS when FIELD=R_MBS
pair() {
	local g=$1 u=$2 k=$3 na=$4 nb=$5 i
	shift 6
	local -a ca=() cb=() a=() b=()
	while [ "$1" != -- ]; do ca+=("$1"); shift; done
	shift
	cb=("$@")
	"${ca[@]:0:${#ca[@]}-1}" 0 >/dev/null
	for i in $(seq "$reps"); do
		rb "$k" "$g $na, rep $i" "${ca[@]}"; a+=("${!FIELD}")
		rb "$k" "$g $nb, rep $i" "${cb[@]}"; b+=("${!FIELD}")
	done
	echo "$g $u: $na ${a[*]}  $nb ${b[*]}"
	line "$g" "$na" "$u" "${a[@]}"
	line "$g" "$nb" "$u" "${b[@]}"
}
FIELD=R_RATE
pair readdir20k_loop entries/s readdir:tdir fanstore tmpfs \
	-- fan "$W/j_tdir" "$RB" readdir "$MNT/big" "$secs" -- "$RB" readdir "$W/tdir/big" "$secs"
FIELD=R_MBS
pair deflate100k_loop MB/s read:tcomp fanstore libdeflate \
	-- fan "$W/j_tcomp" "$RB" read "$W/tcomp.fanstore" "$secs" -- "$RB" inflate "$W/j_tcomp/fs_0000" "$secs"
FIELD=R_RATE
pair outside_stat_loop calls/s stat:outside fanstore plain \
	-- fan "$W/j_t4k" "$RB" stat "$W/outside.list" "$secs" -- "$RB" stat "$W/outside.list" "$secs"
pair outside_read4k_loop files/s read:t4k fanstore plain \
	-- fan "$W/j_t4k" "$RB" read "$W/t4k.native" "$secs" -- "$RB" read "$W/t4k.native" "$secs"
