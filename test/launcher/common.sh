# test/launcher/common.sh - helpers for the launcher's tests; source after test/lib.sh.
# These tests read the store with test/launcher/fsread (store + protocol
# directly), so the preloaded library is not needed: FANSTORE_LIB= empty.
FSREAD=$B/test/launcher/fsread
export FANSTORE_LIB=
[ -x "$EXEC" ] || fail "$EXEC is not built (make)"
[ -x "$FSREAD" ] || fail "$FSREAD is not built (make tests)"
[ -x "$PREP" ] || fail "$PREP is not built (make)"

# mkds NAME NPART [fanstore-prep options]: pack the tree T/NAME.tree
# (generated once, with links and odd names) into T/NAME.ds.
mkds() {
  local name=$1 n=$2; shift 2
  [ -d "$T/$name.tree" ] || gentree "$T/$name.tree" --links --weird >/dev/null
  rm -rf "$T/$name.ds"
  "$PREP" -q -n "$n" "$@" -o "$T/$name.ds" "$T/$name.tree"
}

# cache_empty [DIR]: nothing left in the cache.
cache_empty() {
  local d=${1:-$FANSTORE_CACHE}
  [ -z "$(ls -A "$d")" ] || fail "left in cache $d: $(ls -A "$d")"
}

# run_ranks NP ARGS...: fanstore-exec ARGS on NP ranks (no hang: 120 s
# limit); each rank's exit status is appended to T/exits, stderr to T/err.
run_ranks() {
  local np=$1; shift
  : >"$T/exits"
  timeout -k 5 120 mpirun -np "$np" sh -c '"$@"; echo $? >>"'"$T"'/exits"' sh "$EXEC" "$@" 2>"$T/err" || true
  cat "$T/err" >&2
  [ "$(wc -l <"$T/exits")" -eq "$np" ] || fail "expected $np rank exit statuses, got: $(cat "$T/exits")"
}

# run_single ARGS...: like run_ranks 1, without mpirun (a singleton).
run_single() {
  local rc=0
  timeout -k 5 120 "$EXEC" "$@" 2>"$T/err" || rc=$?
  cat "$T/err" >&2
  echo "$rc" >"$T/exits"
}

# nodes_run NP PER ARGS...: like run_ranks, but rank r uses the cache
# T/c$((r / PER)) (made if missing), so every PER ranks are a node of their own;
# stdout to T/out.
nodes_run() {
  local np=$1 per=$2; shift 2
  : >"$T/exits"
  timeout -k 5 120 mpirun -np "$np" sh -c \
    'c='"$T"'/c$((OMPI_COMM_WORLD_RANK / '"$per"')); mkdir -p "$c"
     FANSTORE_CACHE=$c "$@"; echo $? >>"'"$T"'/exits"' \
    sh "$EXEC" "$@" >"$T/out" 2>"$T/err" || true
  cat "$T/out" "$T/err"
  [ "$(wc -l <"$T/exits")" -eq "$np" ] || fail "expected $np exit statuses: $(cat "$T/exits")"
}

# all_exits CODE: every rank of the last run_ranks exited with CODE.
all_exits() {
  local bad
  bad=$(grep -vx "$1" "$T/exits" || true)
  [ -z "$bad" ] || fail "rank exit statuses $(tr '\n' ' ' <"$T/exits"), expected all $1"
}

# all_nonzero: every rank of the last run_ranks failed.
all_nonzero() {
  ! grep -qx 0 "$T/exits" || fail "some rank exited 0: $(tr '\n' ' ' <"$T/exits")"
}

# err_has TEXT: the last run's stderr says TEXT.
err_has() {
  grep -qF -- "$1" "$T/err" || fail "stderr does not mention '$1'"
}
# each_rank_says LINE: after a 2-rank job whose command fails on both
# ranks, LINE in stderr once per rank, or once and the failed rank's "stopping
# it on the other rank" (the first rank to fail stops the other's command,
# which may not have got as far as saying it)
each_rank_says() {
  local n
  n=$(count_of "$1" "$T/err")
  [ "$n" -eq 2 ] || { [ "$n" -eq 1 ] && grep -qF "stopping it on the other rank" "$T/err"; } ||
    fail "expected one line per rank (or one, and a stop) saying: $1"
}
