#!/usr/bin/python3
"""Generate a synthetic ImageNet-like JPEG tree.

usage: gen_images.py ROOT [--classes N] [--images N] [--val N] [--seed S]
                          [--jobs J] [--quality Q]

Writes ROOT/train/CLASS/CLASS_NNNNNN.JPEG (--images per class) and, with
--val, ROOT/val/CLASS/... .  Images are 375x500 or 500x375 JPEGs at quality
90 by default, about 110 KB each, like ImageNet's.  Every class has its own
colour and stripe direction, so a small CNN learns them and its loss falls;
per-image noise, blobs and framing keep the files realistic in size and
incompressible.  The same --seed gives byte-identical files.
"""
import argparse
import io
import os
import sys
import time


def die(msg, code=2):
    print("gen_images.py: " + msg, file=sys.stderr)
    sys.exit(code)


def class_style(seed, c, nclasses):
    """Colour, stripe angle and frequency of class c (fixed per class)."""
    import numpy as np
    rng = np.random.default_rng([seed, 7919, c])
    hue = (c / max(nclasses, 1)) * 2 * np.pi
    colour = 128 + 80 * np.array([np.cos(hue), np.cos(hue + 2.1), np.cos(hue + 4.2)])
    angle = (c * 0.61803398875 * np.pi) % np.pi
    freq = 0.03 + 0.05 * rng.random()
    return colour.astype(np.float32), float(angle), float(freq)


def render(seed, nclasses, c, i, split, quality):
    """JPEG bytes of image i of class c."""
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng([seed, 1 if split == "val" else 0, c, i])
    h, w = (375, 500) if rng.random() < 0.75 else (500, 375)
    colour, angle, freq = class_style(seed, c, nclasses)
    angle += rng.normal(0, 0.08)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = rng.random() * 2 * np.pi
    stripes = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * freq + phase) * 45
    img = colour[None, None, :] + stripes[..., None]
    cell = 25
    low = rng.normal(0, 28, (h // cell + 1, w // cell + 1, 3)).astype(np.float32)
    img += np.kron(low, np.ones((cell, cell, 1), np.float32))[:h, :w]
    sigma = rng.uniform(17, 31)
    img += rng.normal(0, sigma, (h, w, 3)).astype(np.float32)
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(
        buf, "JPEG", quality=quality)
    return buf.getvalue()


def write_one(job):
    root, seed, nclasses, split, c, i, quality = job
    cname = "n%08d" % c
    path = os.path.join(root, split, cname, "%s_%06d.JPEG" % (cname, i))
    data = render(seed, nclasses, c, i, split, quality)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return len(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", help="output directory (created)")
    ap.add_argument("--classes", type=int, default=10, help="classes (default 10)")
    ap.add_argument("--images", type=int, default=50, help="train images per class (default 50)")
    ap.add_argument("--val", type=int, default=0, help="val images per class (default 0: no val/)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--quality", type=int, default=90, help="JPEG quality (default 90)")
    a = ap.parse_args()
    if a.classes < 1 or a.images < 0 or a.val < 0:
        die("--classes must be >= 1, --images and --val >= 0")
    if not 1 <= a.quality <= 100:
        die("--quality must be 1..100")
    try:
        import numpy  # noqa: F401
        from PIL import Image  # noqa: F401
    except ImportError as e:
        die("needs numpy and PIL under /usr/bin/python3 (%s): "
            "apt-get install python3-numpy python3-pil" % e, 3)
    jobs = []
    for split, n in (("train", a.images), ("val", a.val)):
        if n == 0:
            continue
        for c in range(a.classes):
            os.makedirs(os.path.join(a.root, split, "n%08d" % c), exist_ok=True)
            jobs += [(a.root, a.seed, a.classes, split, c, i, a.quality) for i in range(n)]
    t0 = time.time()
    if a.jobs > 1 and len(jobs) > 1:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(a.jobs) as pool:
            sizes = pool.map(write_one, jobs, chunksize=8)
    else:
        sizes = [write_one(j) for j in jobs]
    dt = time.time() - t0
    total = sum(sizes)
    mean = total / len(sizes) / 1000 if sizes else 0
    print("gen_images: %d images, %d classes, %.1f MB, mean %.1f KB, %.1f s -> %s"
          % (len(sizes), a.classes, total / 1e6, mean, dt, a.root))


if __name__ == "__main__":
    main()
