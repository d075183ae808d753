#!/usr/bin/env bash
# torchvision ImageFolder through a DataLoader under fanstore-exec (2
# ranks, each its own node where possible, so half the images come through
# the launcher's socket) with num_workers 0, 2 with fork and 2 with spawn:
# every rank's per-sample hashes (path, class, tensor bytes) equal those
# from reading the original tree directly.
. "$(dirname "$0")/../lib.sh"
need_build
"$PY" -c 'import torch, torchvision' 2>/dev/null || skip "torch or torchvision missing for $PY"
"$PY" "$TOP/examples/gen_images.py" --classes 3 --images 4 "$T/img" >/dev/null
"$PREP" -q -n 2 -o "$T/ds" "$T/img"
DL=$TOP/test/intercept/dl_hash.py
"$PY" "$DL" "$T/img/train" "$T/want" w0
[ "$(wc -l <"$T/want.w0")" -eq 12 ] || { cat "$T/want.w0"; fail "the original tree: expected 12 samples"; }
cat >"$T/client.sh" <<SH
exec "$PY" "$DL" /fanstore/train "$T/out.\$RANK"
SH
if can_nodes; then
	where="2 ranks as 2 nodes"
	run_nodes 2 --data "$T/ds" -- sh "$T/client.sh" >"$T/log" 2>&1 ||
		{ cat "$T/log"; fail "$where: the job failed"; }
else
	where="2 ranks on one node"
	run 2 --data "$T/ds" -- sh "$T/client.sh" >"$T/log" 2>&1 ||
		{ cat "$T/log"; fail "$where: the job failed"; }
fi
for r in 0 1; do
	for m in w0 fork spawn; do
		[ -f "$T/out.$r.$m" ] || { cat "$T/log"; fail "$where: rank $r wrote nothing for $m"; }
		diff -u "$T/want.w0" "$T/out.$r.$m" >"$T/diff" ||
			{ head -20 "$T/diff"; fail "$where: rank $r, $m: samples differ from the original tree's"; }
	done
done
ok "$where: DataLoader samples (workers 0, 2 fork, 2 spawn) equal the original tree's on every rank"
