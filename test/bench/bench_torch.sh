#!/usr/bin/env bash
# bench_torch.sh [--quick]: the PyTorch example (examples/train.py) on a
# synthetic ImageNet-like JPEG tree, read up to four ways in the same run:
#   fanstore    mpirun fanstore-exec --data PACKED -- train.py /fanstore/train
#   fanstore-remote  the same with each rank on its own "node" (a private
#               mount namespace and tmpfs: reads of other ranks' partitions
#               cross MPI); full mode, as root, with 2 or more ranks
#   tmpfs       the original tree copied to /dev/shm, read directly
#   squashfuse  a squashfs image of the tree mounted with squashfuse_ll
#               (mounted afresh for every run, as a job would; full mode
#               only; skipped when FUSE does not work here)
# Every run is a new job (FanStore: a new job directory, nothing verified;
# squashfuse: a fresh mount) of EPOCHS epochs.  Figures (median, min, max
# over the repetitions; the systems alternate within each repetition):
#   torch_train  images/s of training (small CNN, DataLoader workers)
#   torch_wait   seconds the training loop waited for data (all batches)
#   torch_job    seconds for the whole command (FanStore: load included)
#   torch_load   images/s of the DataLoader alone, JPEG decode included
#   torch_bytes  images/s of the DataLoader reading file bytes only
# all with new DataLoader workers every epoch (PyTorch's default, what
# training usually does), and
#   torch_load_persist, torch_bytes_persist
#                the same with persistent_workers=True (workers, and what
#                they have mapped, live through the epochs)
# Each run must report every image of every epoch, and in bytes mode the
# bytes of the tree EPOCHS times, or the benchmark fails.
# Settings (environment): TORCH_BENCH_CLASSES, TORCH_BENCH_IMAGES (per class),
# TORCH_BENCH_REPS, TORCH_BENCH_EPOCHS, TORCH_BENCH_NP, TORCH_BENCH_WORKERS,
# TORCH_BENCH_MODES (from: train load load_persist bytes bytes_persist),
# TORCH_BENCH_TIMEOUT (seconds one run may take, default 180).
# A run that stops (the timeout) is run once more, and says so: a DataLoader
# worker forked while another thread holds one of CPython's locks waits
# forever, with or without FanStore (CPython issue gh-112275, in Debian 12's
# Python 3.11.2; train.py no longer lets gloo's thread take it, see
# docs/reliability.md).  A second stop fails the benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."
ME=bench_torch
. examples/lib.sh
B=${B:-build}

quick=
[ "${1:-}" = --quick ] && quick=1
if [ -n "$quick" ]; then
  classes=8 images=20 reps=1 epochs=2 np=1 workers=2 modes="bytes bytes_persist"
else
  classes=10 images=100 reps=3 epochs=2 np=2 workers=1
  modes="train load load_persist bytes bytes_persist"
fi
modes=${TORCH_BENCH_MODES:-$modes}
classes=${TORCH_BENCH_CLASSES:-$classes}
images=${TORCH_BENCH_IMAGES:-$images}
reps=${TORCH_BENCH_REPS:-$reps}
epochs=${TORCH_BENCH_EPOCHS:-$epochs}
np=${TORCH_BENCH_NP:-$np}
workers=${TORCH_BENCH_WORKERS:-$workers}

have_torch || { say "bench_torch: PyTorch is missing under $PY: nothing measured"; exit 0; }
for f in "$PREP" "$EXEC" lib/libfanstore.so; do
  [ -x "$f" ] || [ -f "$f" ] || die "$f is missing: run make first"
done

D=$B/bench/torch${quick:+-quick}   # separate trees: switching modes regenerates nothing
mkdir -p "$D"
ensure_images "$D/images" "$classes" "$images" 0
ensure_packed "$D/images" "$D/packed" 2

W=$(mktemp -d /dev/shm/fanstore-bench.XXXXXX)
MNT=$W/mnt
cleanup() {
  if mountpoint -q "$MNT" 2>/dev/null; then fusermount3 -u "$MNT" 2>/dev/null || umount "$MNT" || true; fi
  rm -rf "$W"
}
trap cleanup EXIT
cp -a "$D/images" "$W/images"
mkdir -p "$W/cache"

systems="fanstore tmpfs"
fuse_note=
if [ -n "$quick" ]; then
  fuse_note="not in --quick (bench_read's quick run has it)"
elif ! command -v squashfuse_ll >/dev/null || ! command -v mksquashfs >/dev/null; then
  fuse_note="squashfuse_ll or mksquashfs is not installed (apt-get install squashfuse squashfs-tools)"
elif [ ! -e /dev/fuse ]; then
  fuse_note="/dev/fuse is missing (FUSE does not work here)"
else
  mksquashfs "$D/images" "$W/images.sqfs" -noappend -quiet -no-progress >/dev/null
  mkdir -p "$MNT"
  if squashfuse_ll "$W/images.sqfs" "$MNT" 2>"$W/fuse.err" && mountpoint -q "$MNT"; then
    fusermount3 -u "$MNT" 2>/dev/null || umount "$MNT"
    systems="$systems squashfuse"
  else
    fuse_note="squashfuse_ll cannot mount here: $(head -c 200 "$W/fuse.err")"
  fi
fi
[ -z "$fuse_note" ] || say "bench_torch: squashfuse baseline skipped: $fuse_note"
if [ -z "$quick" ] && [ "$np" -ge 2 ] && [ "$(id -u)" -eq 0 ] \
   && unshare -m --propagation private true 2>/dev/null; then
  mkdir -p "$W/nodecache"
  systems="fanstore fanstore-remote ${systems#fanstore }"
