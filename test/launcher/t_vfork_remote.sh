#!/usr/bin/env bash
# A vfork child (Python's subprocess, posix_spawn) that makes a dataset file
# its stdin materialises it before the exec; for a file held by another
# node, too large to be fetched at open, that is a fetch through a channel.
# It must leave nothing in the parent thread's state (the child's
# descriptors vanish at the exec): the parent then reads the same file
# itself, through its own channel, and gets the right bytes.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
can_nodes || skip "needs root for unshare -m and a private tmpfs per rank"
[ -x /usr/bin/cmp ] || skip "no /usr/bin/cmp"
[ -f "$LIB" ] || fail "$LIB is not built (make)"
VR=$B/test/launcher/vforkread
[ -x "$VR" ] || fail "$VR is not built (make tests)"
# Two files above the 64 MiB fetched at open, compressed (little to send),
# one per partition; each rank reads both, so each reads one remotely.
mkdir -p "$T/v.tree"
"$PY" - "$T/v.tree" <<'PY'
import sys
for name, n, pat in (("big0", 70000000, b"0123456789abcdef\n"), ("big1", 69000001, b"fedcba9876543210\n")):
    open(sys.argv[1] + "/" + name, "wb").write((pat * (n // len(pat) + 1))[:n])
PY
"$PREP" -q -n 2 -l 1 -o "$T/v.ds" "$T/v.tree"
: >"$T/exits"
FANSTORE_LIB=$LIB timeout -k 5 120 "$MPIRUN" -np 2 unshare -m --propagation private sh -c \
  'mount -t tmpfs -o size=256m fstest "$FANSTORE_CACHE" && "$@"; echo $? >>"'"$T"'/exits"' sh \
  "$EXEC" -v --data "$T/v.ds" -- sh -c \
  '"$1" /fanstore/big0 "$2/big0" && "$1" /fanstore/big1 "$2/big1"' sh "$VR" "$T/v.tree" \
  >"$T/out" 2>"$T/err" || true
cat "$T/out" "$T/err"
[ "$(wc -l <"$T/exits")" -eq 2 ] || fail "expected 2 exit statuses: $(cat "$T/exits")"
all_exits 0
[ "$(grep -c 'the same in the vfork child and after it' "$T/out")" -eq 4 ] || fail "expected 4 files read"
[ "$(grep -c 'forwarded [1-9]' "$T/err")" -eq 2 ] || fail "a rank fetched nothing from the other node"
! grep -q 'no answer from the launcher' "$T/err" || fail "a fetch lost its channel"
ok "a vfork child fetches a remote file and the parent's channel is untouched"
