#!/usr/bin/env bash
# examples/train.py under mpirun -np 2 fanstore-exec: every sample decodes to
# the same tensor as from the original tree, and data-parallel training runs.
. "$(dirname "$0")/../lib.sh"
"$PY" -c 'import torch, torchvision' 2>/dev/null || skip "PyTorch missing under $PY (python3-torch)"
[ -x "$EXEC" ] && [ -x "$PREP" ] && [ -f "$LIB" ] || skip "fanstore-exec, fanstore-prep or libfanstore.so not built"
"$PY" "$TOP/examples/gen_images.py" "$T/img" --classes 3 --images 6 --val 2 --seed 4 >/dev/null
"$PREP" -n 2 -b val -o "$T/packed" "$T/img" >/dev/null 2>&1 || fail "fanstore-prep failed"
"$PY" "$TOP/examples/train.py" "$T/img/train" --epochs 0 --hash-samples "$T/direct.txt" >/dev/null
run 2 --data "$T/packed" --mount /fanstore -- "$PY" "$TOP/examples/train.py" /fanstore/train \
  --epochs 1 --workers 1 --batch-size 4 --json "$T/r.json" --hash-samples "$T/fs.txt" \
  || fail "training through FanStore failed"
[ "$(wc -l <"$T/direct.txt")" -eq 18 ] || fail "want 18 hashes from the original tree"
cmp "$T/direct.txt" "$T/fs.txt" || { diff "$T/direct.txt" "$T/fs.txt" | head; fail "samples differ"; }
ok "18 samples identical through FanStore"
"$PY" - "$T/r.json" <<'PY' || fail "summary"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ranks"] == 2 and r["dir"] == "/fanstore/train" and r["images"] == 18, r
PY
ok "2 ranks trained on /fanstore/train"
