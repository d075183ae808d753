#!/usr/bin/env bash
# make demo: install what is missing, build, generate a small JPEG dataset,
# pack it, train a small CNN on it through FanStore (2 ranks), train the same
# way reading the original directory, and compare.  Without PyTorch it says
# so and runs the C reader example instead.
#
# Settings (environment): DEMO_DIR (default ./demo-data), DEMO_CLASSES (10),
# DEMO_IMAGES per class (60), DEMO_EPOCHS (3), DEMO_NP ranks (2).
set -euo pipefail
cd "$(dirname "$0")/.."
ME=demo
. examples/lib.sh

DIR=${DEMO_DIR:-demo-data}
CLASSES=${DEMO_CLASSES:-10}
IMAGES=${DEMO_IMAGES:-60}
EPOCHS=${DEMO_EPOCHS:-3}
NP=${DEMO_NP:-2}
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

step "train through FanStore: $MPIRUN -np $NP $EXEC --data $DIR/packed -- $PY examples/train.py"
rm -f "$DIR/fanstore.json" "$DIR/direct.json"
run_fanstore "$NP" "$DIR/packed" "$PY" "${TRAIN[@]}" /fanstore/train --json "$DIR/fanstore.json" \
  || die "training through FanStore failed"

step "train reading the original directory $DIR/images/train (same ranks, no FanStore)"
run_direct "$NP" "$PY" "${TRAIN[@]}" "$DIR/images/train" --json "$DIR/direct.json" \
  || die "training on the original directory failed"

step "summary"
"$PY" - "$DIR/fanstore.json" "$DIR/direct.json" <<'EOF'
import json, sys
fs, dr = (json.load(open(p)) for p in sys.argv[1:3])
def line(name, r):
    print("  %-22s %8.1f images/s   data wait %6.2f s (+%.2f s first batches)   loss %.3f -> %.3f"
          % (name, r["images_per_s"], r["data_wait_s"], r["first_batch_s"],
             r["loss_start"], r["loss_end"]))
print("%d ranks, %d images x %d epochs, %d classes" % (fs["ranks"], fs["dataset_images"],
                                                        len(fs["epochs"]), fs["classes"]))
line("via FanStore", fs)
line("original directory", dr)
print("  ratio FanStore / original: %.2fx images/s" % (fs["images_per_s"] / dr["images_per_s"]))
ok = fs["loss_end"] < fs["loss_start"] and dr["loss_end"] < dr["loss_start"]
print("  loss went down: %s" % ("yes" if ok else "NO"))
sys.exit(0 if ok else 1)
EOF
