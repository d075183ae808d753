#!/usr/bin/env bash
# examples/train.py: one short epoch on a tiny tree read directly; JSON
# summary and per-sample hashes complete; a bad directory gets a message.
. "$(dirname "$0")/../lib.sh"
"$PY" -c 'import torch, torchvision' 2>/dev/null || skip "PyTorch missing under $PY (python3-torch)"
"$PY" "$TOP/examples/gen_images.py" "$T/img" --classes 3 --images 6 --seed 3 >/dev/null
"$PY" "$TOP/examples/train.py" "$T/img/train" --epochs 1 --workers 1 --batch-size 4 \
  --json "$T/r.json" --hash-samples "$T/h.txt" || fail "train.py failed"
"$PY" - "$T/r.json" <<'PY' || fail "summary"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ranks"] == 1 and r["classes"] == 3 and r["dataset_images"] == 18, r
assert r["images"] == 18 and len(r["losses"]) == 1 and r["images_per_s"] > 0, r
assert r["data_wait_s"] >= 0 and r["first_batch_s"] > 0 and r["loss_start"] > 0, r
PY
ok "one epoch, summary in JSON"
[ "$(wc -l <"$T/h.txt")" -eq 18 ] || fail "want 18 sample hashes"
grep -Eq '^n00000002/n00000002_000005\.JPEG 2 [0-9a-f]{64}$' "$T/h.txt" || fail "hash line format"
ok "sample hashes"
out=$("$PY" "$TOP/examples/train.py" "$T/nowhere" 2>&1) && fail "missing dir accepted"
case "$out" in *Traceback*) fail "stack trace: $out" ;; *"$T/nowhere"*) ok "missing dir: $out" ;;
  *) fail "unclear message: $out" ;; esac
