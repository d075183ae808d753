"""stats_check.py ERR JSON NRANKS TALLY CRC [LOAD_BYTES]: check fanstore-exec's
job report against what the readers did (stats_reader.py's tallies).

ERR: the run's stderr (the table), or - when it has none; JSON: --stats-json's file; TALLY: the
tallies' prefix (TALLY.RANK, a missing one is a rank that read nothing);
CRC: comma-separated crc failures expected on each rank's node; LOAD_BYTES:
the bytes the load copied.  Scatter partition fs_N is held by rank
N % NRANKS, fs_bcast by every node.  Every figure must be exact, per node
and in total, in the table and in the JSON alike.
"""
import json, os, re, sys

err, js, nranks, tally, crc = sys.argv[1:6]
load_bytes = int(sys.argv[6]) if len(sys.argv) > 6 else None
nranks = int(nranks)
crc = [int(x) for x in crc.split(",")]
rep = json.load(open(js))
bad = []


def need(what, got, want):
    if got != want:
        bad.append("%s: report says %r, expected %r" % (what, got, want))


tallies = {}
for r in range(nranks):
    p = "%s.%d" % (tally, r)
    tallies[r] = json.load(open(p)) if os.path.exists(p) else {}

need("ranks", rep["ranks"], nranks)
nodes = rep["per_node"]
need("nodes", rep["nodes"], len(nodes))
need("ranks over nodes", sorted(k for n in nodes for k in n["ranks"]), list(range(nranks)))


def held_by(part, ranks):
    return part == "fs_bcast" or int(part[3:]) % nranks in ranks


keys = ["files_local", "files_remote", "bytes_local", "bytes_remote", "remote_fetches",
        "bytes_sent", "crc_failures"]
want_nodes = []
for n in nodes:
    ranks = set(n["ranks"])
    w = dict.fromkeys(keys, 0)
    for r in range(nranks):
        t = tallies[r]
        for part, k in t.get("files", {}).items():
            if r in ranks:
                w["files_local" if held_by(part, ranks) else "files_remote"] += k
                if not held_by(part, ranks):
                    w["remote_fetches"] += k
        for part, k in t.get("bytes", {}).items():
            if r in ranks:
                w["bytes_local" if held_by(part, ranks) else "bytes_remote"] += k
        for part, k in t.get("stored", {}).items():
            if r not in ranks and held_by(part, ranks) and part != "fs_bcast":
                w["bytes_sent"] += k
    w["crc_failures"] = sum(crc[r] for r in ranks)
    want_nodes.append(w)
    for k in keys:
        need("node %d %s" % (n["node"], k), n[k], w[k])

table = {}
for line in open(err) if err != "-" else []:
    m = re.match(r"^  (\S.*?)\s{2,}([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)$", line.rstrip("\n"))
    if m:
        table[m.group(1)] = [float(x) if "." in x else int(x) for x in m.groups()[1:]]
labels = {"files read, local": "files_local", "files read, remote": "files_remote",
          "bytes read, local": "bytes_local", "bytes read, remote": "bytes_remote",
          "remote fetches": "remote_fetches", "bytes sent to other nodes": "bytes_sent",
          "crc failures": "crc_failures", "wait in FanStore calls, s": "wait_seconds"}
if err != "-":
    need("the table's figures", sorted(table), sorted(labels))
for label, k in labels.items():
    vals = sorted(n[k] for n in nodes)
    spread = [sum(vals), vals[0], vals[(len(vals) - 1) // 2], vals[-1]]
    js = [rep["total"][k]] + [rep["spread"][k][x] for x in ("min", "median", "max")]
    row = table.get(label)
    if k == "wait_seconds":   # a sum of floats; the table rounds to ms
        if any(abs(a - b) > 1e-6 for a, b in zip(js, spread)):
            bad.append("JSON %s %r, its nodes give %r" % (k, js, spread))
        if err != "-" and (not row or any(abs(a - b) > 0.0015 for a, b in zip(row, spread))):
            bad.append("table %s %r, JSON %r" % (label, row, spread))
    else:
        need("JSON total, min, median, max of %s" % k, js, spread)
        if err != "-":
            need("table %s" % label, row, spread)
for k in keys:
    need("total %s" % k, rep["total"][k], sum(w[k] for w in want_nodes))

files = sum(w["files_local"] + w["files_remote"] for w in want_nodes)
if files and not rep["total"]["wait_seconds"] > 0:
    bad.append("no time inside FanStore calls although files were read")
lat = rep["remote_fetch_us"]
need("remote fetch count", lat["count"], rep["total"]["remote_fetches"])
if lat["count"] and not 0 < lat["median"] <= lat["p99"]:
    bad.append("remote fetch times: median %r, p99 %r" % (lat["median"], lat["p99"]))
if lat["count"] and err != "-":
    if not re.search(r"remote fetch time\s+median [0-9.]+ us, 99th percentile [0-9.]+ us \(%d fetches" % lat["count"],
                     open(err).read()):
        bad.append("the table's remote fetch line does not say %d fetches" % lat["count"])
if load_bytes is not None:
    need("load bytes", rep["load"]["bytes"], load_bytes)
if not rep["load"]["seconds"] > 0:
    bad.append("load time %r" % rep["load"]["seconds"])
if bad:
    sys.exit("stats_check: " + "\nstats_check: ".join(bad))
t = rep["total"]
print("files %d local %d remote, bytes %d local %d remote, %d fetches, %d bytes sent, %d crc failures" %
      (t["files_local"], t["files_remote"], t["bytes_local"], t["bytes_remote"], t["remote_fetches"],
       t["bytes_sent"], t["crc_failures"]))
