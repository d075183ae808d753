#!/usr/bin/env bash
# mpirun fanstore-exec inside an sbatch allocation of 2 tasks (Open MPI
# reads the allocation from Slurm): every rank reads every file byte for
# byte, and the command's exit status is mpirun's and so the job's.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/cluster/slurm.sh"
slurm_start
mkdata
cat >"$T/job.sh" <<EOF2
#!/bin/bash
#SBATCH --ntasks=2
mpirun "$EXEC" --data "$T/ds" -- "$T/readall.sh" mpirun 3
EOF2
jid=$(timeout 10 sbatch --parsable -o "$T/job.out" "$T/job.sh") || fail "sbatch"
job_wait "$jid" 60
cat "$T/job.out"
rc=$(job_exit "$jid")
[ "$rc" = 3 ] || fail "job exited $rc, expected the command's 3"
check_ranks mpirun 2
ok "a command exiting 3 gives mpirun's (the job's) exit 3"
cache_empty
