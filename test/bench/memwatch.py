#!/usr/bin/python3
"""memwatch.py PID CACHE EXE: the peak memory a FanStore job holds on this
node beyond its partitions' own bytes, sampled every 50 ms until process PID
(the job's mpirun) ends.  Prints "PEAK_BYTES AT_SECONDS".

What is counted, at each sample:
  - every process running EXE (the launchers): the resident pages of each of
    its mappings (/proc/PID/smaps: private and shared, libraries, MPI's
    shared-memory segments) except mappings of files under CACHE;
  - every file under CACHE/fanstore.*/ (the job directories) except the
    partitions (fs_*, and their temporary copies .fs_*): meta.img, its
    temporary copies, the verified bitmap, by allocated blocks; so the
    image counts once however many processes map it.
Not counted: the partitions (in the cache or mapped), the command's own
processes, and the page cache of the dataset's files (the shared file
system's, not the node's, on a cluster)."""
import os
import sys
import time


def launchers(exe):
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                # a binary rebuilt while it runs reads "PATH (deleted)"
                if os.readlink("/proc/%s/exe" % d).replace(" (deleted)", "") == exe:
                    pids.append(d)
            except OSError:
                pass
    return pids


def rss_outside(pid, cache):
    """Resident bytes of pid's mappings, those of files under cache left out."""
    total, skip = 0, False
    try:
        with open("/proc/%s/smaps" % pid) as f:
            for line in f:
                if line[0] in "0123456789abcdef" and "-" in line.split(" ", 1)[0]:
                    parts = line.split(None, 5)
                    path = parts[5].strip() if len(parts) > 5 else ""
                    skip = path.startswith(cache + "/")
                elif line.startswith("Rss:") and not skip:
                    total += int(line.split()[1]) * 1024
    except OSError:
        pass
    return total


def jobdir_bytes(cache):
    total = 0
    try:
        dirs = [d for d in os.listdir(cache) if d.startswith("fanstore.")]
    except OSError:
        return 0
    for d in dirs:
        p = os.path.join(cache, d)
        try:
            names = os.listdir(p)
        except OSError:
            continue
        for n in names:
            if n.startswith("fs_") or n.startswith(".fs_"):
                continue
            try:
                total += os.lstat(os.path.join(p, n)).st_blocks * 512
            except OSError:
                pass
    return total


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: memwatch.py PID CACHE EXE")
    pid, cache, exe = int(sys.argv[1]), os.path.realpath(sys.argv[2]), os.path.realpath(sys.argv[3])
    t0 = time.monotonic()
    peak, at = 0, 0.0
    while alive(pid):
        m = sum(rss_outside(p, cache) for p in launchers(exe)) + jobdir_bytes(cache)
        if m > peak:
            peak, at = m, time.monotonic() - t0
        time.sleep(0.05)
    print(peak, "%.2f" % at)


if __name__ == "__main__":
    main()
