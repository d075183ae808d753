#!/usr/bin/env bash
# make demo: install what is missing, build, generate a small JPEG dataset,
# pack it, train a small CNN on it through FanStore (2 ranks), train the same
# way reading the original directory, alternating the two, and compare.
# Without PyTorch it says so and runs the C reader example instead.
#
# Settings (environment): DEMO_DIR (default ./demo-data), DEMO_CLASSES (10),
# DEMO_IMAGES per class (60), DEMO_EPOCHS (3), DEMO_NP ranks (2), DEMO_RUNS
# trainings each way (2).
set -euo pipefail
cd "$(dirname "$0")/.."
ME=demo
. examples/lib.sh

DIR=${DEMO_DIR:-demo-data}
CLASSES=${DEMO_CLASSES:-10}
IMAGES=${DEMO_IMAGES:-60}
EPOCHS=${DEMO_EPOCHS:-3}
NP=${DEMO_NP:-2}
RUNS=${DEMO_RUNS:-2}
VAL=$(( IMAGES / 6 > 0 ? IMAGES / 6 : 1 ))

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
test/deps.sh demo || die "install the packages above, then run make demo again"

step "build"
make --no-print-directory -s all || die "the build failed"
for f in "$PREP" "$EXEC" lib/libfanstore.so bin/reader; do
  [ -e "$f" ] || die "$f was not built (make all should make it)"
done

step "dataset"
mkdir -p "$DIR"
ensure_images "$DIR/images" "$CLASSES" "$IMAGES" "$VAL"
du -sh "$DIR/images" | sed 's/^/size: /'

step "pack (fanstore-prep -n 2 -b val)"
ensure_packed "$DIR/images" "$DIR/packed" 2 -b val
ls -l "$DIR/packed"

if ! have_torch; then
  step "PyTorch is not available under $PY: showing the C reader instead"
  say "(install python3-torch python3-torchvision for the training demo)"
  run_fanstore "$NP" "$DIR/packed" bin/reader -q /fanstore | tee "$DIR/reader-fanstore.txt"
  bin/reader -q "$DIR/images" | tee "$DIR/reader-direct.txt"
  step "summary"
  say "via FanStore:          $(tail -n1 "$DIR/reader-fanstore.txt")"
  say "original directory:    $(tail -n1 "$DIR/reader-direct.txt")"
  exit 0
fi

TRAIN=(examples/train.py --epochs "$EPOCHS" --workers 1 --batch-size 32)

# RUNS trainings each way, alternated (FanStore, original, original,
# FanStore, ...) so that neither side always runs first or last; each run
# is a new job with new DataLoader workers every epoch, on both sides.
rm -f "$DIR"/fanstore.*.json "$DIR"/direct.*.json
for ((i = 1; i <= RUNS; i++)); do
  order="fanstore direct"
  [ $((i % 2)) = 1 ] || order="direct fanstore"
  for side in $order; do
    if [ "$side" = fanstore ]; then
      step "train through FanStore ($i/$RUNS): $MPIRUN -np $NP $EXEC --data $DIR/packed -- $PY examples/train.py"
      run_fanstore "$NP" "$DIR/packed" "$PY" "${TRAIN[@]}" /fanstore/train --json "$DIR/fanstore.$i.json" \
        || die "training through FanStore failed"
    else
      step "train reading the original directory $DIR/images/train ($i/$RUNS; same ranks, no FanStore)"
      run_direct "$NP" "$PY" "${TRAIN[@]}" "$DIR/images/train" --json "$DIR/direct.$i.json" \
        || die "training on the original directory failed"
    fi
  done
done

step "summary"
"$PY" - "$DIR" "$RUNS" <<'EOF'
import json, statistics, sys
d, runs = sys.argv[1], int(sys.argv[2])
fs, dr = ([json.load(open("%s/%s.%d.json" % (d, side, i))) for i in range(1, runs + 1)]
          for side in ("fanstore", "direct"))
def line(name, rs):
    ips = [r["images_per_s"] for r in rs]
    print("  %-22s %8.1f images/s (runs: %s)   data wait %6.2f s (+%.2f s first batches)"
          % (name, statistics.median(ips), " ".join("%.1f" % v for v in ips),
             statistics.median(r["data_wait_s"] for r in rs),
             statistics.median(r["first_batch_s"] for r in rs)))
    print("  %-22s loss %s" % ("", ", ".join("%.3f -> %.3f" % (r["loss_start"], r["loss_end"])
                                              for r in rs)))
r0 = fs[0]
print("%d ranks x %d DataLoader worker(s), %d images x %d epochs, %d classes"
      % (r0["ranks"], r0["workers"], r0["dataset_images"], len(r0["epochs"]), r0["classes"]))
print("pattern: the same training both ways, %d run(s) each, alternated (FanStore first, then "
      "the original first, ...);\n  every run a new job with new DataLoader workers every epoch "
      "(persistent_workers=False);\n  images/s over all its epochs, job start not counted"
      % runs)
line("via FanStore", fs)
line("original directory", dr)
ratio = (statistics.median(r["images_per_s"] for r in fs)
         / statistics.median(r["images_per_s"] for r in dr))
print("  ratio FanStore / original: %.2fx images/s (medians; training, new workers every epoch)"
      % ratio)
ok = all(r["loss_end"] < r["loss_start"] for r in fs + dr)
print("  loss went down: %s" % ("yes" if ok else "NO"))
sys.exit(0 if ok else 1)
EOF
