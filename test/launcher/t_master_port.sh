#!/usr/bin/env bash
# MASTER_PORT stays reserved for the job: while it runs, no other process can
# take the port with a plain bind (so another job cannot pick it too), while
# a server that binds it with SO_REUSEADDR and listens, as torch.distributed's
# store does, can; after the job the port is free again.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds mp 2
cat >"$T/port.py" <<'PY'
import errno, os, socket, sys
port = int(os.environ["MASTER_PORT"])
s = socket.socket()
try:
    s.bind(("", port))
    sys.exit("rank %s: plain bind of MASTER_PORT %d succeeded" % (os.environ["RANK"], port))
except OSError as e:
    assert e.errno == errno.EADDRINUSE, e
if os.environ["RANK"] == "0":
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("", port))
    srv.listen()
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = srv.accept()
    c.sendall(b"ok")
    assert a.recv(2) == b"ok"
open(sys.argv[1] + "." + os.environ["RANK"], "w").write("%d\n" % port)
PY
run_ranks 2 --data "$T/mp.ds" -- "$PY" "$T/port.py" "$T/port"
all_exits 0
port=$(cat "$T/port.0")
[ -n "$port" ] && [ "$port" = "$(cat "$T/port.1")" ] || fail "ranks saw different ports: $(cat "$T"/port.*)"
ok "MASTER_PORT $port reserved during the job, usable by a SO_REUSEADDR server"
"$PY" -c 'import socket, sys; socket.socket().bind(("", int(sys.argv[1])))' "$port" ||
  fail "MASTER_PORT still taken after the job"
ok "MASTER_PORT free after the job"
