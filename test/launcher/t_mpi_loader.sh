#!/usr/bin/env bash
# A PyTorch DataLoader with forked workers inside a command spawned by
# fanstore-exec --mpi: the workers read through the library (their fork
# children are not the spawned process, so they report nothing), the
# ranks' MPI collectives still work, and the job exits 0; on two nodes so
# that workers' reads of the other node's files cross MPI.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/spawn_common.sh"
"$PY" -c 'import torch' 2>/dev/null || skip "PyTorch missing under $PY (python3-torch)"
mkds ml 4
mkdir -p "$T/c0" "$T/c1"
rc=0
timeout -k 5 180 "$MPIRUN" -np 2 sh -c 'FANSTORE_CACHE='"$T"'/c$OMPI_COMM_WORLD_RANK exec "$@"' sh \
  "$EXEC" -v --mpi --data "$T/ml.ds" -- "$PY" "$MPIREAD" --all --epochs 2 --loader-workers 2 \
  --check "$T/ml.tree" >"$T/out" 2>"$T/err" || rc=$?
cat "$T/out"; grep -v ' load.c\| meta.c\| node.c' "$T/err" || true
[ $rc -eq 0 ] || fail "mpirun exited $rc"
grep -q "mpi_read.py: 2 ranks, .*every rank read all, .* 0 differences" "$T/out" || fail "bad read"
[ "$(grep -c 'exited with status 0' "$T/err")" -eq 2 ] || fail "expected each launcher to see its command exit 0"
fwd=$(sed -n 's/.*forwarded \([0-9]*\),.*/\1/p' "$T/err" | sort -n | head -1)
[ "${fwd:-0}" -gt 0 ] || fail "no worker read the other node's files"
ok "DataLoader with 2 forked workers per rank, 2 epochs, 2 nodes: bytes match, statuses 0"
cache_empty "$T/c0"
cache_empty "$T/c1"
