#!/usr/bin/python3
"""Train a small CNN on an ImageFolder tree, e.g. through a FanStore mount.

usage: train.py [DIR] [--epochs N] [--batch-size B] [--workers W]
                [--mp-context fork|spawn] [--mode train|load|bytes]
                [--persistent-workers]
                [--json FILE] [--hash-samples FILE] ...

DIR defaults to $FANSTORE_MOUNT/train (or /fanstore/train).  Run it under
fanstore-exec to read through FanStore:

    mpirun -np 2 bin/fanstore-exec --data packed -- /usr/bin/python3 examples/train.py

fanstore-exec sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, so the
ranks train data-parallel with torch.distributed (gloo, env://) and a
DistributedSampler; without those variables it trains in one process.

Per epoch rank 0 prints the mean loss, images/s (all ranks together) and the
time the training loop spent waiting for the DataLoader (the slowest rank's;
the first batch of an epoch, which includes starting the workers, is counted
apart).  --mode load
iterates the DataLoader (decode included) without a model, --mode bytes
reads each file's bytes only: both show the data path alone.
"""
import argparse
import hashlib
import json
import os
import sys
import time

MEAN = (0.5, 0.5, 0.5)
STD = (0.25, 0.25, 0.25)


def die(msg, code=2):
    print("train.py: " + msg, file=sys.stderr)
    sys.exit(code)


def draft_loader(path, size):
    """Open a JPEG decoding at reduced scale (libjpeg DCT scaling) when the
    target is much smaller than the image: the usual trick of fast loaders."""
    from PIL import Image
    with open(path, "rb") as f:
        img = Image.open(f)
        img.draft("RGB", (size * 2, size * 2))
        return img.convert("RGB")


class DraftLoader:
    """Picklable loader (spawned DataLoader workers need one)."""

    def __init__(self, size):
        self.size = size

    def __call__(self, path):
        return draft_loader(path, self.size)


class BytesFolder:
    """The files of an ImageFolder, read whole as bytes and not decoded."""

    def __init__(self, samples):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        import torch
        path, target = self.samples[i]
        with open(path, "rb") as f:
            n = len(f.read())
        return torch.tensor(n), target


def parse_args(argv):
    mount = os.environ.get("FANSTORE_MOUNT", "/fanstore")
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", nargs="?", default=os.path.join(mount, "train"),
                    help="ImageFolder root (default $FANSTORE_MOUNT/train = %(default)s)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32, help="per rank")
    ap.add_argument("--workers", type=int, default=2, help="DataLoader workers per rank")
    ap.add_argument("--mp-context", choices=("fork", "spawn"), default="fork")
    ap.add_argument("--mode", choices=("train", "load", "bytes"), default="train")
    ap.add_argument("--persistent-workers", action="store_true",
                    help="keep the DataLoader workers from one epoch to the next")
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process")
    ap.add_argument("--max-steps", type=int, default=0, help="stop an epoch after N steps (0: all)")
    ap.add_argument("--json", metavar="FILE", help="write the run's summary as JSON (rank 0)")
    ap.add_argument("--hash-samples", metavar="FILE",
                    help="write 'PATH CLASS SHA256' of every sample's decoded tensor (rank 0), then train")
    ap.add_argument("--quiet", action="store_true", help="only the final summary")
    ap.add_argument("--dist-timeout", type=float, default=300, metavar="S",
                    help="seconds a torch.distributed operation may wait for the other ranks "
                         "before this rank fails (default %(default)s; torch's own is 1,800)")
    return ap.parse_args(argv)


def import_torch():
    try:
        import torch
        import torchvision  # noqa: F401
    except ImportError as e:
        die("PyTorch is not available under %s (%s).\n"
            "  Install it: apt-get install python3-torch python3-torchvision\n"
            "  Any program reads FanStore the same way: bin/reader DIR is a C example."
            % (sys.executable, e), 3)
    return torch


def make_model(torch, nclasses):
    nn = torch.nn

    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*block(3, 16), *block(16, 32), *block(32, 64),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, nclasses))


def transforms(size, train):
    from torchvision import transforms as T
    aug = [T.RandomHorizontalFlip()] if train else []
    return T.Compose([T.Resize(size), T.CenterCrop(size), *aug,
                      T.ToTensor(), T.Normalize(MEAN, STD)])


