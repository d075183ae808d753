#!/usr/bin/env bash
# DataLoader workers started by spawn (fresh interpreters, which get the
# library again through LD_PRELOAD) under fanstore-exec: examples/train.py
# runs with them, and workers read every file with the same bytes as the
# original tree (a SHA-256 per file, computed in the worker).
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
ok "train.py ran 8 images with a spawned worker"

cat >"$T/spawnread.py" <<'PY'
import hashlib, os, sys
import torch

class Files(torch.utils.data.Dataset):
    def __init__(self, root):
        self.root = root
        self.names = sorted(os.path.relpath(os.path.join(d, f), root)
                            for d, _, fs in os.walk(root) for f in fs)
    def __len__(self):
        return len(self.names)
    def __getitem__(self, i):
        with open(os.path.join(self.root, self.names[i]), "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        return "%s %s %d" % (h, self.names[i], os.getpid())

if __name__ == "__main__":
    dl = torch.utils.data.DataLoader(Files(sys.argv[1]), batch_size=None, num_workers=1,
                                     multiprocessing_context="spawn")
    for line in dl:
        h, name, pid = line.split()
        assert int(pid) != os.getpid(), "read in the main process, not a worker"
        print(h, name)
PY
(cd "$T/img" && find . -type f -printf '%P\n' | LC_ALL=C sort | while read -r f; do
  printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$f"; done) >"$T/want"
[ -s "$T/want" ] || fail "no files in the original tree"
run 1 --data "$T/packed" --mount /fanstore -- "$PY" "$T/spawnread.py" /fanstore >"$T/got" ||
  fail "spawned readers failed"
LC_ALL=C sort -k2 "$T/got" | diff -u <(LC_ALL=C sort -k2 "$T/want") - ||
  fail "bytes read by spawned workers differ from the original tree"
ok "$(wc -l <"$T/want") files read by spawned workers, every byte as in the original tree"
