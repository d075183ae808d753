#!/usr/bin/env bash
# A command that initialises MPI itself never hangs the job: without the
# preloaded library it starts as a singleton (the launcher strips the MPI
# identity variables) and exits 0; with the library it is refused at once:
# status 1 on every rank and one line each saying what to use instead (or
# one, when the first refused rank stopped the other's command first).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
MPICHILD=$B/test/launcher/mpichild
[ -x "$MPICHILD" ] || fail "$MPICHILD is not built (make tests)"
mkds m 2
run_ranks 2 --data "$T/m.ds" -- "$MPICHILD" >"$T/out"
all_exits 0
[ "$(count_of "mpichild: MPI world of 1" "$T/out")" -eq 2 ] || fail "not two singletons: $(cat "$T/out")"
ok "MPI child runs as a singleton, no hang"
[ -f "$LIB" ] || fail "$LIB is not built (make)"
FANSTORE_LIB=$LIB run_ranks 2 --data "$T/m.ds" -- "$MPICHILD" >"$T/out"
all_exits 1
grep -q "mpichild: MPI world" "$T/out" && fail "MPI_Init under the library went on: $(cat "$T/out")"
each_rank_says "initialises MPI, which fanstore-exec already owns"
ok "MPI child with the preloaded library refused on both ranks (no hang)"
cache_empty
