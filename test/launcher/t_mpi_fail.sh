#!/usr/bin/env bash
# fanstore-exec --mpi never hangs: a spawned rank that exits non-zero or is
# killed ends the job with its status (128+N for signal N); a command that
# exits without calling MPI_Init, or never calls it, ends the job with one
# line within --timeout; without mpirun (a singleton, or under srun) --mpi
# fails at start with one line saying to use mpirun.  Every run is bounded
# and its status and message checked.  A job directory left by a job that
# was killed is removed by the next job on the node.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/spawn_common.sh"
mkds mf 2
D=(--data "$T/mf.ds")

spawn_run 2 120 --mpi "${D[@]}" -- "$PY" -c '
import sys
from mpi4py import MPI
sys.exit(3 if MPI.COMM_WORLD.rank == 1 else 0)'
status_is 3
ok "rank 1 exits 3: the job exits 3 in $(cat "$T/secs") s"

spawn_run 2 120 --mpi "${D[@]}" -- "$PY" -c '
import os, time
from mpi4py import MPI
if MPI.COMM_WORLD.rank == 1:
    os.kill(os.getpid(), 9)
time.sleep(30)'
status_is 137
grep -q "signal 9\|killed by a signal" "$T/err" || fail "no word of the signal"
ok "rank 1 killed by SIGKILL while rank 0 sleeps: the job exits 137 in $(cat "$T/secs") s"

spawn_run 2 120 --mpi --timeout 60 "${D[@]}" -- "$PY" -c 'print("no MPI here")'
status_is 1
err_has "exited with status 0 without calling MPI_Init: --mpi is for MPI programs"
ok "a command that exits without MPI_Init: exit 1 in $(cat "$T/secs") s, one line"

spawn_run 2 120 --mpi --timeout 3 "${D[@]}" -- "$PY" -c 'import time; time.sleep(300)'
status_is 1
err_has "did not call MPI_Init within 3 s (--timeout)"
awk -v s="$(cat "$T/secs")" 'BEGIN{exit !(s < 60)}' || fail "took $(cat "$T/secs") s"
ok "a command that never calls MPI_Init: exit 1 in $(cat "$T/secs") s (--timeout 3)"

# The killed jobs above left their job directories; this one removes them.
spawn_run 1 120 --mpi "${D[@]}" -- "$PY" -c 'from mpi4py import MPI; MPI.COMM_WORLD.Barrier()'
status_is 0
cache_empty
ok "the next job removed the job directories of killed ones"

rc=0
timeout -k 5 60 "$EXEC" --mpi "${D[@]}" -- "$PY" -c 'print(1)' >"$T/out" 2>"$T/err" || rc=$?
cat "$T/err"
[ $rc -eq 1 ] || fail "singleton --mpi: status $rc, expected 1"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "singleton --mpi: expected one line"
err_has "not started by mpirun"
err_has "mpirun -np N fanstore-exec --mpi"
ok "singleton --mpi fails at start with one line"

rc=0
SLURM_JOB_ID=1 SLURM_STEP_ID=0 timeout -k 5 60 "$EXEC" --mpi "${D[@]}" -- "$PY" -c 'print(1)' >"$T/out" 2>"$T/err" || rc=$?
cat "$T/err"
[ $rc -eq 1 ] || fail "srun-like --mpi: status $rc, expected 1"
err_has "started by srun, whose PMI cannot spawn processes; run mpirun inside the allocation"
ok "srun direct launch: --mpi fails at start with one line"

# Without --mpi the library still refuses MPI_Init, and says to use --mpi.
spawn_run 2 120 "${D[@]}" -- "$PY" -c 'from mpi4py import MPI; print("initialised")'
status_is 1
err_has "run it with fanstore-exec --mpi"
! grep -q initialised "$T/out" || fail "MPI_Init went through without --mpi"
ok "without --mpi, MPI_Init is refused with a line naming --mpi"
cache_empty
