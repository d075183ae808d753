# test/lib.sh - sourced by every test script.
set -euo pipefail
TOP=${FANSTORE_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
B=${B:-build}
case "$B" in /*) ;; *) B=$TOP/$B ;; esac
PY=/usr/bin/python3
MPIRUN=${MPIRUN:-mpirun}   # MPIRUN=mpirun.mpich with a build made with MPI=mpich
PREP=$TOP/bin/fanstore-prep
EXEC=$TOP/bin/fanstore-exec
LIB=$TOP/lib/libfanstore.so
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
T=$(mktemp -d /tmp/fstest.XXXXXX)
export FANSTORE_CACHE=$T/cache
mkdir -p "$FANSTORE_CACHE"
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok()   { echo "ok: $*"; }
# gentree DIR [gentree.py options]
gentree() { "$PY" "$TOP/test/gentree.py" "$@"; }
# run NP ARGS...: fanstore-exec under mpirun with NP ranks
run() { local np=$1; shift; $MPIRUN -np "$np" "$EXEC" "$@"; }
# count_of TEXT FILE: how many times TEXT occurs in FILE.  Ranks write at
# once, so their lines can run together ("a:b:" on one line): count
# occurrences, never lines.
count_of() { grep -oF -- "$1" "$2" | wc -l; }
# expect_fail "what" CMD...: CMD must exit non-zero
expect_fail() { local what=$1; shift; if "$@"; then fail "$what: succeeded, expected failure"; fi; ok "$what fails"; }
# Each rank its own "node": a private mount namespace with its own tmpfs at
# $FANSTORE_CACHE, so ranks share no node-local storage and remote reads
# really cross MPI.  Needs root; can_nodes says whether it works here.
can_nodes() { [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; }
# run_nodes NP ARGS...: like run, one node per rank
run_nodes() {
  local np=$1; shift
  $MPIRUN -np "$np" unshare -m --propagation private \
    sh -c 'mount -t tmpfs -o size=4g,mode=0755 fanstore-node "$FANSTORE_CACHE" && exec "$@"' sh "$EXEC" "$@"
}
need_build() { [ -x "$PREP" ] && [ -x "$EXEC" ] && [ -f "$LIB" ] || fail "not built: run make first"; }
