# test/launcher/spawn_common.sh - helpers for the tests of fanstore-exec --mpi;
# source after test/lib.sh and common.sh.  These commands run under the
# preloaded library (it reports the spawned command's status), with mpi4py.
export FANSTORE_LIB=$LIB
[ -f "$LIB" ] || fail "$LIB is not built (make)"
"$PY" -c 'import mpi4py' 2>/dev/null || skip "mpi4py missing under $PY (python3-mpi4py; test/deps.sh test)"
case "$MPIRUN" in *mpich*) skip "--mpi tests use mpi4py, which Debian builds against Open MPI" ;; esac
MPIREAD=$TOP/examples/mpi_read.py

# spawn_run NP LIMIT ARGS...: mpirun -np NP fanstore-exec ARGS, killed after
# LIMIT seconds; its status in T/rc, seconds taken in T/secs, output in
# T/out and T/err.
spawn_run() {
  local np=$1 limit=$2 rc=0 t0; shift 2
  t0=$(date +%s.%N)
  timeout -k 5 "$limit" "$MPIRUN" -np "$np" "$EXEC" "$@" >"$T/out" 2>"$T/err" || rc=$?
  awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f\n", e-s}' >"$T/secs"
  echo "$rc" >"$T/rc"
  cat "$T/out" "$T/err"
  [ "$rc" -ne 124 ] && awk -v s="$(cat "$T/secs")" -v l="$limit" 'BEGIN{exit !(s < l)}' ||
    fail "mpirun did not end by itself within $limit s (status $rc)"
}

# status_is CODE: the last spawn_run's mpirun exited with CODE.
status_is() {
  [ "$(cat "$T/rc")" = "$1" ] || fail "mpirun exited $(cat "$T/rc"), expected $1"
}
