#!/usr/bin/env bash
# bench_launcher.sh [--quick]: fanstore-exec's own costs, each next to a
# baseline measured in the same run:
#   startup1m      start-up per file: seconds of `mpirun -np 2 fanstore-exec --
#                  true` on a synthetic dataset of 1,000,000 empty files (4
#                  partitions, with its image) beyond the same on one of 1,000
#                  files, run alternately, divided by the 999,000 files more,
#                  in us/file; vs the goal (0.4) and vs the same dataset
#                  without its image (the namespace built from records, as
#                  datasets packed by older releases start)
#   startup10m     (full run only) the same at 10,000,000 files of 300 bytes
#                  in 21,000 class directories (2 partitions, 4.4 GB: the
#                  data copy is most of it), vs the goal and vs copying the
#                  partitions alone with cp into the same cache;
#                  startup10m_meta at 10,000,000 empty files (metadata only)
#                  vs the goal.  Datasets made once by mkmeta in
#                  build/bench/launcher (local disk) and reused.
#   mem10m         (full run only) peak memory of the node beyond the
#                  partitions' own bytes during one such start (memwatch.py:
#                  every 50 ms, the launchers' resident pages outside the
#                  cache plus the job directory's files other than
#                  partitions, meta.img among them), GB, vs the goal (2.5);
#                  mem10m_meta for the empty files
#   meta_per_file  metadata image bytes per file vs the floor (96 bytes +
#                  the mean path); meta_beyond_path: image bytes per file
#                  without the path names vs the floor of 96
#   remote100k     files/s (and remote100k_mbs: MB/s) reading 100 KB files
#                  held by another node (each rank in its own mount namespace
#                  with a private tmpfs: shared-memory channel -> launcher ->
#                  MPI -> owner -> back), one request at a time and 8 in
#                  flight, vs an MPI ping-pong (40-byte request, 100 KB
#                  reply) alike: the usual one, answering from one cache-hot
#                  buffer (the reference), and one answering from as many
#                  bytes as the owner serves here (-dataset); fanstore-socket
#                  is the same read through the unix socket alone
#                  Every repetition is printed, with each launcher's loop
#                  counters (-v: turns, yields, polls, sleeps, wake-ups).
#   idle_cpu       % of one core used by each launcher while its command
#                  sleeps, vs the 5% ceiling
# Needs root for the mount namespaces (remote100k is skipped otherwise).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${B:-build}
EXEC=$PWD/bin/fanstore-exec
PREP=$PWD/bin/fanstore-prep
TB=$PWD/$B/test/launcher
PY=/usr/bin/python3
line() { "$PY" test/bench/report.py line "$@"; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export FANSTORE_LIB=   # the launcher alone: readers below use the store directly

if [ "${1:-}" = --quick ]; then reps=1 secs=1 quick=1; else reps=5 secs=3 quick=; fi
for f in "$EXEC" "$PREP" "$TB/fsread" "$TB/mkmeta" "$TB/pingpong"; do
  [ -x "$f" ] || { echo "bench_launcher: $f is missing: run make tests" >&2; exit 1; }
done
D=$PWD/$B/bench/launcher
mkdir -p "$D"
W=$(mktemp -d /dev/shm/fanstore-bench-launcher.XXXXXX)
trap 'rm -rf "$W"' EXIT
export FANSTORE_CACHE=$W/cache
mkdir -p "$FANSTORE_CACHE"
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.3f", e - s }'; }

# mkds DIR NFILES NPART [MKMETA-OPTIONS...]: a synthetic dataset made once
# (with its image) and kept; DIR.records: the same partitions without it.
mkds() {
  local dir=$1 n=$2 np=$3; shift 3
  if [ ! -f "$dir/fanstore.image" ]; then
    rm -rf "$dir" "$dir.records" "$dir.tmp"
    "$TB/mkmeta" "$@" "$dir.tmp" "$n" "$np" && mv "$dir.tmp" "$dir" || { rm -rf "$dir.tmp"; exit 1; }
  fi
  if [ ! -f "$dir.records/fanstore.manifest" ]; then
    mkdir -p "$dir.records"
    ln -f "$dir"/fs_* "$dir/fanstore.manifest" "$dir.records/"
  fi
}
# start DS [CMD...]: seconds of one start of a 2-rank job on DS.
start() {
  local ds=$1 t; shift
  t=$(now)
  mpirun -np 2 "$EXEC" --data "$ds" -- "${@:-true}" 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  since "$t"
}
# perfile T_BIG T_SMALL N: microseconds per file beyond the small dataset.
perfile() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.4f", (a - b) / n * 1e6 }'; }

# ---- startup and metadata size, 1,000,000 files ----
N=1000000
mkds "$D/meta1k" 1000 4
mkds "$D/meta1m" $N 4
fs=() rec=() t1k=() t1m=()
for _ in $(seq "$reps"); do
  a=$(start "$D/meta1k")
  b=$(start "$D/meta1m" sh -c '[ "$RANK" = 0 ] && head -c 128 "$FANSTORE_JOBDIR/meta.img" >'"$W"'/hdr; true')
  r=$(start "$D/meta1m.records")
  t1k+=("$a") t1m+=("$b")
  fs+=("$(perfile "$b" "$a" $((N - 1000)))") rec+=("$(perfile "$r" "$a" $((N - 1000)))")
done
echo "startup: 1,000 files ${t1k[*]} s; $N files ${t1m[*]} s; beyond: ${fs[*]} us/file" \
  "(from records: ${rec[*]} us/file)"
line startup1m fanstore us/file "${fs[@]}"
line startup1m goal us/file 0.4
line startup1m fanstore-records us/file "${rec[@]}"
read -r size names nent < <("$PY" - "$W/hdr" <<'PY'
import struct, sys
h = open(sys.argv[1], "rb").read(128)
assert h[:8] == b"FANSTORI", "not an image header"
size, _id, nent = struct.unpack_from("<QQQ", h, 16)
names = struct.unpack_from("<Q", h, 88)[0]
print(size, names, nent)
PY
)
per=$(awk -v s="$size" -v n="$N" 'BEGIN { printf "%.2f", s / n }')
beyond=$(awk -v s="$size" -v m="$names" -v n="$N" 'BEGIN { printf "%.2f", (s - m) / n }')
floor=$(awk -v m="$names" -v e="$nent" 'BEGIN { printf "%.2f", 96 + m / e }')
echo "metadata image: $size bytes for $nent entries: $per bytes/file, $beyond beyond the paths (floor 96)"
line meta_per_file fanstore B "$per"
line meta_per_file floor B "$floor"
line meta_beyond_path fanstore B "$beyond"
line meta_beyond_path floor B 96

# ---- startup and memory, 10,000,000 files (full run only) ----
if [ -z "$quick" ]; then
  N=10000000
  mkds "$D/meta10m" $N 2 -c 21000
  mkds "$D/data10m" $N 2 -b 300 -c 21000
  fs=() meta=() cpt=()
  for _ in $(seq "$reps"); do
    a=$(start "$D/meta1k")
    b=$(start "$D/data10m")
    m=$(start "$D/meta10m")
    t=$(now); mkdir "$W/cp"; cp "$D/data10m"/fs_* "$W/cp/"; c=$(since "$t"); rm -rf "$W/cp"
    fs+=("$(perfile "$b" "$a" $((N - 1000)))") meta+=("$(perfile "$m" "$a" $((N - 1000)))")
    cpt+=("$(perfile "$c" 0 $((N - 1000)))")
  done
  echo "startup at $N files: 300 B each ${fs[*]} us/file (cp of the partitions: ${cpt[*]});" \
    "empty ${meta[*]} us/file"
  line startup10m fanstore us/file "${fs[@]}"
  line startup10m goal us/file 0.4
  line startup10m cp-partitions us/file "${cpt[@]}"
  line startup10m_meta fanstore us/file "${meta[@]}"
  line startup10m_meta goal us/file 0.4
  # peak memory, one start each, sampled by memwatch.py
  for ds in data10m meta10m; do
    mpirun -np 2 "$EXEC" --data "$D/$ds" -- true 2>"$W/err" & mp=$!
    read -r peak at < <("$PY" test/bench/memwatch.py "$mp" "$FANSTORE_CACHE" "$EXEC")
    wait "$mp" || { cat "$W/err" >&2; exit 1; }
    gb=$(awk -v p="$peak" 'BEGIN { printf "%.3f", p / 1e9 }')
    echo "$ds: peak memory beyond the partitions $gb GB, $at s into the start"
    g=mem10m; [ "$ds" = data10m ] || g=mem10m_meta
    line "$g" fanstore GB "$gb"
    line "$g" goal GB 2.5
  done
fi

# ---- remote reads of 100 KB files across nodes ----
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  if [ ! -f "$D/r100k.ds/fanstore.manifest" ]; then
    rm -rf "$D/r100k" "$D/r100k.ds"
    "$PY" test/gentree.py "$D/r100k" --files 400 --dirs 4 --sizes 102400 >/dev/null
    "$PREP" -q -n 2 -l 0 -o "$D/r100k.ds" "$D/r100k"
  fi
  fsbench() { # fsbench INFLIGHT [socket]: "files/s MB/s" of rank 0's reader
    mpirun -np 2 unshare -m --propagation private sh -c \
      'mount -t tmpfs -o size=256m fsbench "$FANSTORE_CACHE" && exec "$@"' sh \
      "$EXEC" -v --data "$D/r100k.ds" -- sh -c '[ "$RANK" = 0 ] || exit 0; exec "$@"' sh \
      "$TB/fsread" --bench "$secs" "$@" >"$W/out" 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
    cat "$W/out" >&2
    sed -n 's/^fanstore-exec\[\([0-9]*\)\].* loop: /  launcher \1: /p' "$W/err" | sort >&2
    sed -n 's/.*: \([0-9.]*\) files\/s \([0-9.]*\) MB\/s.*/\1 \2/p' "$W/out"
  }
  ppbench() { # ppbench INFLIGHT [SPAN]: "replies/s MB/s"
    mpirun -np 2 "$TB/pingpong" 102400 "$secs" "$@" >"$W/out"
    cat "$W/out" >&2
    sed -n 's/.*: \([0-9.]*\) replies\/s \([0-9.]*\) MB\/s.*/\1 \2/p' "$W/out"
  }
  # The bytes rank 1 serves: its half of the 400 files.
  span=$(( 200 * 102400 ))
  for k in 1 8; do
    fr=() fm=() sr=() sm=() pr=() pm=() dr=() dm=()
    for _ in $(seq "$reps"); do
      read -r a b < <(fsbench "$k"); fr+=("$a"); fm+=("$b")
      read -r a b < <(fsbench "$k" socket); sr+=("$a"); sm+=("$b")
      read -r a b < <(ppbench "$k"); pr+=("$a"); pm+=("$b")
      read -r a b < <(ppbench "$k" "$span"); dr+=("$a"); dm+=("$b")
    done
    g=remote100k; [ "$k" = 1 ] || g=remote100k_x$k
    echo "$g, $k in flight, every repetition (files/s): fanstore ${fr[*]}; mpi-pingpong ${pr[*]};" \
      "mpi-pingpong-dataset ${dr[*]}; fanstore-socket ${sr[*]}"
    m=${g/remote100k/remote100k_mbs}
    line "$g" fanstore files/s "${fr[@]}"
    line "$g" mpi-pingpong files/s "${pr[@]}"
    line "$g" mpi-pingpong-dataset files/s "${dr[@]}"
    line "$g" fanstore-socket files/s "${sr[@]}"
    line "$m" fanstore MB/s "${fm[@]}"
    line "$m" mpi-pingpong MB/s "${pm[@]}"
    line "$m" mpi-pingpong-dataset MB/s "${dm[@]}"
    line "$m" fanstore-socket MB/s "${sm[@]}"
  done
else
  echo "bench_launcher: not root (or no unshare -m): remote reads not measured"
fi

# ---- idle CPU of launchers whose command sleeps ----
marker="sleep 9.$$"
mpirun -np 2 "$EXEC" --data "$D/r100k.ds" -- sh -c "exec $marker" 2>"$W/err" &
mp=$!
for _ in $(seq 100); do [ "$(pgrep -fc "^$marker" || true)" -eq 2 ] && break; sleep 0.1; done
pids=$(pgrep -f "^$EXEC .*$marker" | tr '\n' ' ')
ticks() { for p in $pids; do awk '{ print $14 + $15 }' "/proc/$p/stat"; done; }
sleep 1
a=($(ticks)); t=$(now); sleep 5; b=($(ticks)); dt=$(since "$t")
hz=$(getconf CLK_TCK)
cpu=()
for i in "${!a[@]}"; do
  cpu+=("$(awk -v d=$(( b[i] - a[i] )) -v t="$dt" -v hz="$hz" 'BEGIN { printf "%.2f", 100 * d / hz / t }')")
done
wait "$mp" || true
echo "idle launchers: ${cpu[*]} % of a core"
line idle_cpu fanstore % "${cpu[@]}"
line idle_cpu ceiling % 5
