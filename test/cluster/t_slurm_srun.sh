#!/usr/bin/env bash
# srun -n 2 --mpi=pmix fanstore-exec (direct launch: Slurm's PMIx plugin
# wires up Open MPI) on a one-node Slurm cluster: every rank reads every file
# byte for byte, and the command's exit status comes back as srun's, for a
# plain exit and for a death by signal.
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
