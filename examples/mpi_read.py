#!/usr/bin/python3
"""Read a dataset data-parallel with mpi4py, through a FanStore mount.

usage: mpi_read.py [DIR] [--all] [--check TREE] [--epochs N]
                   [--loader-workers W]

    mpirun -np 2 bin/fanstore-exec --mpi --data PACKED -- /usr/bin/python3 examples/mpi_read.py

fanstore-exec --mpi spawns this script as an MPI job of its own, one process
per rank, so mpi4py's MPI.COMM_WORLD holds the ranks of this job (its rank is
the launcher's rank, also in RANK) and its collectives work between them.

Every rank lists DIR (default $FANSTORE_MOUNT, or /fanstore), reads its share
of the files (rank r takes files r, r+size, ...; --all: every file), and
folds each file's path and CRC-32 into a checksum.  The ranks allreduce the
checksums and rank 0 prints the total, which does not depend on the number
of ranks; with --all every rank's checksum must equal every other's.
--check TREE compares each file's bytes with TREE/PATH (the unpacked
original).  --loader-workers W reads through a PyTorch DataLoader with W
forked workers instead of in this process.  Exits 1 when any rank saw a
difference.
"""
import argparse
import os
import sys
import zlib

from mpi4py import MPI


def files_under(top):
    out = []
    for d, dirs, names in os.walk(top):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            if os.path.isfile(p):
                out.append(os.path.relpath(p, top))
    return out


def digest(rel, data):
    """A file's contribution: order-free, so ranks can sum them."""
    return zlib.crc32(data, zlib.crc32(os.fsencode(rel))) + (len(data) << 32)


def read_plain(top, mine):
    for rel in mine:
        with open(os.path.join(top, rel), "rb") as f:
            yield rel, f.read()


def read_loader(top, mine, workers):
    import torch.utils.data as tud

    class Files(tud.Dataset):
        def __len__(self):
            return len(mine)

        def __getitem__(self, i):
            with open(os.path.join(top, mine[i]), "rb") as f:
                return mine[i], f.read()

    dl = tud.DataLoader(Files(), batch_size=None, num_workers=workers,
                        multiprocessing_context="fork" if workers else None)
    yield from dl


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?",
                    default=os.environ.get("FANSTORE_MOUNT", "/fanstore"))
    ap.add_argument("--all", action="store_true", help="every rank reads every file")
    ap.add_argument("--check", metavar="TREE", help="compare bytes with TREE")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--loader-workers", type=int, default=0, metavar="W")
    a = ap.parse_args()

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    env_rank = os.environ.get("RANK")
    if env_rank is not None and int(env_rank) != rank:
        print(f"mpi_read.py: RANK={env_rank} but MPI rank {rank}", file=sys.stderr)
        comm.Abort(1)

    names = files_under(a.dir)
    mine = names if a.all else names[rank::size]
    bad = 0
    total = 0
    nbytes = 0
    for _ in range(a.epochs):
        total = 0
        reader = read_loader(a.dir, mine, a.loader_workers) if a.loader_workers \
            else read_plain(a.dir, mine)
        for rel, data in reader:
            nbytes += len(data)
            total += digest(rel, data)
            if a.check:
                with open(os.path.join(a.check, rel), "rb") as f:
                    if f.read() != data:
                        print(f"mpi_read.py: rank {rank}: {rel} differs", file=sys.stderr)
                        bad += 1
    total &= (1 << 63) - 1
    every = comm.allgather(total)
    whole = comm.allreduce(total, op=MPI.SUM) & ((1 << 63) - 1)
    bad = comm.allreduce(bad, op=MPI.SUM)
    if a.all and len(set(every)) != 1:
        if rank == 0:
            print(f"mpi_read.py: ranks disagree: {every}", file=sys.stderr)
        bad += 1
    # rank 0 prints for everyone: lines of several processes may interleave
    rows = comm.gather((len(mine), nbytes, total), root=0)
    if rank == 0:
        for r, (nf, nb, t) in enumerate(rows):
            print(f"rank {r}/{size}: {nf} files, {nb} bytes, checksum {t:016x}")
        print(f"mpi_read.py: {size} ranks, {len(names)} files, "
              f"{'every rank read all' if a.all else 'sharded'}, "
              f"allreduced checksum {whole:016x}, {bad} differences", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
