#!/usr/bin/python3
"""Generate a deterministic test tree.

usage: gentree.py DIR [--files N] [--dirs N] [--seed S] [--sizes a,b,..] [--weird] [--links]

Files get sizes cycled from --sizes (bytes) and alternate between compressible
(text-like) and incompressible (random) content; mtimes carry nanoseconds;
modes vary.  --weird adds names with spaces, a newline, non-UTF-8 bytes and a
long path; --links adds symlinks (inside the tree, and one dangling); an
empty directory is always made.
"""
import argparse, os, random

WORDS = b"the quick brown fox jumps over a lazy dog while training data flows ".split()

def content(rng, size, kind):
    if kind == 0:
        out = bytearray()
        while len(out) < size:
            out += rng.choice(WORDS) + b" "
        return bytes(out[:size])
    return rng.randbytes(size)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=60)
    ap.add_argument("--dirs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sizes", default="0,1,100,4096,5000,102400,300000")
    ap.add_argument("--weird", action="store_true")
    ap.add_argument("--links", action="store_true")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    sizes = [int(s) for s in a.sizes.split(",")]
    root = os.fsencode(a.dir)
    os.makedirs(root, exist_ok=True)
    dirs = [b""]
    for i in range(a.dirs):
        parent = dirs[rng.randrange(len(dirs))]
        d = os.path.join(parent, b"d%02d" % i) if parent else b"d%02d" % i
        os.makedirs(os.path.join(root, d), exist_ok=True)
        dirs.append(d)
    os.makedirs(os.path.join(root, b"empty", b"inner"), exist_ok=True)
    files = []
    for i in range(a.files):
        d = dirs[i % len(dirs)]
        name = b"f%04d.%s" % (i, b"txt" if i % 2 == 0 else b"bin")
        files.append((os.path.join(d, name) if d else name, sizes[i % len(sizes)], i % 2))
    if a.weird:
        files += [(b"with space/a file.txt", 333, 0), (b"bytes\xff\xfe.bin", 77, 1),
                  (b"new\nline.txt", 12, 0),
                  (b"/".join([b"long%03d" % j + b"x" * 60 for j in range(20)]) + b"/deep.txt", 50, 0)]
    for rel, size, kind in files:
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(content(rng, size, kind))
        os.chmod(p, 0o644 if rng.random() < 0.8 else 0o600)
        ns = 1_600_000_000_000_000_000 + rng.randrange(10**17)
        os.utime(p, ns=(ns, ns))
    if a.links:
        os.symlink(b"f0000.txt", os.path.join(root, b"link_to_f0000"))
        os.symlink(b"../d00" if len(dirs) > 1 else b".", os.path.join(root, b"empty", b"link_dir"))
        os.symlink(b"does-not-exist", os.path.join(root, b"dangling"))

if __name__ == "__main__":
    main()
