#!/usr/bin/python3
"""Hash every sample of an ImageFolder tree as a DataLoader delivers it.

usage: dl_hash.py ROOT OUT [MODES]

Runs a DataLoader over torchvision's ImageFolder(ROOT) with num_workers 0
(mode w0), 2 with fork (fork) and 2 with spawn (spawn), or the modes of
the comma-separated list MODES, and writes for each a sorted list of
"relative-path class sha256(tensor bytes)" lines to OUT.MODE.  A mode that
fails writes its error instead.
"""
import hashlib
import os
import sys


class Indexed:
    """ImageFolder samples with their index (picklable for spawn)."""

    def __init__(self, root):
        from torchvision import datasets, transforms
        self.ds = datasets.ImageFolder(root, transform=transforms.ToTensor())

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        x, y = self.ds[i]
        return i, x, y


def run(data, root, workers, ctx):
    import torch
    kw = dict(multiprocessing_context=ctx) if workers else {}
    loader = torch.utils.data.DataLoader(data, batch_size=1, shuffle=False,
                                         num_workers=workers, **kw)
    lines = []
    for idx, x, y in loader:
        path = data.ds.samples[int(idx[0])][0]
        h = hashlib.sha256(x[0].contiguous().numpy().tobytes()).hexdigest()
        lines.append("%s %d %s" % (os.path.relpath(path, root), int(y[0]), h))
    return sorted(lines)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: dl_hash.py ROOT OUT [w0,fork,spawn]")
    modes = sys.argv[3].split(",") if len(sys.argv) == 4 else ["w0", "fork", "spawn"]
    import torch
    torch.set_num_threads(1)
    root, out = sys.argv[1], sys.argv[2]
    data = Indexed(root)
    for name, workers, ctx in (("w0", 0, None), ("fork", 2, "fork"), ("spawn", 2, "spawn")):
        if name not in modes:
            continue
        try:
            text = "\n".join(run(data, root, workers, ctx)) + "\n"
        except Exception as e:  # noqa: BLE001 - the test shows what failed
            text = "dl_hash %s: %s: %s\n" % (name, type(e).__name__, e)
        with open("%s.%s" % (out, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
