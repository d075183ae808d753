#!/usr/bin/env bash
# A client that asks for far more than it reads (300 remote 8 MiB chunks,
# 2.4 GB, before reading any reply) does not make the launcher hold it all:
# it stops reading that connection's requests while more than 64 MiB is
# owed; every reply still arrives, in full.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root: ranks as separate nodes in private mount namespaces"
unshare -m true 2>/dev/null || skip "unshare -m does not work here"
gentree "$T/bp.tree" --files 2 --dirs 1 --sizes 20000000 >/dev/null
"$PREP" -q -n 2 -l 0 -o "$T/bp.ds" "$T/bp.tree"
cat >"$T/flood.py" <<'PY'
import os, socket, struct, sys, time
jd = os.environ["FANSTORE_JOBDIR"]
img = open(os.path.join(jd, "meta.img"), "rb").read()
nent, ent_off = struct.unpack_from("<QQ", img, 32)
part_off = struct.unpack_from("<Q", img, 96)[0]
def part_local(i):
    return struct.unpack_from("<16sQII", img, part_off + 40 * i)[2]
ent = None
for i in range(nent):
    size, off, stored, _, _, mode, crc, part = struct.unpack_from("<QQQqIIII", img, ent_off + 64 * i)
    if mode & 0o170000 == 0o100000 and stored >= 8 << 20 and not part_local(part):
        ent = i
        break
assert ent is not None, "no remote file of 8 MiB or more"
CH, N = 8 << 20, 300
s = socket.socket(socket.AF_UNIX)
s.connect(os.path.join(jd, "sock"))
for k in range(N):
    s.sendall(struct.pack("<IHHQQQQ", 0x46535251, 2, 1, k, ent, 0, CH))
time.sleep(3)
hwm = [l for l in open("/proc/%d/status" % os.getppid()) if l.startswith("VmHWM")][0]
kb = int(hwm.split()[1])
f = s.makefile("rb")
for k in range(N):
    m, v, t, i, st, _, n = struct.unpack("<IHHQiIQ", f.read(32))
    assert t == 2 and n == CH, "reply %d: type %d status %d" % (k, t, st)
    assert len(f.read(n)) == n
print("flood: %d replies of 8 MiB, launcher peak memory %d MB" % (N, kb // 1024))
sys.exit(0 if kb < 512 * 1024 else "launcher held %d MB" % (kb // 1024))
PY
: >"$T/exits"
timeout -k 5 300 mpirun -np 2 unshare -m --propagation private sh -c \
  'mount -t tmpfs -o size=128m fstest "$FANSTORE_CACHE" && "$@"; echo $? >>"'"$T"'/exits"' \
  sh "$EXEC" --data "$T/bp.ds" -- sh -c '[ "$RANK" = 0 ] || exit 0; exec '"$PY"' "$0"' "$T/flood.py" \
  2>&1 || true
[ "$(wc -l <"$T/exits")" -eq 2 ] || fail "expected 2 exit statuses"
all_exits 0
ok "bounded memory under a flood of requests"
