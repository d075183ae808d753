#!/usr/bin/python3
"""A rank's last command under fanstore-exec (exec'd, so that its parent is
the rank's launcher): which metadata image this process and its launcher
map, and how many image files the node's cache holds.  Prints

  map self DEV INODE PATH       one line per image mapped ("map self none")
  map launcher DEV INODE PATH
  images N                      files named meta.img* under FANSTORE_CACHE
"""
import os


def maps(pid):
    """(dev, inode, path) of every mapping of a file named meta.img."""
    out = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].rstrip("\n").endswith("/meta.img"):
                out.add(" ".join((fields[3], fields[4], fields[5].rstrip("\n"))))
    return out


# the library maps its image on the first call into the mount
os.stat(os.environ["FANSTORE_MOUNT"])
for who, pid in (("self", os.getpid()), ("launcher", os.getppid())):
    for m in sorted(maps(pid)) or ["none"]:
        print("map", who, m)
print("images", sum(f.startswith("meta.img")
                    for _, _, files in os.walk(os.environ["FANSTORE_CACHE"]) for f in files))
