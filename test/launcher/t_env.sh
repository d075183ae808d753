#!/usr/bin/env bash
# The command's environment: LD_PRELOAD with the library first, the job
# directory and mount, torch.distributed's variables unless already set,
# and none of the variables that would make an MPI library join this job.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds e 2
fake=$T/libfake.so
: >"$fake"
export LD_PRELOAD_KEEP=1
FANSTORE_LIB=$fake LD_PRELOAD=/lib/x86_64-linux-gnu/libc.so.6 MASTER_PORT=4242 \
  mpirun -np 2 "$EXEC" --mount /data/set --data "$T/e.ds" -- sh -c 'env >'"$T"'/env.$RANK' 2>"$T/err" ||
  { cat "$T/err"; fail "job failed"; }
for r in 0 1; do
  f=$T/env.$r
  grep -qx "LD_PRELOAD=$fake:/lib/x86_64-linux-gnu/libc.so.6" "$f" || fail "rank $r: LD_PRELOAD: $(grep LD_PRELOAD "$f")"
  grep -qx "FANSTORE_MOUNT=/data/set" "$f" || fail "rank $r: FANSTORE_MOUNT"
  grep -q "^FANSTORE_JOBDIR=$FANSTORE_CACHE/fanstore\.$(id -u)\." "$f" || fail "rank $r: FANSTORE_JOBDIR"
  grep -qx "RANK=$r" "$f" || fail "rank $r: RANK"
  grep -qx "WORLD_SIZE=2" "$f" || fail "rank $r: WORLD_SIZE"
  grep -qx "LOCAL_RANK=$r" "$f" || fail "rank $r: LOCAL_RANK"
  grep -qx "LOCAL_WORLD_SIZE=2" "$f" || fail "rank $r: LOCAL_WORLD_SIZE"
  grep -qx "MASTER_ADDR=$(hostname)" "$f" || fail "rank $r: MASTER_ADDR"
  grep -qx "MASTER_PORT=4242" "$f" || fail "rank $r: MASTER_PORT set by the user must stay"
  ! grep -qE '^(OMPI_COMM_WORLD|PMIX_RANK|PMIX_NAMESPACE|OMPI_MCA_ess)' "$f" || fail "rank $r: MPI identity variables passed on"
done
ok "environment of the command"
# Without the user's MASTER_PORT every rank gets the same one, chosen by rank 0.
FANSTORE_LIB=$fake mpirun -np 2 "$EXEC" --data "$T/e.ds" -- sh -c 'env >'"$T"'/env.$RANK' 2>"$T/err" || fail "job failed"
p0=$(grep '^MASTER_PORT=' "$T/env.0"); p1=$(grep '^MASTER_PORT=' "$T/env.1")
[ -n "$p0" ] && [ "$p0" = "$p1" ] || fail "MASTER_PORT differs: '$p0' '$p1'"
ok "MASTER_PORT agreed"
# A preload library that is not there: a clear error before anything loads.
FANSTORE_LIB=$T/nolib.so run_ranks 2 --data "$T/e.ds" -- true
all_nonzero
err_has "nolib.so"
# --keep leaves the job directory.
"$EXEC" --keep --data "$T/e.ds" -- true
ls "$FANSTORE_CACHE" | grep -q '^fanstore\.' || fail "--keep removed the job directory"
rm -rf "$FANSTORE_CACHE"/fanstore.*
FANSTORE_KEEP=1 FANSTORE_VERBOSE=1 "$EXEC" --data "$T/e.ds" -- true 2>"$T/err"
ls "$FANSTORE_CACHE" | grep -q '^fanstore\.' || fail "FANSTORE_KEEP=1 removed the job directory"
grep -q '^fanstore-exec\[0\] .*keeping job directory' "$T/err" || fail "FANSTORE_VERBOSE=1 said nothing"
rm -rf "$FANSTORE_CACHE"/fanstore.*
ok "missing preload library; --keep, FANSTORE_KEEP, FANSTORE_VERBOSE"
# Without --cache or FANSTORE_CACHE the cache is /dev/shm when it has room.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  (unset FANSTORE_CACHE; "$EXEC" --data "$T/e.ds" -- sh -c 'echo "$FANSTORE_JOBDIR"' >"$T/jd")
  grep -q '^/dev/shm/fanstore\.' "$T/jd" || fail "default cache: $(cat "$T/jd")"
  [ ! -e "$(cat "$T/jd")" ] || fail "job directory left in /dev/shm"
  ok "default cache /dev/shm"
fi
