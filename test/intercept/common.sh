# test/intercept/common.sh - sourced by the intercept tests after test/lib.sh.
#
#   src_tree                     make $T/src (gentree --links --weird)
#   mkjob_tree [mkjob options]   src_tree and the job directory $T/job from it
#   vrun CMD...                  run CMD with the library preloaded on $T/job
#   same NAME 'CMD using $ROOT'  run CMD on the original tree and on the
#                                mount, with $ROOT replaced by "ROOT" in
#                                the output, and require equal outputs
MKJOB=$B/test/intercept/mkjob
MNT=/fanstore
[ -x "$MKJOB" ] || fail "build first: $MKJOB missing (make tests)"
[ -f "$LIB" ] || fail "build first: $LIB missing (make)"

src_tree() {
	gentree "$T/src" --links --weird --files 60 --dirs 5 >/dev/null
}

mkjob_tree() {
	src_tree
	"$MKJOB" "$@" "$T/src" "$T/job"
}

# FANSTORE_PRELOAD_FIRST (e.g. the ASan runtime) goes before the library.
vrun() {
	FANSTORE_JOBDIR=$T/job FANSTORE_MOUNT=$MNT LD_PRELOAD="${FANSTORE_PRELOAD_FIRST:+$FANSTORE_PRELOAD_FIRST }$LIB" "$@"
}

same() {
	local name=$1 cmd=$2
	ROOT=$T/src bash -c "$cmd" 2>&1 | sed "s|$T/src|ROOT|g" >"$T/$name.orig" || true
	ROOT=$MNT vrun bash -c "$cmd" 2>&1 | sed "s|$MNT|ROOT|g" >"$T/$name.virt" || true
	if ! diff -u "$T/$name.orig" "$T/$name.virt" >"$T/$name.diff"; then
		head -40 "$T/$name.diff"
		fail "$name: output on the mount differs from the original tree"
	fi
	[ -s "$T/$name.orig" ] || fail "$name: no output at all"
	ok "$name: $(wc -l <"$T/$name.orig") lines equal"
}
