#!/usr/bin/python3
"""What loading libfanstore adds to a new process: CMD is started REPS
times on every side in turn (posix_spawn, then wait4), and the BENCH lines
of its wall time (ms) and, with --cpu, of its user + system CPU time (ms,
steadier on a busy machine) are printed, one row a side.

  spawntime.py --wall GROUP [--cpu GROUP] LIB REPS SIDE... -- CMD...

A SIDE is NAME=JOBDIR (CMD with LIB preloaded and that job directory) or
NAME (CMD without the library).  Every start must exit 0.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import bench_line  # noqa: E402


def main():
    ap = argparse.ArgumentParser(prog="spawntime.py")
    ap.add_argument("--wall", required=True)
    ap.add_argument("--cpu")
    ap.add_argument("lib")
    ap.add_argument("reps", type=int)
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if "--" not in a.rest or a.rest.index("--") == 0 or a.rest[-1] == "--":
        ap.error("give at least one SIDE, then -- and the command")
    cut = a.rest.index("--")
    sides, cmd = a.rest[:cut], a.rest[cut + 1:]
    base = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FANSTORE_JOBDIR")}
    envs = []
    for s in sides:
        name, _, job = s.partition("=")
        envs.append((name, dict(base, LD_PRELOAD=a.lib, FANSTORE_JOBDIR=job) if job else base))
    wall = {n: [] for n, _ in envs}
    cpu = {n: [] for n, _ in envs}
    for _ in range(a.reps):
        for name, env in envs:
            t = time.perf_counter()
            pid = os.posix_spawn(cmd[0], cmd, env)
            _, status, ru = os.wait4(pid, 0)
            dt = time.perf_counter() - t
            if status != 0:
                sys.exit("spawntime: %s (%s) exited with status %d" % (" ".join(cmd), name, status))
            wall[name].append(dt * 1e3)
            cpu[name].append((ru.ru_utime + ru.ru_stime) * 1e3)
    for group, vals in ((a.wall, wall), (a.cpu, cpu)):
        for name, _ in envs:
            if group:
                print(bench_line(group, name, "ms", vals[name]))


main()
