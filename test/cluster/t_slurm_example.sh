#!/usr/bin/env bash
# examples/slurm/train.sbatch, submitted as a user would (the dataset its one
# argument; only the size and time limit changed to fit one 2-CPU node):
# with a stand-in command every rank reads every byte from the cache given,
# without a dataset it says how to call it, and, when PyTorch is here, the
# script's own command trains with examples/train.py through it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/cluster/slurm.sh"
slurm_start
mkdata
export PATH=$TOP/bin:$PATH
fit=(--nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=5)

# submit TAG [SBATCH OPTIONS] ARGS...: sbatch the example (fit to this
# node), wait, print the job's exit code.
submit() {
  local tag=$1 jid; shift
  local opts=()
  while [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do opts+=("$1"); shift; done
  jid=$(timeout 10 sbatch --parsable "${fit[@]}" "${opts[@]}" -o "$T/$tag.out" \
        "$TOP/examples/slurm/train.sbatch" "$@") || fail "sbatch"
  job_wait "$jid" 90 "$T/$tag.out"
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

"$PY" -c 'import torch, torchvision' 2>/dev/null ||
  skip "PyTorch missing under $PY (python3-torch): the training part did not run (the parts above passed)"
"$PY" "$TOP/examples/gen_images.py" "$T/img" --classes 2 --images 4 --seed 3 >/dev/null
"$PREP" -q -n 2 -o "$T/img.ds" "$T/img" || fail "fanstore-prep"
# The script's own command: train.py next to it, python3 the one with PyTorch.
# Ten epochs of 8 images start a DataLoader worker on each rank every epoch
# (spawn, as the script says why), under srun with one CPU a task.
mkdir "$T/job" "$T/pybin"
cp "$TOP/examples/train.py" "$T/job/"
ln -s "$PY" "$T/pybin/python3"
rc=$(PATH=$T/pybin:$PATH submit train --chdir="$T/job" "$T/img.ds")
[ "$rc" = 0 ] || fail "train.sbatch with its own training command exited $rc"
grep -qF "8 images, 2 classes, 2 rank(s), 1 worker(s)/rank (spawn)" "$T/train.out" || fail "not 2 ranks with a spawned worker each on 8 images"
grep -q '^epoch 9: loss' "$T/train.out" || fail "no 10th epoch"
cache_empty
ok "train.sbatch: examples/train.py trained 10 epochs on 2 ranks through FanStore"
