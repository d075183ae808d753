#!/usr/bin/env bash
# The launcher's socket: malformed or out-of-range requests get an error
# reply naming the problem (EPROTO, ENOENT, EINVAL) and the launcher keeps
# serving; another user cannot connect.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds k 2
cat >"$T/client.py" <<'PY'
import errno, os, socket, struct, sys
REQ, REP = "<IHHQQQQ", "<IHHQiIQ"
MAGIC, VER, FETCH, PING, DATA, ERROR = 0x46535251, 2, 1, 4, 2, 3
s = socket.socket(socket.AF_UNIX)
s.connect(os.path.join(os.environ["FANSTORE_JOBDIR"], "sock"))
def ask(raw):
    s.sendall(raw)
    b = b""
    while len(b) < 32:
        b += s.recv(32 - len(b))
    return struct.unpack(REP, b)
def expect(name, raw, typ, status):
    m, v, t, i, st, _, n = ask(raw)
    if (t, st) != (typ, status):
        sys.exit("%s: got type %d status %d, expected %d %d" % (name, t, st, typ, status))
    print("ok:", name)
expect("bad magic", struct.pack(REQ, 0x12345678, VER, FETCH, 1, 0, 0, 1), ERROR, errno.EPROTO)
expect("bad version", struct.pack(REQ, MAGIC, 99, FETCH, 2, 0, 0, 1), ERROR, errno.EPROTO)
expect("bad type", struct.pack(REQ, MAGIC, VER, 77, 3, 0, 0, 1), ERROR, errno.EPROTO)
expect("entry out of range", struct.pack(REQ, MAGIC, VER, FETCH, 4, 1 << 40, 0, 1), ERROR, errno.ENOENT)
expect("directory entry", struct.pack(REQ, MAGIC, VER, FETCH, 5, 0, 0, 1), ERROR, errno.ENOENT)
expect("ping", struct.pack(REQ, MAGIC, VER, PING, 6, 0, 0, 0), DATA, 0)
expect("version 1 (before channels)", struct.pack(REQ, MAGIC, 1, PING, 7, 0, 0, 0), ERROR, errno.EPROTO)
PY
run_ranks 2 --data "$T/k.ds" -- sh -c '[ "$RANK" = 1 ] || { '"$PY"' "$0" && exec "$@"; }' "$T/client.py" "$FSREAD" "$T/k.tree"
all_exits 0
ok "bad requests answered with errors, launcher still serves"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  run_ranks 1 --data "$T/k.ds" -- sh -c 'chmod 0755 "$FANSTORE_JOBDIR"; setpriv --reuid=65534 --regid=65534 --clear-groups '"$PY"' -c "
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(os.path.join(os.environ[\"FANSTORE_JOBDIR\"], \"sock\"))
except OSError as e:
    print(\"refused:\", e); sys.exit(0)
sys.exit(\"another user could connect\")
"'
  all_exits 0
  ok "another user cannot connect"
fi
cache_empty
