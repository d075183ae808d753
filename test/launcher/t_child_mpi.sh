#!/usr/bin/env bash
# A command that initialises MPI itself never hangs the job: without the
# preloaded library it starts as a singleton (the launcher strips the MPI
# identity variables); with the library (when built) it either works or
# is refused at once.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
MPICHILD=$B/test/launcher/mpichild
[ -x "$MPICHILD" ] || fail "$MPICHILD is not built (make tests)"
mkds m 2
run_ranks 2 --data "$T/m.ds" -- "$MPICHILD"
all_exits 0
ok "MPI child runs as a singleton, no hang"
if [ -f "$LIB" ]; then
  FANSTORE_LIB=$LIB run_ranks 2 --data "$T/m.ds" -- "$MPICHILD"
  ok "MPI child with the preloaded library: exits $(tr '\n' ' ' <"$T/exits")(no hang)"
fi
cache_empty
