#!/usr/bin/python3
"""numpy.load (plain and mmap_mode), np.fromfile and PIL Image.open on
files under ROOT; prints hashes of what was read.

usage: pydata.py ROOT        (pydata.py --make DIR writes the files)
"""
import hashlib, sys
import numpy as np
from PIL import Image

if sys.argv[1] == "--make":
    d = sys.argv[2]
    a = np.arange(100000, dtype=np.float64).reshape(1000, 100)
    np.save(d + "/arr.npy", a)
    a.astype(np.int32).tofile(d + "/raw.bin")
    img = Image.new("RGB", (64, 48))
    img.putdata([(x % 256, (x * 7) % 256, (x * 13) % 256) for x in range(64 * 48)])
    img.save(d + "/img.png")
    sys.exit(0)
root = sys.argv[1]
h = lambda b: hashlib.md5(b).hexdigest()
print("npy", h(np.load(root + "/arr.npy").tobytes()))
m = np.load(root + "/arr.npy", mmap_mode="r")
print("npy-mmap", h(np.asarray(m).tobytes()), m.shape)
print("fromfile", h(np.fromfile(root + "/raw.bin", dtype=np.int32).tobytes()))
with Image.open(root + "/img.png") as im:
    print("png", im.size, im.mode, h(im.convert("RGB").tobytes()))
