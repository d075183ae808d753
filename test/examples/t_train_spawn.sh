#!/usr/bin/env bash
# examples/train.py with spawned DataLoader workers under fanstore-exec:
# the workers (fresh interpreters) read the mount too.
. "$(dirname "$0")/../lib.sh"
"$PY" -c 'import torch, torchvision' 2>/dev/null || skip "PyTorch missing under $PY (python3-torch)"
[ -x "$EXEC" ] && [ -x "$PREP" ] && [ -f "$LIB" ] || skip "fanstore-exec, fanstore-prep or libfanstore.so not built"
"$PY" "$TOP/examples/gen_images.py" "$T/img" --classes 2 --images 4 --seed 5 >/dev/null
"$PREP" -n 1 -o "$T/packed" "$T/img" >/dev/null 2>&1 || fail "fanstore-prep failed"
run 1 --data "$T/packed" --mount /fanstore -- "$PY" "$TOP/examples/train.py" /fanstore/train \
  --epochs 1 --workers 1 --mp-context spawn --batch-size 4 --mode bytes --json "$T/r.json" \
  || fail "spawned workers failed"
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["images"] == 8 and r["mp_context"] == "spawn", r' \
  "$T/r.json" || fail "summary"
ok "8 files read by a spawned worker"
