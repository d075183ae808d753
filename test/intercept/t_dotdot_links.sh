#!/usr/bin/env bash
# "." and ".." next to symlinks of the dataset resolve as the kernel
# resolves them (".." after a link goes to the parent of its target; a
# link to a file followed by "/", "." or ".." is ENOTDIR), for absolute
# paths and for paths relative to a directory of the tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdir -p "$T/src/dir/sub" "$T/src/other"
echo a >"$T/src/a.txt"
echo b >"$T/src/dir/b.txt"
echo c >"$T/src/dir/sub/c.txt"
ln -s dir/sub "$T/src/lsub"
ln -s ../a.txt "$T/src/dir/la"
ln -s a.txt "$T/src/lfile"
"$MKJOB" "$T/src" "$T/job"
cat >"$T/chk.py" <<'PY'
import os, sys
base, rel = sys.argv[1], sys.argv[2]
if rel != "-":
    os.chdir(base + "/" + rel)
    base = ".."
for s in ["lsub/..", "lsub/../b.txt", "lsub/../../a.txt", "lsub/./c.txt", "dir/la/..",
          "dir/la/.", "lfile/..", "lfile/", "lfile/.", "dir/../lsub/../sub/c.txt",
          "lsub/../sub/../..", "dir/sub/../../lsub/c.txt", "missing/../..", "dir/la",
          "lsub/", "lsub/.", "other/../lsub/../la"]:
    p = base + "/" + s
    out = [s]
    for f in (os.stat, os.lstat):
        try:
            st = f(p)
            out.append("%o %d" % (st.st_mode, st.st_size if not os.path.isdir(p) else 0))
        except OSError as e:
            out.append(os.strerror(e.errno))
    print(" | ".join(out))
PY
same absolute "$PY $T/chk.py \"\$ROOT\" -"
same relative "$PY $T/chk.py \"\$ROOT\" dir"