class Dist:
    """torch.distributed when RANK/WORLD_SIZE say so, else one process."""

    def __init__(self, torch, timeout_s=300):
        self.torch = torch
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.on = self.world > 1
        self._held = []
        if self.on:
            for v in ("MASTER_ADDR", "MASTER_PORT"):
                if v not in os.environ:
                    die("WORLD_SIZE=%d but %s is not set (fanstore-exec sets it; "
                        "or run with WORLD_SIZE unset for one process)" % (self.world, v))
            import datetime
            torch.distributed.init_process_group(
                "gloo", init_method="env://", rank=self.rank, world_size=self.world,
                timeout=datetime.timedelta(seconds=timeout_s))

    def sum(self, *vals):
        return self._reduce(vals)

    def max(self, *vals):
        return self._reduce(vals, op=self.torch.distributed.ReduceOp.MAX)

    def _reduce(self, vals, **kw):
        t = self.torch.tensor(vals, dtype=self.torch.float64)
        if self.on:
            self.torch.distributed.all_reduce(t, **kw)
            # Keep the tensor until the next reduction.  Dropped here, its
            # last reference could go with gloo's worker thread, which then
            # creates a Python thread state to free it, holding CPython's
            # runtime lock without the GIL; a DataLoader worker forked at
            # that moment (the next epoch starts right after) inherits the
            # lock held and waits for it forever in Debian 12's Python 3.11
            # (CPython gh-112275, fixed in later 3.11 releases and in 3.12).
            self._held.append(t)
            del self._held[:-2]
        return t.tolist()

    def close(self):
        if self.on:
            self.torch.distributed.barrier()
            self.torch.distributed.destroy_process_group()


def build_dataset(a):
    from torchvision import datasets
    if not os.path.isdir(a.dir):
        die("%s is not a directory (an ImageFolder root: DIR/CLASS/IMAGE); "
            "under fanstore-exec it is below the mount, e.g. /fanstore/train" % a.dir)
    try:
        ds = datasets.ImageFolder(a.dir, transform=transforms(a.image_size, a.mode == "train"),
                                  loader=DraftLoader(a.image_size))
    except (FileNotFoundError, RuntimeError) as e:
        die("%s: not an ImageFolder tree: %s" % (a.dir, e))
    return ds


def write_hashes(a, ds):
    ev = transforms(a.image_size, False)
    with open(a.hash_samples, "w") as f:
        for path, target in ds.samples:
            x = ev(draft_loader(path, a.image_size))
            h = hashlib.sha256(x.numpy().tobytes()).hexdigest()
            f.write("%s %d %s\n" % (os.path.relpath(path, a.dir), target, h))


