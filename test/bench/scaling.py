#!/usr/bin/python3
"""The scaling model of docs/scaling.md, from measured per-file and per-byte
costs.

usage: scaling.py [--results build/bench/results.json] [--rate 2500]
                  [--file-kb 110] [--link-gbs 12.5] [--client-gbs 2]
                  [--fs-gbs 100] [--ranks-per-node 1] [--records]

Measured constants come from results.json when it has them (bench_launcher's
meta_beyond_path, startup10m_meta, startup1m fanstore-records, remote100k),
else from the defaults below, which were measured on the reference machine
(see docs/scaling.md).  The startup modelled is that of a dataset packed with
its image (fanstore.image: rank 0 reads it, the node leaders get it by
MPI_Bcast); --records models one without (every node leader gathers every
file's record and builds the image).  Prints Markdown tables.
"""
import argparse
import json
import os
import sys

NODES = (16, 128, 512)
FILES = (1_000_000, 10_000_000)

# Measured on the reference machine (docs/scaling.md, "Measured costs").
DEFAULTS = dict(
    img_beyond_path=72.3,    # meta.img bytes per file besides its path (bench_launcher)
    rec_per_file=96.0,       # allgather record bytes per ImageNet-like file (56 + path, 8-aligned)
    meta_us=0.09,            # startup per file with the dataset's image (startup10m_meta), us
    rec_meta_us=0.58,        # the same without it: records, gather, image build (startup1m records), us
    remote_files_s=None,     # one launcher serving 100 KB remote reads, files/s, 8 in flight
)


def measured(path):
    """Constants from a results.json, where present."""
    got = {}
    if not path or not os.path.exists(path):
        return got
    try:
        with open(path) as f:
            rows = json.load(f).get("results", [])
    except (OSError, ValueError, AttributeError) as e:
        print("scaling.py: ignoring %s (%s); using the built-in constants" % (path, e),
              file=sys.stderr)
        return got
    by = {(r["group"], r["name"]): r["median"] for r in rows}
    if ("meta_beyond_path", "fanstore") in by:
        got["img_beyond_path"] = by[("meta_beyond_path", "fanstore")]
    if ("startup10m_meta", "fanstore") in by:   # us/file beyond a 1,000-file start
        got["meta_us"] = by[("startup10m_meta", "fanstore")]
    if ("startup1m", "fanstore-records") in by:
        got["rec_meta_us"] = by[("startup1m", "fanstore-records")]
    for g in ("remote100k_x8", "remote100k"):
        if (g, "fanstore") in by:
            got["remote_files_s"] = by[(g, "fanstore")]
            break
    return got


def human(b):
    for unit, div in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if b >= div:
            return "%.3g %s" % (b / div, unit)
    return "%d B" % b


def secs(s):
    return "%.3g s" % s if s >= 0.01 else "%.2g ms" % (s * 1e3)


def model(c, a):
    rows = []
    for files in FILES:
        for n in NODES:
            data = files * a.file_kb * 1e3
            rpn = a.ranks_per_node
            img = files * (c["img_beyond_path"] + a.path_bytes + 1)
            recs = files * c["rec_per_file"]
            # load: each node reads data/n from the shared FS, limited by its
            # client bandwidth and its share of the file system's aggregate
            load = (data / n) / min(a.client_gbs * 1e9, a.fs_gbs * 1e9 / n)
            if a.records:
                # every rank's records reach every node leader (a ring moves
                # (P-1)/P of them into each), which builds the image itself
                wire = recs * (n * rpn - 1) / (n * rpn) / (a.link_gbs * 1e9)
                build = files * c["rec_meta_us"] * 1e-6
            else:
                # the image reaches every node leader once (a pipelined
                # MPI_Bcast); the per-file part is its copy and checks
                wire = img / (a.link_gbs * 1e9)
                build = files * c["meta_us"] * 1e-6
            share = 1 - 1 / n
            net = a.rate * a.file_kb * 1e3 * share
            req = a.rate * share
            rows.append(dict(files=files, nodes=n, img=img, recs_node=recs * rpn if a.records else 0,
                             local=data / n, load=load, wire=wire,
                             build=build, start=load + wire + build, share=share,
                             net=net, req=req, served=a.rate * (1 + share) * a.file_kb * 1e3))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default="build/bench/results.json")
    ap.add_argument("--rate", type=float, default=2500, help="images/s per node")
    ap.add_argument("--file-kb", type=float, default=110, help="mean file size, KB")
    ap.add_argument("--link-gbs", type=float, default=12.5, help="network GB/s per node")
    ap.add_argument("--client-gbs", type=float, default=2.0,
                    help="shared FS read GB/s one node gets")
    ap.add_argument("--fs-gbs", type=float, default=100.0, help="shared FS aggregate GB/s")
    ap.add_argument("--ranks-per-node", type=int, default=1)
    ap.add_argument("--records", action="store_true",
                    help="model a dataset without its image (the records path)")
    ap.add_argument("--path-bytes", type=int, default=37,
                    help="mean path length (ImageNet: train/n01440764/n01440764_10026.JPEG)")
    a = ap.parse_args()
    c = dict(DEFAULTS)
    m = measured(a.results)
    c.update(m)
    print("Constants: image %.1f B/file + path (%d B), records %.0f B/file, metadata "
          "startup %.2f us/file (%s)%s; %s images/s/node of %g KB; network %g GB/s/node; "
          "shared FS %g GB/s per node, %g GB/s in all; %d rank(s)/node.\n"
          % (c["img_beyond_path"], a.path_bytes + 1, c["rec_per_file"],
             c["rec_meta_us"] if a.records else c["meta_us"],
             "records path" if a.records else "with the dataset's image",
             "; remote 100 KB reads %.0f files/s per launcher" % c["remote_files_s"]
             if c["remote_files_s"] else "", "{:,}".format(int(a.rate)), a.file_kb,
             a.link_gbs, a.client_gbs, a.fs_gbs, a.ranks_per_node))
    if m:
        print("(from %s: %s)\n" % (a.results, ", ".join(sorted(m))))
    rows = model(c, a)
    print("| files | nodes | image/node | records/node (startup) | data/node | "
          "data load | %s | metadata | startup |" % ("allgather wire" if a.records else "image to nodes"))
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %d | %s | %s | %s | %s | %s | %s | **%s** |"
              % ("{:,}".format(r["files"]), r["nodes"], human(r["img"]), human(r["recs_node"]),
                 human(r["local"]), secs(r["load"]), secs(r["wire"]),
                 secs(r["build"]), secs(r["start"])))
    print()
    print("| nodes | remote share | network in (= out) per node | remote requests/s per node "
          "| node-local reads per node |%s" % (" launcher busy |" if c["remote_files_s"] else ""))
    print("|---:|---:|---:|---:|---:|%s" % ("---:|" if c["remote_files_s"] else ""))
    for r in rows[:len(NODES)]:
        busy = (" %.0f%% |" % (100 * r["req"] / c["remote_files_s"])) if c["remote_files_s"] else ""
        print("| %d | %.1f%% | %s/s (%.2g Gb/s) | %s | %s/s |%s"
              % (r["nodes"], 100 * r["share"], human(r["net"]), r["net"] * 8 / 1e9,
                 "{:,}".format(int(r["req"])), human(r["served"]), busy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
