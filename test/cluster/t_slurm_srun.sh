#!/usr/bin/env bash
# srun -n 2 --mpi=pmix fanstore-exec (direct launch: Slurm's PMIx plugin
# wires up Open MPI) on a one-node Slurm cluster: every rank reads every file
# byte for byte, on one node and as two nodes whose remote reads cross MPI,
# and the command's exit status comes back as srun's, for a plain exit and
# for a death by signal.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/cluster/slurm.sh"
slurm_start
timeout 10 srun --mpi=list 2>&1 | grep -qw pmix || fail "srun has no pmix plugin (slurm-wlm-basic-plugins)"
mkdata

rc=0
timeout -k 5 60 srun -n 2 --mpi=pmix "$EXEC" --data "$T/ds" -- "$T/readall.sh" srun 3 || rc=$?
[ $rc -eq 3 ] || fail "srun exited $rc, expected the command's 3"
check_ranks srun 2
ok "a command exiting 3 gives srun's exit 3"
cache_empty

rc=0
timeout -k 5 60 srun -n 2 --mpi=pmix "$EXEC" --data "$T/ds" -- sh -c 'kill -TERM $$' 2>"$T/err" || rc=$?
[ $rc -eq 143 ] || { cat "$T/err"; fail "srun exited $rc, expected 143 (the command killed by SIGTERM)"; }
cache_empty
ok "a command killed by SIGTERM gives srun's exit 143"

# Each rank a node of its own (a private tmpfs at the cache): files held by
# the other rank come over MPI, wired up by Slurm's PMIx.
can_nodes || { ok "no private mounts here: remote reads under srun not tried"; exit 0; }
rc=0
timeout -k 5 60 srun -n 2 --mpi=pmix unshare -m --propagation private \
  sh -c 'mount -t tmpfs -o size=1g,mode=0755 fanstore-node "$FANSTORE_CACHE" && exec "$@"' sh \
  "$EXEC" --data "$T/ds" -- "$T/readall.sh" nodes 0 2>"$T/err" || rc=$?
grep -q '2 ranks, 2 nodes' "$T/err" || { cat "$T/err"; fail "the ranks were not 2 nodes"; }
[ $rc -eq 0 ] || { cat "$T/err"; fail "srun exited $rc"; }
check_ranks nodes 2
