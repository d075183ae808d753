#!/usr/bin/python3
"""Compare two trees entry by entry: type, mode, size, mtime (ns) and symlink
targets (directory mtimes too, except the roots').  Exit 1 and name every
difference.

usage: cmptree.py A B
"""
import os, stat, sys

def walk(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = os.lstat(p)
    return out

def main():
    a, b = (os.fsencode(x) for x in sys.argv[1:3])
    ta, tb = walk(a), walk(b)
    bad = 0
    for k in sorted(set(ta) | set(tb)):
        if k not in ta or k not in tb:
            print("only in %s: %r" % ("first" if k in ta else "second", k)); bad += 1; continue
        x, y = ta[k], tb[k]
        for f in ("st_mode", "st_mtime_ns") + (("st_size",) if not stat.S_ISDIR(x.st_mode) else ()):
            if getattr(x, f) != getattr(y, f):
                print("%r: %s %r != %r" % (k, f, getattr(x, f), getattr(y, f))); bad += 1
        if stat.S_ISLNK(x.st_mode) and os.readlink(os.path.join(a, k)) != os.readlink(os.path.join(b, k)):
            print("%r: symlink targets differ" % k); bad += 1
    print("%d entries compared, %d differences" % (len(ta), bad))
    sys.exit(1 if bad else 0)

main()
