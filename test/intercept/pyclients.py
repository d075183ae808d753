#!/usr/bin/python3
"""Describe a tree through Python's file APIs, one line per fact, with
paths relative to ROOT, so the output on the mount can be compared with
the output on the original tree.

usage: pyclients.py ROOT OUT_DIR
"""
import glob, hashlib, os, pathlib, shutil, sys

root, out = sys.argv[1], sys.argv[2]
rel = lambda p: os.path.relpath(p, root)
md5 = lambda b: hashlib.md5(b).hexdigest()

def say(*a):
    print(*a)

for d, dirs, files in sorted(os.walk(root)):
    for f in sorted(files):
        p = os.path.join(d, f)
        if os.path.isfile(p):
            with open(p, "rb") as fh:
                say("walk", rel(p), md5(fh.read()))
        else:
            say("walk-other", rel(p), os.path.islink(p))
    say("walkdirs", rel(d), sorted(dirs))

def scan(d):
    with os.scandir(d) as it:
        for e in sorted(it, key=lambda e: e.name):
            say("scandir", rel(e.path), e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False),
                e.is_symlink(), e.stat(follow_symlinks=False).st_size, e.inode() != 0)
            if e.is_dir(follow_symlinks=False):
                scan(e.path)
scan(root)

facts = []
for d, dirs, files, dfd in os.fwalk(root):
    for f in files:
        st = os.stat(f, dir_fd=dfd, follow_symlinks=False)
        line = "fwalk %s %d %s" % (rel(os.path.join(d, f)), st.st_size, oct(st.st_mode))
        if os.path.isfile(os.path.join(d, f)) and not os.path.islink(os.path.join(d, f)):
            fd = os.open(f, os.O_RDONLY, dir_fd=dfd)
            line += " " + md5(os.read(fd, 1 << 20))
            os.close(fd)
        facts.append(line)
for line in sorted(facts):
    say(line)

for p in sorted(glob.glob(os.path.join(root, "**", "*.txt"), recursive=True)):
    say("glob", rel(p))
for p in sorted(pathlib.Path(root).rglob("*.bin")):
    say("rglob", rel(str(p)), p.stat().st_size)

dst = os.path.join(out, "copytree")
shutil.copytree(root, dst, symlinks=True)
for d, dirs, files in sorted(os.walk(dst)):
    for f in sorted(files):
        p = os.path.join(d, f)
        if os.path.isfile(p) and not os.path.islink(p):
            with open(p, "rb") as fh:
                say("copytree", os.path.relpath(p, dst), md5(fh.read()))
shutil.rmtree(dst)

for p in ["f0006.txt", "d00/f0013.bin"]:
    q = os.path.join(root, p)
    say("exists", p, os.path.exists(q), os.access(q, os.R_OK))
    with open(q, "rb") as fh:
        fh.seek(100)
        say("seek-read", p, md5(fh.read(1000)), fh.tell())
say("missing", os.path.exists(os.path.join(root, "nothere")))
