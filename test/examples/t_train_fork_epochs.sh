#!/usr/bin/env bash
# examples/train.py with 2 ranks through fanstore-exec and a DataLoader
# worker forked on each rank in every one of 400 short epochs finishes, with
# every image of every epoch counted.  Python 3.11.2 (Debian 12) has CPython
# gh-112275: a fork while another thread holds the interpreter-list lock
# leaves the child waiting for it forever.  gloo's worker thread takes that
# lock, without the GIL, whenever it frees the last reference to a tensor
# that has a Python object, and train.py's per-epoch all_reduce used to hand
# it one right before the next epoch forked its worker: that version stopped
# in each of the runs tried (within 400 epochs), this one must not.
. "$(dirname "$0")/../lib.sh"
"$PY" -c 'import torch, torchvision' 2>/dev/null || skip "PyTorch missing under $PY (python3-torch)"
[ -x "$EXEC" ] && [ -x "$PREP" ] && [ -f "$LIB" ] || skip "fanstore-exec, fanstore-prep or libfanstore.so not built"
TRAIN=${TRAIN_PY:-$TOP/examples/train.py}
EPOCHS=400
"$PY" "$TOP/examples/gen_images.py" "$T/img" --classes 2 --images 4 --seed 7 >/dev/null
"$PREP" -n 2 -o "$T/packed" "$T/img" >/dev/null 2>&1 || fail "fanstore-prep failed"
# 400 epochs take about 20 s here; a stopped worker keeps its rank waiting
# forever: timeout(1) ends a stopped run, and --dist-timeout bounds the
# other rank's wait.
rc=0
timeout -k 10 240 "$MPIRUN" -np 2 "$EXEC" --data "$T/packed" --mount /fanstore -- \
  "$PY" "$TRAIN" /fanstore/train --epochs "$EPOCHS" --workers 1 --mp-context fork \
  --batch-size 4 --mode bytes --quiet --dist-timeout 60 --json "$T/r.json" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { tail -n 20 "$T/out" >&2; fail "training with a worker forked every epoch stopped or failed (exit $rc)"; }
"$PY" - "$T/r.json" "$EPOCHS" <<'PY' || fail "summary"
import json, sys
r, n = json.load(open(sys.argv[1])), int(sys.argv[2])
assert r["mp_context"] == "fork" and not r["persistent_workers"], r
assert len(r["epochs"]) == n, len(r["epochs"])
bad = [e["epoch"] for e in r["epochs"] if e["images"] != 8]
assert not bad, "epochs without all 8 images: %s" % bad[:10]
PY
ok "$EPOCHS epochs, each with a newly forked worker on each of 2 ranks, all 8 images each"
