#!/usr/bin/env bash
# When MPI binds rank 0 to one core and its command starts processes
# (a shell pipeline, a multiprocessing pool), which would all share that
# core, the library says so once for the job, naming the flags that fix
# it.  Not with --bind-to none, not for a command that starts nothing, and
# not for another rank's processes.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
[ "$(nproc --all)" -ge 2 ] || skip "one CPU online: no binding to warn about"
export FANSTORE_LIB=$LIB
[ -f "$LIB" ] || fail "$LIB is not built (make)"
mpirun -np 2 --bind-to core grep -h Cpus_allowed_list: /proc/self/status >"$T/aff" 2>/dev/null ||
  skip "mpirun --bind-to core does not run here"
[ "$(grep -c '[-,]' "$T/aff")" -eq 0 ] || skip "mpirun --bind-to core did not bind to one CPU: $(tr '\n' ' ' <"$T/aff")"
mkds bw 2
f=$(cd "$T/bw.tree" && find . -type f -name 'f*.txt' | LC_ALL=C sort | head -1)
[ -n "$f" ] || fail "the generated tree has no f*.txt"
WARN="fanstore: rank 0 may run on CPU "

# warns N BIND CMD...: 2 ranks bound with --bind-to BIND run CMD; the
# warning is on stderr N times.
warns() {
  local n=$1 bind=$2; shift 2
  : >"$T/exits"
  timeout -k 5 120 mpirun -np 2 --bind-to "$bind" sh -c '"$@"; echo $? >>"'"$T"'/exits"' \
    sh "$EXEC" --data "$T/bw.ds" -- "$@" >"$T/out" 2>"$T/err" || true
  cat "$T/err" >&2
  all_exits 0
  [ "$(count_of "$WARN" "$T/err")" -eq "$n" ] || fail "expected the warning $n time(s), got $(count_of "$WARN" "$T/err")"
}

# A pipeline in a pipeline: every stage is forked, in two shells.
warns 1 core sh -c 'cat "/fanstore/$0" | wc -c; sh -c "ls /fanstore | sort | wc -l" | cat' "$f"
err_has "mpirun --bind-to none"
err_has "srun --cpus-per-task=N"
ok "bound: a forking shell warns once: $(grep -m1 "$WARN" "$T/err")"

warns 1 core "$PY" -c 'import multiprocessing as mp, sys
with mp.Pool(2) as p: sys.exit(0 if sum(p.map(abs, range(10))) == 45 else 1)'
ok "bound: a multiprocessing pool warns once"

warns 0 none sh -c 'cat "/fanstore/$0" | wc -c' "$f"
ok "--bind-to none: no warning"

warns 0 core cat "/fanstore/$f"
ok "bound: a command that starts no process: no warning"

# Only rank 1's command starts processes.
warns 0 core sh -c 'if [ "$RANK" = 0 ]; then exec cat "/fanstore/$0"; fi; cat "/fanstore/$0" | wc -c' "$f"
ok "bound: processes started on rank 1 only: no warning"
cache_empty
