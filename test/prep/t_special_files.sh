#!/usr/bin/env bash
# FIFOs and sockets are skipped with a warning naming them; the rest packs.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 4
mkfifo "$T/ds/a.fifo"
"$PY" -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/ds/d00/a.sock"
"$PREP" -n 2 -o "$T/out" "$T/ds" 2>"$T/err" || { cat "$T/err"; fail "pack failed"; }
grep -q "skipping a.fifo: it is a FIFO" "$T/err" || { cat "$T/err"; fail "FIFO not reported"; }
grep -q "skipping d00/a.sock: it is a socket" "$T/err" || { cat "$T/err"; fail "socket not reported"; }
"$PREP" --list "$T/out" | grep -qE 'a\.(fifo|sock)' && fail "special file packed"
# The packed tree equals the original without them: removing the socket
# changes d00's mtime, so it gets back the one it had when packed.
touch -r "$T/ds/d00" "$T/d00.mtime"
rm "$T/ds/a.fifo" "$T/ds/d00/a.sock"
touch -r "$T/d00.mtime" "$T/ds/d00"
check_roundtrip "$T/ds" "$T/out"
ok "special files skipped"
