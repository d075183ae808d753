#!/usr/bin/env bash
# cp -r out of the mount gives a copy equal to the original tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2 -l 6
vrun cp -r "$MNT" "$T/copy" || fail "cp -r failed"
diff -r --no-dereference "$T/src" "$T/copy" || fail "cp -r copy differs"
ok "cp -r: copy equal"
vrun cp -a "$MNT/d00" "$T/copya" || fail "cp -a failed"
diff -r "$T/src/d00" "$T/copya" || fail "cp -a copy differs"
ok "cp -a: copy equal"