fi

say "bench_torch: $(find "$D/images" -type f | wc -l) JPEGs ($(du -sh "$D/images" | cut -f1)), $np rank(s) x $workers worker(s), $epochs epoch(s), $reps rep(s), modes: $modes"

TO=(timeout -k 10 "${TORCH_BENCH_TIMEOUT:-180}")   # a hung run fails, never blocks
declare -A vals
add() { vals[$1/$2]="${vals[$1/$2]:-} $3"; }

# launch SYSTEM ARGS...: train.py ARGS... reading through SYSTEM.
launch() {
  local sys=$1
  shift
  case "$sys" in
    # a cache of its own in /dev/shm: other jobs' launchers on this host
    # (another FanStore version's stale-directory cleanup) leave it alone
    fanstore) FANSTORE_CACHE=$W/cache "${TO[@]}" "$MPIRUN" -np "$np" "$EXEC" --data "$D/packed" \
                --mount /fanstore -- "$PY" "$@" /fanstore/train ;;
    fanstore-remote)
      # each rank its own "node" (private mount namespace and tmpfs cache):
      # half the reads, or (np-1)/np of them, cross MPI to another rank
      FANSTORE_CACHE=$W/nodecache "${TO[@]}" "$MPIRUN" -np "$np" unshare -m --propagation private \
        sh -c 'mount -t tmpfs -o size=4g,mode=0755 fanstore-node "$FANSTORE_CACHE" && exec "$@"' \
        sh "$EXEC" --data "$D/packed" --mount /fanstore -- "$PY" "$@" /fanstore/train ;;
    tmpfs) run_direct "$np" "${TO[@]}" "$PY" "$@" "$W/images/train" ;;
    squashfuse)
      squashfuse_ll "$W/images.sqfs" "$MNT" || return 1
      run_direct "$np" "${TO[@]}" "$PY" "$@" "$MNT/train" || { fusermount3 -u "$MNT"; return 1; }
      fusermount3 -u "$MNT" 2>/dev/null || umount "$MNT" ;;
  esac
}

# What every run must read: each image of the tree once per epoch (the
# DistributedSampler pads to a multiple of the ranks), and in bytes mode
# the tree's bytes once per epoch (checked when nothing is padded).
nimg=$(find "$D/images/train" -type f | wc -l)
want_images=$(( (nimg + np - 1) / np * np * epochs ))
want_bytes=-1
[ $(( nimg % np )) -ne 0 ] || want_bytes=$(( $(find "$D/images/train" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}') * epochs ))

# one SYSTEM MODE: run train.py once; adds its figures.
one() {
  local sys=$1 mode=$2 json=$W/run.json t0 t1 flags=()
  [ "${mode%_persist}" = "$mode" ] || flags=(--persistent-workers)
  rm -f "$json"
  t0=$(date +%s.%N)
  local try rc
  for try in 1 2; do
    rc=0
    launch "$sys" examples/train.py --mode "${mode%_persist}" "${flags[@]}" --epochs "$epochs" \
      --workers "$workers" --batch-size 32 --quiet --json "$json" || rc=$?
    [ "$rc" = 124 ] && [ "$try" = 1 ] || break
    # the timeout ended the launcher, not a worker stopped in CPython's
    # after-fork: those are orphans now
    pkill -KILL -f -- "--json $json" 2>/dev/null || true
    say "bench_torch: $sys $mode: stopped, no progress in ${TO[3]} s (a forked worker waiting in CPython's after-fork, gh-112275?); once more"
    rm -f "$json"
    t0=$(date +%s.%N)
  done
  [ "$rc" = 0 ] || die "$sys $mode: the run failed (exit $rc; 124: took over ${TO[3]} s)"
  t1=$(date +%s.%N)
  [ -s "$json" ] || die "$sys $mode: train.py wrote no summary"
  read -r ips wait nimages nbytes < <("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]));
print(r["images_per_s"], r["data_wait_s"] + r["first_batch_s"], r["images"], r["bytes"])' "$json")
  [ "$nimages" = "$want_images" ] || die "$sys $mode: read $nimages images, expected $want_images"
  [ "${mode%_persist}" != bytes ] || [ "$want_bytes" = -1 ] || [ "$nbytes" = "$want_bytes" ] \
    || die "$sys $mode: read $nbytes bytes, the tree has $want_bytes over $epochs epoch(s)"
  case "$mode" in
    train) add torch_train "$sys" "$ips"; add torch_wait "$sys" "$wait"
           add torch_job "$sys" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" ;;
    *) add "torch_$mode" "$sys" "$ips" ;;
  esac
  printf '  %-15s %-13s %8.1f images/s  data wait %6.2f s\n' "$sys" "$mode" "$ips" "$wait"
}

for ((rep = 1; rep <= reps; rep++)); do
  say "rep $rep/$reps"
  for mode in $modes; do
    for sys in $systems; do one "$sys" "$mode"; done
  done
done

units() { case "$1" in torch_wait|torch_job) echo s ;; *) echo images/s ;; esac; }
for g in torch_train torch_wait torch_job torch_load torch_load_persist torch_bytes torch_bytes_persist; do
  for sys in $systems; do
    [ -n "${vals[$g/$sys]:-}" ] || continue
    # shellcheck disable=SC2086
    "$PY" test/bench/report.py line "$g" "$sys" "$(units "$g")" ${vals[$g/$sys]}
  done
done
