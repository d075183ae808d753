#!/usr/bin/env bash
# Processes: a virtual fd as stdin of an exec'ed program (bash "<"),
# Python subprocess (vfork + exec) and os.posix_spawn with a virtual fd as
# stdin, the virtual cwd carried across exec, and LD_PRELOAD kept when a
# program passes its own environment.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2 -l 6
f=f0012.txt
want=$(md5sum <"$T/src/$f")
got=$(vrun bash -c "md5sum < $MNT/$f") || fail "bash redirect"
[ "$got" = "$want" ] || fail "stdin redirect: $got, want $want"
ok "bash '<' redirect"
cat >"$T/sp.py" <<'PYEOF'
import os, subprocess, sys
root, f = sys.argv[1], sys.argv[1] + "/" + sys.argv[2]
with open(f, "rb") as fh:
    a = subprocess.run(["md5sum"], stdin=fh, capture_output=True).stdout.decode()
with open(f, "rb") as fh:
    fh.seek(5)
    b = subprocess.run(["wc", "-c"], stdin=fh, capture_output=True, close_fds=True).stdout.decode()
with open(f, "rb") as fh:
    pid = os.posix_spawn("/usr/bin/md5sum", ["md5sum"], os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, fh.fileno(), 0)])
    os.waitpid(pid, 0)
os.chdir(root + "/d00")
c = subprocess.run(["pwd"], capture_output=True).stdout.decode().replace(root, "ROOT")
d = subprocess.run(["sh", "-c", "cat ../" + sys.argv[2] + " | md5sum"], capture_output=True,
                   env={"PATH": os.environ["PATH"]}).stdout.decode()
# cwd= makes the (vfork) child chdir: the parent's cwd must not move
e = subprocess.run(["pwd"], cwd=root + "/d01", capture_output=True).stdout.decode().replace(root, "ROOT")
g = os.getcwd().replace(root, "ROOT")
h = subprocess.run(["sh", "-c", "pwd; cat " + sys.argv[2] + " | md5sum"], cwd=root, capture_output=True).stdout.decode()
sys.stdout.flush()
print(a.strip()); print(b.strip()); print(c.strip()); print(d.strip())
print(e.strip()); print(g); print(h.replace(root, "ROOT").strip())
PYEOF
"$PY" "$T/sp.py" "$T/src" "$f" >"$T/want" 2>&1 || { cat "$T/want"; fail "python on the original tree"; }
vrun "$PY" "$T/sp.py" "$MNT" "$f" >"$T/out" 2>&1 || { cat "$T/out"; fail "python subprocess"; }
diff -u "$T/want" "$T/out" || fail "subprocess / posix_spawn / cwd across exec"
ok "subprocess, posix_spawn, cwd and preload across exec: $(wc -l <"$T/out") results equal"
