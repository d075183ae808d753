#!/usr/bin/env bash
# examples/slurm/train.sbatch, submitted as a user would (the dataset its one
# argument; only the size and time limit changed to fit one 2-CPU node):
# with a stand-in command every rank reads every byte from the cache given,
# and, when PyTorch is here, examples/train.py trains through it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/cluster/slurm.sh"
slurm_start
mkdata
export PATH=$TOP/bin:$PATH
fit=(--nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=5)

# submit TAG ARGS...: sbatch the example (fit to this node), wait, exit code.
submit() {
  local tag=$1 jid; shift
  jid=$(timeout 10 sbatch --parsable "${fit[@]}" -o "$T/$tag.out" \
        "$TOP/examples/slurm/train.sbatch" "$@") || fail "sbatch"
  job_wait "$jid" 90
  cat "$T/$tag.out" >&2
  job_exit "$jid"
}

rc=$(TRAIN_CMD="$T/readall.sh example 0" submit example "$T/ds")
[ "$rc" = 0 ] || fail "train.sbatch with a stand-in command exited $rc"
check_ranks example 2
grep -qF "cache $FANSTORE_CACHE" "$T/example.out" || fail "the cache given in FANSTORE_CACHE was not used"
cache_empty
ok "train.sbatch: stand-in command on 2 ranks, cache left empty"

rc=$(submit noarg)
[ "$rc" = 2 ] && grep -q 'usage: sbatch' "$T/noarg.out" || fail "train.sbatch without a dataset: exit $rc, no usage line"
ok "train.sbatch without a dataset says how to call it"

"$PY" -c 'import torch, torchvision' 2>/dev/null || { ok "PyTorch missing: no training run"; exit 0; }
"$PY" "$TOP/examples/gen_images.py" "$T/img" --classes 2 --images 4 --seed 3 >/dev/null
"$PREP" -q -n 2 -o "$T/img.ds" "$T/img" || fail "fanstore-prep"
rc=$(TRAIN_CMD="$PY $TOP/examples/train.py --epochs 1 --workers 1 --batch-size 4 --json $T/r.json /fanstore/train" \
     submit train "$T/img.ds")
[ "$rc" = 0 ] || fail "train.sbatch with examples/train.py exited $rc"
"$PY" - "$T/r.json" <<'PY' || fail "training summary"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ranks"] == 2 and r["images"] == 8, r
PY
cache_empty
ok "train.sbatch: examples/train.py trained on 2 ranks through FanStore"
