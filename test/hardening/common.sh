# test/hardening/common.sh - sourced by the hardening tests after test/lib.sh.
#
#   mkdata [gentree options]   tree $T/orig, packed into $T/data (2 partitions),
#                              list of its regular files in $T/list
#   job NP ARGS...             fanstore-exec ARGS on NP ranks, each its own node
#                              when root (run_nodes), else sharing one (run)
#   no_strays WHAT PATTERN     no process whose command line matches PATTERN
#   cache_empty                nothing left in $FANSTORE_CACHE
HB=$B/test/hardening
[ -x "$HB/rloop" ] || fail "build first: $HB/rloop missing (make tests)"
need_build

mkdata() {
	gentree "$T/orig" "$@" >/dev/null
	"$PREP" -q -n 2 -o "$T/data" "$T/orig"
	(cd "$T/orig" && find . -type f | sed 's|^\./||' | sort) >"$T/list"
	[ -s "$T/list" ] || fail "no files in $T/orig"
}

job() {
	local np=$1
	shift
	if can_nodes; then run_nodes "$np" "$@"; else run "$np" "$@"; fi
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
	[ -z "$(ls -A "$FANSTORE_CACHE")" ] || fail "left in the cache: $(ls -A "$FANSTORE_CACHE")"
	ok "no job directory left"
}
