#!/usr/bin/env bash
# fanstore-exec --mpi spawns an mpi4py program as an MPI job of its own, one
# process per rank: every rank reads the whole dataset through the mount,
# checks the bytes against the tree, and the ranks allreduce a checksum; with
# 1, 2 and 3 ranks on one node, on separate nodes (each rank its own cache
# directory, so other ranks' files come over MPI), and with FANSTORE_MPI=1.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/spawn_common.sh"
mkds mr 4 -b d01

for np in 1 2 3; do
  spawn_run "$np" 120 --mpi --data "$T/mr.ds" -- "$PY" "$MPIREAD" --all --check "$T/mr.tree"
  status_is 0
  grep -q "mpi_read.py: $np ranks, .*every rank read all, allreduced checksum .*, 0 differences" "$T/out" ||
    fail "$np ranks: no summary from the spawned job"
  [ "$(grep -c "^rank [0-9]/$np: " "$T/out")" -eq "$np" ] || fail "$np ranks: not every rank reported"
  [ "$(sed -n 's/^rank .* checksum //p' "$T/out" | sort -u | wc -l)" -eq 1 ] || fail "ranks read different bytes"
  ok "$np ranks, one node: every rank read every file, checksums allreduced and equal"
  cache_empty
done
all=$(sed -n 's/^rank 0.* checksum //p' "$T/out")

# Sharded reading gives the same allreduced checksum as one rank reading all.
FANSTORE_MPI=1 spawn_run 3 120 --data "$T/mr.ds" -- "$PY" "$MPIREAD" --check "$T/mr.tree"
status_is 0
grep -q "sharded, allreduced checksum $all, 0 differences" "$T/out" ||
  fail "sharded checksum differs from one rank's whole read ($all)"
ok "FANSTORE_MPI=1, 3 ranks sharded: allreduced checksum $all"

# Separate nodes: rank r uses cache T/cR, so each node holds only its own
# partitions and the rest come from the other launchers over MPI.
for np in 2 3; do
  for r in $(seq 0 $((np - 1))); do mkdir -p "$T/c$r"; done
  t0=$(date +%s.%N)
  rc=0
  timeout -k 5 120 "$MPIRUN" -np "$np" sh -c 'FANSTORE_CACHE='"$T"'/c$OMPI_COMM_WORLD_RANK exec "$@"' sh \
    "$EXEC" -v --mpi --data "$T/mr.ds" -- "$PY" "$MPIREAD" --all --check "$T/mr.tree" >"$T/out" 2>"$T/err" || rc=$?
  cat "$T/out"; grep -v ' load.c\| meta.c\| node.c' "$T/err" || true
  [ $rc -eq 0 ] || fail "$np nodes: mpirun exited $rc"
  grep -q "$np ranks, $np nodes" "$T/err" || fail "expected $np nodes in the summary"
  grep -q "mpi_read.py: $np ranks, .*every rank read all, .* 0 differences" "$T/out" || fail "$np nodes: bad read"
  fwd=$(sed -n 's/.*forwarded \([0-9]*\),.*/\1/p' "$T/err" | sort -n | head -1)
  [ "${fwd:-0}" -gt 0 ] || fail "$np nodes: some rank read nothing from another node"
  ok "$np ranks as $np nodes: remote reads over MPI while the command's own MPI works"
  for r in $(seq 0 $((np - 1))); do cache_empty "$T/c$r"; done
done

# The status comes back however the command ends and whatever it runs
# through: a shell that execs Python (the new program reconnects from the
# same pid), a shell that forks it, and Python leaving by os._exit.
for wrap in 'exec "$@"' '"$@"; echo "shell after: $?"'; do
  spawn_run 2 120 -v --mpi --data "$T/mr.ds" -- sh -c "$wrap" sh "$PY" "$MPIREAD" --check "$T/mr.tree"
  status_is 0
  grep -q "sharded, allreduced checksum $all, 0 differences" "$T/out" || fail "sh -c '$wrap': bad read"
  [ "$(grep -c 'spawned sh (pid [0-9]*) exited with status 0' "$T/err")" -eq 2 ] ||
    fail "sh -c '$wrap': a launcher did not see status 0"
  ok "through sh -c '$wrap': read right, both statuses 0"
done
spawn_run 2 120 -v --mpi --data "$T/mr.ds" -- "$PY" -c '
import os, sys
from mpi4py import MPI
MPI.COMM_WORLD.Barrier()
MPI.Finalize()
sys.stdout.flush()
os._exit(0)'
status_is 0
[ "$(grep -c 'exited with status 0' "$T/err")" -eq 2 ] || fail "os._exit(0): a launcher did not see status 0"
ok "os._exit(0) after MPI_Finalize: status 0 reported through _exit"
cache_empty
