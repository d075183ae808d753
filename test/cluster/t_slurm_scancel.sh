#!/usr/bin/env bash
# scancel of a running job, launched by srun and by mpirun inside the batch
# script: no launcher, no command and no job directory is left behind.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/cluster/slurm.sh"
slurm_start
mkdata
cp "$(command -v sleep)" "$T/hold"    # the command, known by its path
both_started() { [ -e "$T/started.0" ] && [ -e "$T/started.1" ]; }
none_left() {
  [ -z "$(procs_of "$EXEC")$(procs_of "$T/hold")$(procs_with "$T/ds")" ]
}
for form in "srun --mpi=pmix" "mpirun"; do
  rm -f "$T"/started.*
  cat >"$T/job.sh" <<EOF2
#!/bin/bash
#SBATCH --ntasks=2
$form "$EXEC" --data "$T/ds" -- sh -c 'touch "$T/started.\$RANK"; exec "$T/hold" 600'
EOF2
  jid=$(timeout 10 sbatch --parsable -o "$T/job.out" "$T/job.sh") || fail "sbatch"
  wait_for 60 both_started || { cat "$T/job.out"; fail "$form: the command did not start on both ranks within 60 s"; }
  [ "$(procs_of "$EXEC" | wc -l)" -eq 2 ] || fail "$form: expected 2 launchers running"
  [ "$(procs_of "$T/hold" | wc -l)" -eq 2 ] || fail "$form: expected 2 commands running"
  compgen -G "$FANSTORE_CACHE/fanstore.*" >/dev/null || fail "$form: no job directory while running"
  t0=$(date +%s.%N)
  timeout 10 scancel "$jid" || fail "scancel $jid"
  job_wait "$jid" 30
  # The job has left the queue; its processes get SIGKILL after KillWait (5 s).
  wait_for 20 none_left || {
    ps -eo pid,ppid,args | grep -F -e "$EXEC" -e "$T" | grep -v grep
    fail "$form: processes left 20 s after the job was cancelled"; }
  cache_empty
  dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  ok "$form: scancel leaves no launcher, command or job directory (all gone in $dt s)"
done
