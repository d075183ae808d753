#!/usr/bin/env bash
# The project builds with MPICH (make MPI=mpich, from a copy of the source
# tree) and a 2-rank job under mpirun.mpich reads the whole dataset right,
# with both ranks on one node and, as root, as two nodes (remote reads
# cross MPICH).
. "$(dirname "$0")/../lib.sh"
command -v mpicc.mpich >/dev/null && command -v mpirun.mpich >/dev/null ||
	skip "MPICH is not installed (Debian: apt-get install mpich libmpich-dev)"
[ -n "$(git -C "$TOP" ls-files -- Makefile 2>/dev/null)" ] || skip "$TOP is not a git checkout to copy"
mkdir -p "$T/src"
(cd "$TOP" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$T/src") ||
	fail "copying the source tree failed"
# B=build: the runner exports B as this tree's build directory, which the
# copy must not write into.
make -C "$T/src" -s -j2 B=build MPI=mpich bin/fanstore-exec bin/fanstore-prep lib/libfanstore.so >"$T/build.log" 2>&1 || { tail -30 "$T/build.log"; fail "make MPI=mpich failed"; }
ldd "$T/src/bin/fanstore-exec" >"$T/ldd"; grep -q libmpich "$T/ldd" || fail "fanstore-exec is not linked with MPICH"
ok "built with MPICH"
MPIRUN=mpirun.mpich
EXEC=$T/src/bin/fanstore-exec
PREP=$T/src/bin/fanstore-prep
gentree "$T/orig" --files 60 --dirs 4 --links --sizes 0,1,4096,100000,300000 >/dev/null
"$PREP" -q -n 3 -o "$T/data" "$T/orig"
run 2 --data "$T/data" -- diff -r --no-dereference "$T/orig" /fanstore || fail "mpirun.mpich, one node: diff -r differs"
ok "MPICH, 2 ranks on one node: diff -r clean"
if can_nodes; then
	run_nodes 2 --data "$T/data" -- diff -r --no-dereference "$T/orig" /fanstore || fail "mpirun.mpich, two nodes: diff -r differs"
	ok "MPICH, 2 ranks as 2 nodes: diff -r clean"
fi
[ -z "$(ls -A "$FANSTORE_CACHE")" ] || fail "left in the cache: $(ls -A "$FANSTORE_CACHE")"
