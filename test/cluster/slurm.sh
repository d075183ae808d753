# test/cluster/slurm.sh - a one-node Slurm cluster on this machine, for the
# Slurm tests; source after test/lib.sh.  slurm_start starts munged,
# slurmctld and slurmd (as root, in the foreground, everything under
# $T/slurm, ports chosen free); the EXIT trap stops every job and every
# daemon it started, by pid.  Every wait is bounded.
. "$TOP/test/cluster/common.sh"
SL=$T/slurm
SLURM_PIDS=()

[ "$(id -u)" = 0 ] || skip "needs root: starts munged, slurmctld and slurmd"
for p in munged mungekey slurmctld slurmd srun sbatch squeue scancel sinfo scontrol; do
  command -v "$p" >/dev/null || skip "$p not installed (test/deps.sh test installs munge, slurmctld, slurmd, slurm-client)"
done
need_build
# A test run inside a real job must not talk to that job's cluster.
for v in $(compgen -e); do case "$v" in SLURM_*|SBATCH_*|SRUN_*|SALLOC_*|SQUEUE_*) unset "$v" ;; esac; done

# free_port: a TCP port nobody listens on (on the loopback).
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free TCP port found"
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds; 1 if it
# has not within SECONDS.
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}

munge_up() { munge -S "$SL/munge/sock" -n >/dev/null 2>&1; }
node_idle() { [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ]; }

