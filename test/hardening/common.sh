# test/hardening/common.sh - sourced by the hardening tests after test/lib.sh.
#
#   mkdata [gentree options]   tree $T/orig, packed into $T/data (2 partitions),
#                              list of its regular files in $T/list
#   job_exits NP ARGS...       fanstore-exec ARGS on NP ranks, each its own node
#                              when root, else sharing one; exit statuses in
#                              $T/exits, output in $T/out
#   all_exits CODE             every rank exited CODE
#   no_strays WHAT PATTERN     no process whose command line matches PATTERN
#   cache_empty                no launcher of $T/data running, nothing left in
#                              $FANSTORE_CACHE nor in any node's cache
HB=$B/test/hardening
[ -x "$HB/rloop" ] || fail "build first: $HB/rloop missing (make tests)"
need_build

mkdata() {
	gentree "$T/orig" "$@" >/dev/null
	"$PREP" -q -n 2 -o "$T/data" "$T/orig"
	(cd "$T/orig" && find . -type f | sed 's|^\./||' | sort) >"$T/list"
	[ -s "$T/list" ] || fail "no files in $T/orig"
}

no_strays() {
	local what=$1 pat=$2 n
	for _ in $(seq 50); do
		n=$(pgrep -fc -- "$pat" || true)
		[ "$n" -eq 0 ] && { ok "no $what left"; return 0; }
		sleep 0.1
	done
	pgrep -fa -- "$pat" >&2 || true
	fail "$n $what still running"
}

cache_empty() {
	no_strays "launchers" "fanstore-exec.* --data $T/data"
	[ -z "$(ls -A "$FANSTORE_CACHE")" ] || fail "left in the cache: $(ls -A "$FANSTORE_CACHE")"
	[ ! -s "$T/left" ] || fail "left in a node's cache: $(cat "$T/left")"
	ok "no job directory left"
}

# job_exits NP ARGS...: each rank's fanstore-exec exit status appended to
# $T/exits (120 s limit; output in $T/out).  On private nodes, what is
# left in a node's cache after its launcher ends goes to $T/left.
job_exits() {
	local np=$1
	shift
	: >"$T/exits"
	: >"$T/left"
	if can_nodes; then
		timeout -k 5 120 $MPIRUN -np "$np" unshare -m --propagation private sh -c \
			'mount -t tmpfs -o size=1g,mode=0755 fanstore-node "$FANSTORE_CACHE" && "$@"; echo $? >>"'"$T"'/exits"; ls -A "$FANSTORE_CACHE" >>"'"$T"'/left"' \
			sh "$EXEC" "$@" >"$T/out" 2>&1 || true
	else
		timeout -k 5 120 $MPIRUN -np "$np" sh -c '"$@"; echo $? >>"'"$T"'/exits"' \
			sh "$EXEC" "$@" >"$T/out" 2>&1 || true
	fi
	cat "$T/out"
	[ "$(wc -l <"$T/exits")" -eq "$np" ] || fail "expected $np exit statuses, got: $(cat "$T/exits")"
}

# all_exits CODE: every rank of the last job_exits exited with CODE.
all_exits() {
	[ -z "$(grep -vx "$1" "$T/exits" || true)" ] ||
		fail "rank exit statuses $(tr '\n' ' ' <"$T/exits"), expected all $1"
	ok "every rank exited $1"
}