def run_epoch(a, torch, dist, loader, model, opt, epoch):
    """One pass; returns (images, seconds, first batch wait, later data
    wait, step losses, bytes read in --mode bytes).  The first batch
    includes starting the workers."""
    if hasattr(loader.sampler, "set_epoch"):
        loader.sampler.set_epoch(epoch)
    lossf = torch.nn.CrossEntropyLoss()
    images, losses, steps, wait, first, nbytes = 0, [], 0, 0.0, 0.0, 0
    t0 = time.perf_counter()
    it = iter(loader)
    while True:
        tw = time.perf_counter()
        try:
            x, y = next(it)
        except StopIteration:
            break
        if steps == 0:
            first = time.perf_counter() - tw
        else:
            wait += time.perf_counter() - tw
        if model is not None:
            opt.zero_grad()
            loss = lossf(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        images += len(y)
        if a.mode == "bytes":
            nbytes += int(x.sum())
        steps += 1
        if a.max_steps and steps >= a.max_steps:
            break
    dt = time.perf_counter() - t0
    return images, dt, first, wait, losses, nbytes


def main(argv=None):
    a = parse_args(argv)
    torch = import_torch()
    torch.set_num_threads(max(1, a.threads))
    torch.manual_seed(a.seed)
    dist = Dist(torch, a.dist_timeout)
    say = (lambda *s: print(*s, flush=True)) if dist.rank == 0 else (lambda *s: None)
    ds = build_dataset(a)
    if a.hash_samples and dist.rank == 0:
        write_hashes(a, ds)
    nclasses = len(ds.classes)
    data = ds if a.mode != "bytes" else BytesFolder(ds.samples)
    sampler = None
    if dist.on:
        sampler = torch.utils.data.distributed.DistributedSampler(
            data, num_replicas=dist.world, rank=dist.rank, shuffle=True, seed=a.seed)
    kw = {}
    if a.workers > 0:
        kw = dict(multiprocessing_context=a.mp_context, persistent_workers=a.persistent_workers,
                  prefetch_factor=2)
    loader = torch.utils.data.DataLoader(
        data, batch_size=a.batch_size, shuffle=sampler is None, sampler=sampler,
        num_workers=a.workers, drop_last=False, **kw)
    model = opt = None
    if a.mode == "train":
        model = make_model(torch, nclasses)
        if dist.on:
            model = torch.nn.parallel.DistributedDataParallel(model)
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    say("train.py: %s, %d images, %d classes, %d rank(s), %d worker(s)/rank (%s), mode %s"
        % (a.dir, len(ds), nclasses, dist.world, a.workers, a.mp_context, a.mode))
    epochs = []
    for e in range(a.epochs):
        n, dt, first, wait, losses, nbytes = run_epoch(a, torch, dist, loader, model, opt, e)
        loss = sum(losses) / max(len(losses), 1)
        k = min(5, len(losses))
        head = sum(losses[:k]) / max(k, 1)
        tail = sum(losses[-k:]) / max(k, 1)
        tot_n, tot_bytes, mean_loss, head, tail = [v / (1 if i < 2 else dist.world) for i, v in
                                                   enumerate(dist.sum(n, nbytes, loss, head, tail))]
        max_dt, max_first, max_wait = dist.max(dt, first, wait)
        ep = dict(epoch=e, images=int(tot_n), bytes=int(tot_bytes), seconds=max_dt, images_per_s=tot_n / max_dt,
                  first_batch_s=max_first, data_wait_s=max_wait, loss=mean_loss if a.mode == "train" else None,
                  loss_first=head, loss_last=tail)
        epochs.append(ep)
        if not a.quiet:
            say("epoch %d: %s%6d images  %8.1f images/s  data wait %6.2f s "
                "(+%.2f s first batch) of %6.2f s"
                % (e, "loss %.4f  " % mean_loss if a.mode == "train" else "",
                   ep["images"], ep["images_per_s"], max_wait, max_first, max_dt))
    # Drop the DDP model (its reducer holds the process group) while the
    # interpreter is whole: left to exit-time cleanup, torch 1.13's gloo
    # teardown can deadlock against a worker thread waiting for the GIL.
    del model, opt, loader
    dist.close()
    imgs = sum(ep["images"] for ep in epochs)
    secs = sum(ep["seconds"] for ep in epochs)
    summary = dict(dir=a.dir, mode=a.mode, ranks=dist.world, workers=a.workers,
                   persistent_workers=a.persistent_workers,
                   bytes=sum(ep["bytes"] for ep in epochs),
                   mp_context=a.mp_context, batch_size=a.batch_size, dataset_images=len(ds),
                   classes=nclasses, images=imgs, seconds=secs,
                   images_per_s=imgs / secs if secs else 0.0,
                   data_wait_s=sum(ep["data_wait_s"] for ep in epochs),
                   first_batch_s=sum(ep["first_batch_s"] for ep in epochs),
                   losses=[ep["loss"] for ep in epochs], epochs=epochs)
    if epochs and a.mode == "train":
        summary["loss_start"] = epochs[0]["loss_first"]
        summary["loss_end"] = epochs[-1]["loss_last"]
    say("train.py: %d images in %.2f s: %.1f images/s, data wait %.2f s "
        "(+%.2f s first batches)%s"
        % (imgs, secs, summary["images_per_s"], summary["data_wait_s"], summary["first_batch_s"],
           ", loss %.4f -> %.4f (first/last 5 steps)" % (summary["loss_start"], summary["loss_end"])
           if epochs and a.mode == "train" else ""))
    if a.json and dist.rank == 0:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    rc = main()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # Everything is written; skip exit-time destructors of the gloo
        # process group, which can hang (see the note in main).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    sys.exit(rc)