slurm_start() {
  mkdir -p "$SL/munge" "$SL/state" "$SL/spool" "$SL/log"
  chmod 0700 "$SL/munge"
  mungekey --create --keyfile="$SL/munge/munge.key" || fail "mungekey"
  munged -F --force --socket="$SL/munge/sock" --key-file="$SL/munge/munge.key" \
    --pid-file="$SL/munge/pid" --seed-file="$SL/munge/seed" --log-file="$SL/log/munged.log" \
    >"$SL/log/munged.out" 2>&1 &
  SLURM_PIDS+=($!)
  wait_for 10 munge_up \
    || { cat "$SL/log/munged.out"; fail "munged did not answer within 10 s"; }
  local cport dport
  cport=$(free_port); dport=$(free_port)
  [ "$cport" != "$dport" ] || dport=$((cport + 1))
  # One node of 2 CPUs (config_overrides: whatever the machine has), no
  # cgroups (proctrack/linuxproc), no accounting; KillWait 5 s so that a
  # cancelled job's processes get SIGKILL 5 s after SIGTERM.
  cat >"$SL/slurm.conf" <<EOF
ClusterName=fanstoretest
SlurmctldHost=localhost
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SL/munge/sock
StateSaveLocation=$SL/state
SlurmdSpoolDir=$SL/spool
SlurmctldPidFile=$SL/slurmctld.pid
SlurmdPidFile=$SL/slurmd.pid
SlurmctldLogFile=$SL/log/slurmctld.log
SlurmdLogFile=$SL/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
MailProg=/bin/true
KillWait=5
MinJobAge=300
MessageTimeout=10
InactiveLimit=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=10 State=UP
EOF
  export SLURM_CONF=$SL/slurm.conf
  slurmctld -D -i -f "$SLURM_CONF" >"$SL/log/slurmctld.out" 2>&1 &
  SLURM_PIDS+=($!)
  slurmd -D -N localhost -f "$SLURM_CONF" >"$SL/log/slurmd.out" 2>&1 &
  SLURM_PIDS+=($!)
  wait_for 30 node_idle || {
    tail -n 20 "$SL"/log/*.out; fail "the Slurm node did not come up within 30 s"; }
  ok "one-node Slurm cluster up (slurmctld :$cport, slurmd :$dport)"
}

# slurm_stop: cancel every job, wait for them (15 s), then stop the daemons
# in reverse order (TERM, KILL after 10 s), slurmctld's helper with it.
slurm_stop() {
  [ ${#SLURM_PIDS[@]} -gt 0 ] || return 0
  if [ -n "${SLURM_CONF:-}" ]; then
    timeout 10 scancel --full --quiet --user=root 2>/dev/null || true
    wait_for 15 jobs_gone || echo "warning: jobs still listed: $(timeout 5 squeue -h 2>&1)" >&2
  fi
  local i pid kids
  for ((i = ${#SLURM_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${SLURM_PIDS[$i]}
    kids=$(pgrep -P "$pid" 2>/dev/null || true)
    kill -TERM "$pid" 2>/dev/null || continue
    wait_for 10 gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
    for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
    wait "$pid" 2>/dev/null || true
  done
  SLURM_PIDS=()
}
gone() { ! kill -0 "$1" 2>/dev/null; }
jobs_gone() { [ -z "$(timeout 5 squeue -h 2>/dev/null)" ]; }
cleanup() { slurm_stop; rm -rf "$T"; }

# job_wait JOBID SECONDS [OUTPUT]: until the job has left the queue; fail after SECONDS.
job_wait() {
  wait_for "$2" job_done "$1" || {
    timeout 5 squeue -j "$1" >&2 || true
    [ -z "${3:-}" ] || { echo "--- $3 so far:" >&2; tail -n 40 "$3" >&2 || true; }
    fail "job $1 still in the queue after $2 s"; }
}
job_done() { [ -z "$(timeout 5 squeue -h -j "$1" -o %T 2>/dev/null)" ]; }

# job_exit JOBID: the job's exit code (the batch script's status).
job_exit() {
  local ec
  ec=$(timeout 10 scontrol show job "$1" | grep -o 'ExitCode=[0-9]*:[0-9]*' | head -n1)
  ec=${ec#ExitCode=}
  [ -n "$ec" ] || fail "no exit code for job $1"
  echo "${ec%%:*}"
}

# procs_with STRING: pids of processes whose command line contains STRING;
# procs_of PROG: those whose command line starts with PROG.
procs_with() {
  ps -eo pid=,args= | awk -v s="$1" '{p = $1; sub(/^ *[0-9]+ /, "")} index($0, s) && !/^awk / {print p}'
}
procs_of() {
  ps -eo pid=,args= | awk -v s="$1 " '{p = $1; sub(/^ *[0-9]+ /, "")} index($0, s) == 1 {print p}'
}


# mkdata: T/tree (odd names, links), packed into T/ds (3 partitions and a
# broadcast one); T/expect.md5 its files' sums; T/readall.sh TAG CODE, run
# on every rank, writes the sums of every file under the mount to
# T/out/TAG.RANK and exits CODE; a CODE other than 0 after every rank has
# written its sums (up to 60 s), since a failing rank ends the job.
mkdata() {
  gentree "$T/tree" --weird --links >/dev/null
  "$PREP" -q -n 3 -b d01 -o "$T/ds" "$T/tree" || fail "fanstore-prep"
  md5_tree "$T/tree" >"$T/expect.md5"
  mkdir -p "$T/out"
  cat >"$T/readall.sh" <<RS
#!/bin/sh
cd "\$FANSTORE_MOUNT" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum >"$T/out/\$1.\$RANK.part" || exit 9
mv "$T/out/\$1.\$RANK.part" "$T/out/\$1.\$RANK" || exit 9
if [ "\$2" != 0 ]; then
  for i in \$(seq 600); do
    [ "\$(ls "$T/out" | grep -c "^\$1\\.[0-9]*\$")" -ge "\$WORLD_SIZE" ] && break
    sleep 0.1
  done
fi
exit "\$2"
RS
  chmod +x "$T/readall.sh"
}

# check_ranks TAG NP: ranks 0..NP-1 each read every file byte for byte.
check_ranks() {
  local r
  for ((r = 0; r < $2; r++)); do
    [ -s "$T/out/$1.$r" ] || fail "$1: rank $r wrote no sums"
    cmp -s "$T/expect.md5" "$T/out/$1.$r" || {
      diff "$T/expect.md5" "$T/out/$1.$r" | head; fail "$1: rank $r read different bytes"; }
  done
  [ ! -e "$T/out/$1.$2" ] || fail "$1: more than $2 ranks"
  ok "$1: $2 ranks read all $(wc -l <"$T/expect.md5") files byte for byte"
}
