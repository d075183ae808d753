#!/usr/bin/env bash
# A program under the library that calls MPI_Init (or MPI_Init_thread) is
# stopped at once with a non-zero status and one line saying what to use.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree
for fn in "MPI_Init(None, None)" "MPI_Init_thread(None, None, 0, None)"; do
	rc=0
	timeout 20 env FANSTORE_JOBDIR="$T/job" LD_PRELOAD="$LIB" "$PY" -c "
import ctypes
ctypes.CDLL(None).$fn
print('continued')" >"$T/out" 2>"$T/err" || rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "$fn: status $rc (0 = not refused, 124 = hung)"
	grep -q "continued" "$T/out" && fail "$fn: the program went on"
	grep -q "fanstore-exec already owns" "$T/err" || { cat "$T/err"; fail "$fn: no explanation"; }
	ok "$fn refused: $(head -1 "$T/err")"
done
