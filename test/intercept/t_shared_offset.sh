#!/usr/bin/env bash
# One open file description, one offset: a descriptor inherited across
# fork and exec (shells, subprocess with stdin=), or made by dup, reads on
# from where the other left off, exactly as on the original tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdir -p "$T/src/d"
seq 1 20000 >"$T/src/nums.txt"
seq 1 3000 | sed 's/^/line /' >"$T/src/d/lines.txt"
"$MKJOB" -p 2 -l 6 "$T/src" "$T/job"
"$MKJOB" -p 1 -l 0 "$T/src" "$T/job0"   # stored raw: the mapped path

# GNU head seeks back to the end of what it printed; cat goes on from there.
same head_cat '{ head -n 3 >/dev/null; cat; } < "$ROOT/nums.txt" | head -n 4'
same head_head '{ head -n 2; head -n 2; head -c 7; echo; sed -n 1,2p; } < "$ROOT/d/lines.txt"'
same read_builtin '{ read a; read b; head -n 2 >/dev/null; read c; echo "$a $b $c"; } < "$ROOT/nums.txt"'
same while_read 'n=0; while read l; do n=$((n+1)); [ $n -eq 5 ] && head -n 1; [ $n -gt 8 ] && break; echo "$l"; done < "$ROOT/nums.txt"'

export T PY PYTHONUNBUFFERED=1
# Python: fork, dup, subprocess (vfork + dup2 onto 0 + exec), os.posix_spawn.
cat >"$T/share.py" <<'PY'
import os, subprocess, sys
root = sys.argv[1]
p = root + "/nums.txt"
fd = os.open(p, os.O_RDONLY)
os.set_inheritable(fd, True)
print("first", os.read(fd, 6))
pid = os.fork()
if pid == 0:
    os.read(fd, 6)
    os._exit(0)
os.waitpid(pid, 0)
print("after fork child", os.read(fd, 6))
d = os.dup(fd)
print("dup", os.read(d, 6), os.read(fd, 6))
os.lseek(d, 100, os.SEEK_SET)
print("seek through dup", os.read(fd, 6))
r = subprocess.run(["head", "-c", "9"], stdin=fd, stdout=subprocess.PIPE)
print("subprocess", r.stdout, "then", os.read(fd, 6))
r = subprocess.run(["sh", "-c", "head -c 4; head -c 4"], stdin=fd, stdout=subprocess.PIPE)
print("shell", r.stdout, "then", os.read(fd, 6))
d2 = os.dup(fd)
pid = os.posix_spawnp("head", ["head", "-c", "5"], os.environ,
                      file_actions=[(os.POSIX_SPAWN_DUP2, fd, 0)])
os.waitpid(pid, 0)
print("posix_spawn then", os.read(fd, 6), "and its dup", os.read(d2, 3))
with open(root + "/d/lines.txt", "rb") as f:
    f.readline()
    f.flush()
    os.lseek(f.fileno(), f.tell(), os.SEEK_SET)
    r = subprocess.run(["head", "-n", "2"], stdin=f, stdout=subprocess.PIPE)
    print("file object", r.stdout, os.lseek(f.fileno(), 0, os.SEEK_CUR))
PY
same python_share '"$PY" "$T/share.py" "$ROOT"'
sub=$(grep -c . "$T/python_share.orig")
[ "$sub" -ge 9 ] || fail "python_share: only $sub lines"

# A file too large to copy into the kernel at exec: on fd 3 and above the
# new program's library serves it from the shared offset; on stdin it is
# copied (stdio reads stdin itself).
mkdir -p "$T/bigsrc"
seq 1 10000000 >"$T/bigsrc/big.txt"   # 78 MB: over FSI_FILL_MAX (64 MiB)
"$MKJOB" -p 1 -l 1 "$T/bigsrc" "$T/bigjob"
cat >"$T/big.py" <<'PY'
import os, subprocess, sys
fd = os.open(sys.argv[1] + "/big.txt", os.O_RDONLY)
os.read(fd, 6)
child = "import os,sys; fd=int(sys.argv[1]); print('child', os.read(fd, 8)); os.lseek(fd, 2, os.SEEK_CUR)"
subprocess.run([sys.executable, "-c", child, str(fd)], pass_fds=[fd])
print("parent", os.read(fd, 8))
r = subprocess.run(["md5sum"], stdin=fd, stdout=subprocess.PIPE)
print("md5sum of the rest", r.stdout, os.lseek(fd, 0, os.SEEK_CUR))
PY
"$PY" "$T/big.py" "$T/bigsrc" >"$T/big_fd.orig"
FANSTORE_JOBDIR=$T/bigjob FANSTORE_MOUNT=$MNT LD_PRELOAD=$LIB "$PY" "$T/big.py" $MNT >"$T/big_fd.virt"
diff -u "$T/big_fd.orig" "$T/big_fd.virt" || fail "big_fd: output on the mount differs"
grep -qF "child b'4\n5\n6\n7\n'" "$T/big_fd.orig" || fail "big_fd: the original run is not what the test expects"
ok "big_fd: $(wc -l <"$T/big_fd.orig") lines equal"

# The same through the mapped (raw) path.
T_JOB=$T/job
mv "$T/job" "$T/jobz"; mv "$T/job0" "$T/job"
same head_cat_raw '{ head -n 3 >/dev/null; cat; } < "$ROOT/nums.txt" | head -n 4'
same python_share_raw '"$PY" "$T/share.py" "$ROOT"'

# A static program cannot load the library: it gets the bytes, from the
# shared offset on.
if echo 'int main(void){char b[8];long n=read(0,b,8);return n==8?write(1,b,8)!=8:2;}' |
	gcc -static -x c -w -o "$T/static_read" - 2>/dev/null; then
	same static_exec '{ head -c 6 >/dev/null; "$T/static_read"; echo; } < "$ROOT/nums.txt"'
else
	echo "note: no static libc (libc6-dev); the static-program case is not run"
fi
