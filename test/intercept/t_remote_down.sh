#!/usr/bin/env bash
# A file held by another node while no launcher answers on JOBDIR/sock:
# the read fails with EIO and one line naming the socket; local files of
# the same job still read fine.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2 -r 1
# which files are in partition 1 (round-robin over the sorted walk): try all
remote=0 good=0
while IFS= read -r f; do
	rel=${f#"$T/src/"}
	if vrun cat "$MNT/$rel" >"$T/out" 2>"$T/err"; then
		cmp -s "$T/out" "$f" || fail "$rel: wrong bytes"
		good=$((good + 1))
	else
		grep -q "cannot reach the launcher" "$T/err" || { cat "$T/err"; fail "$rel: unclear error"; }
		grep -q "Input/output error" "$T/err" || { cat "$T/err"; fail "$rel: not EIO"; }
		remote=$((remote + 1))
	fi
done < <(find "$T/src" -type f -size +0 | sort | head -20)
[ $remote -gt 0 ] && [ $good -gt 0 ] || fail "expected both remote ($remote) and local ($good) files"
ok "$remote remote files fail with EIO, $good local files read"
