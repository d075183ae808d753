"""stats_reader.py LIST MODE TALLY: a reader whose every open and read is
known, for checking fanstore-exec --stats.  LIST has one "PART SIZE STORED
PATH" line per file (PATH under the mount).  It writes to TALLY, as JSON,
what it did per partition: {"files": {PART: opens}, "stored": {PART: stored
bytes of the files it opened}, "bytes": {PART: bytes its reads returned},
"eio": {PART: opens and reads refused with EIO}}.

MODE:
  all     each file opened and read whole (Python's read-all); the second
          half by a forked child that ends with os._exit, as a DataLoader
          worker does, so nothing of it runs at exit; also, not counted as
          files: the first file opened O_PATH, its directory opened, and
          each file stat'ed
  head    every other file (0th, 2nd, ...): os.open, one os.read of 777
          bytes, os.close
  twice   each file read whole twice; damaged ones fail with EIO (counted)
  threads each file read whole by a thread of its own, 180 times over:
          more threads than the stats file has slots (4,096)
  none    nothing
"""
import errno, json, os, sys

lst, mode, out = sys.argv[1:4]
files = []
for line in open(lst):
    part, size, stored, path = line.rstrip("\n").split(" ", 3)
    files.append((part, int(stored), path))


def tally():
    return {"files": {}, "stored": {}, "bytes": {}, "eio": {}}


def add(t, what, part, n):
    t[what][part] = t[what].get(part, 0) + n


def opened(t, part, stored):
    add(t, "files", part, 1)
    add(t, "stored", part, stored)


def read_all(t, part, stored, path):
    try:
        f = open(path, "rb", buffering=0)
    except OSError as e:
        if e.errno != errno.EIO:
            raise
        add(t, "eio", part, 1)
        return
    opened(t, part, stored)
    with f:
        try:
            add(t, "bytes", part, len(f.readall()))
        except OSError as e:
            if e.errno != errno.EIO:
                raise
            add(t, "eio", part, 1)


def merge(a, b):
    for what in b:
        for part, n in b[what].items():
            add(a, what, part, n)


t = tally()
if mode == "all":
    half = len(files) // 2
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        c = tally()
        for part, stored, path in files[half:]:
            read_all(c, part, stored, path)
        os.write(w, json.dumps(c).encode())
        os._exit(0)
    os.close(w)
    os.close(os.open(files[0][2], os.O_PATH))
    os.close(os.open(os.path.dirname(files[0][2]), os.O_RDONLY | os.O_DIRECTORY))
    for part, stored, path in files:
        os.stat(path)
    for part, stored, path in files[:half]:
        read_all(t, part, stored, path)
    got = b""
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        got += b
    _, st = os.waitpid(pid, 0)
    if st != 0 or not got:
        sys.exit("stats_reader: the forked reader failed")
    merge(t, json.loads(got))
elif mode == "head":
    for part, stored, path in files[::2]:
        fd = os.open(path, os.O_RDONLY)
        opened(t, part, stored)
        add(t, "bytes", part, len(os.read(fd, 777)))
        os.close(fd)
elif mode == "threads":
    import threading
    for _ in range(180):
        for part, stored, path in files:
            th = threading.Thread(target=read_all, args=(t, part, stored, path))
            th.start()
            th.join()
elif mode == "twice":
    for _ in range(2):
        for part, stored, path in files:
            read_all(t, part, stored, path)
elif mode != "none":
    sys.exit("stats_reader: unknown mode " + mode)
with open(out + ".tmp", "w") as f:
    json.dump(t, f)
os.rename(out + ".tmp", out)
