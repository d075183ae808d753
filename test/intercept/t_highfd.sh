#!/usr/bin/env bash
# Descriptors numbered 2^20 and above (a raised fs.nr_open and
# RLIMIT_NOFILE): a virtual file dup'ed or opened there reads its bytes,
# never EBADF later.  Needs root (with CAP_SYS_RESOURCE) to raise fs.nr_open
# and the hard RLIMIT_NOFILE; skips where they cannot be raised.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
need=$(( (1 << 20) + 4096 ))
old=$(cat /proc/sys/fs/nr_open)
if [ "$old" -lt "$need" ]; then
	[ "$(id -u)" = 0 ] || skip "fs.nr_open is $old and raising it needs root"
	echo "$need" >/proc/sys/fs/nr_open 2>/dev/null || skip "cannot raise fs.nr_open (read-only /proc/sys)"
	trap 'echo "$old" >/proc/sys/fs/nr_open; cleanup' EXIT
fi
prlimit --nofile="$need:$need" true 2>/dev/null ||
	skip "cannot raise RLIMIT_NOFILE to $need here (no CAP_SYS_RESOURCE?)"
mkjob_tree -p 2 -l 6
cat >"$T/high.py" <<'PY'
import fcntl, os, resource, sys
need = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
root = sys.argv[1]
out = []
for name in ["f0006.txt", "d00/f0013.bin"]:
    fd = os.open(root + "/" + name, os.O_RDONLY)
    hi = (1 << 20) + 17
    os.dup2(fd, hi)
    os.close(fd)
    a = os.read(hi, 5)
    hi2 = fcntl.fcntl(hi, fcntl.F_DUPFD, (1 << 20) + 2000)
    assert hi2 >= (1 << 20) + 2000, hi2
    b = os.read(hi2, 1 << 20)
    st = os.fstat(hi2)
    out.append("%s %d %d %r %d %d" % (name, hi, st.st_size, a, len(b), os.lseek(hi, 0, os.SEEK_CUR)))
    os.close(hi)
    os.close(hi2)
print("\n".join(out))
PY
export T PY
same highfd '"$PY" "$T/high.py" "$ROOT" '"$need"
grep -q "^f0006.txt $(( (1 << 20) + 17 )) " "$T/highfd.orig" || fail "highfd: the original run did not read: $(head -3 "$T/highfd.orig")"
