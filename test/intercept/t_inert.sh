#!/usr/bin/env bash
# Without FANSTORE_JOBDIR the library forwards everything; with a job
# directory that is not one, it says so in one line and forwards; a bad
# FANSTORE_MOUNT is refused the same way.  Programs keep working.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree
echo hi >"$T/plain.txt"
out=$(LD_PRELOAD="$LIB" cat "$T/plain.txt") && [ "$out" = hi ] || fail "no job: plain file"
if LD_PRELOAD="$LIB" ls "$MNT" >/dev/null 2>&1; then fail "no job: the mount appeared"; fi
ok "no job directory: inert"
mkdir "$T/notajob"
out=$(FANSTORE_JOBDIR=$T/notajob LD_PRELOAD="$LIB" cat "$T/plain.txt" 2>"$T/err") && [ "$out" = hi ] ||
	fail "bad job directory: plain file"
[ "$(grep -c fanstore "$T/err")" -eq 1 ] && grep -q "notajob" "$T/err" || { cat "$T/err"; fail "bad job directory: no single clear line"; }
ok "bad job directory: $(cat "$T/err")"
out=$(FANSTORE_JOBDIR=$T/job FANSTORE_MOUNT=relative LD_PRELOAD="$LIB" cat "$T/plain.txt" 2>"$T/err") && [ "$out" = hi ] ||
	fail "bad mount: plain file"
grep -q "FANSTORE_MOUNT" "$T/err" || { cat "$T/err"; fail "bad mount: no message"; }
ok "bad mount: $(cat "$T/err")"
out=$(FANSTORE_JOBDIR=$T/job FANSTORE_MOUNT=/data/set/ LD_PRELOAD="$LIB" cat /data/set/d00/f0001.bin | wc -c)
[ "$out" -eq 1 ] || fail "mount with a trailing slash and two levels"
ok "FANSTORE_MOUNT=/data/set/ works"
