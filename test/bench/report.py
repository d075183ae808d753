#!/usr/bin/python3
"""Benchmark figures: summarise repetitions, and turn BENCH lines into a
table, JSON and a PNG chart.

  report.py line GROUP NAME UNIT VALUE...
      print one BENCH line (median, min, max, reps of the values)

  report.py report [--json FILE] [--png FILE] [--title T] [FILE...]
      read BENCH lines from the files (or standard input; other lines are
      ignored), print a fixed-column table, write the same data as JSON
      and draw FanStore against each baseline as a PNG

A BENCH line is  BENCH<TAB>group<TAB>name<TAB>unit<TAB>median<TAB>min<TAB>max<TAB>reps.
In a group, rows named "fanstore" (or "fanstore-...") are FanStore; every
other row is a baseline; the first baseline is the group's reference
("ratio" = median / reference median).  "gain" is how many times better
FanStore is than a baseline: higher is better for rates (units ending in
"/s"), lower for everything else (times, bytes, percent).

A group's name says its access pattern (PATTERNS below): GROUP_first and
GROUP_later are what training does (a fresh process reads each file once,
in a new job / later in the same job), torch_* the PyTorch DataLoader
(torch_*_persist with persistent workers), GROUP_loop a long-lived process
after a warm-up pass (secondary).  The report prints a headline table of
the training patterns first, then every row section by section; the JSON
holds the same rows, each with its pattern and section.
"""
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time


# (section, pattern label, group name regex); the first match wins, and the
# sections print in this order.
PATTERNS = (
    ("training", "first epoch", r"_first$"),
    ("training", "later epoch", r"_later$"),
    ("dataloader", "persistent workers", r"^torch_.*_persist$"),
    ("dataloader", "new workers each epoch", r"^torch_"),
    ("secondary", "long-lived", r"_loop$"),
    ("other", "", r""),
)
SECTIONS = {
    "training": "What training does: a fresh process reads each file once (first epoch: "
                "in a new job; later epoch: in the same job)",
    "dataloader": "PyTorch DataLoader (new workers each epoch, or persistent workers)",
    "secondary": "Secondary: one long-lived process after a warm-up pass",
    "other": "Launcher, packer and the rest",
}
HEADLINE = ("training", "dataloader")


def pattern(group):
    """(section, pattern label) of a group name."""
    for sec, label, rx in PATTERNS:
        if re.search(rx, group):
            return sec, label
    return "other", ""


def by_section(rows):
    """Rows reordered section by section (groups keep their order within)."""
    order = [p[0] for p in PATTERNS]
    return sorted(rows, key=lambda r: order.index(r["section"]))


def die(msg, code=2):
    print("report.py: " + msg, file=sys.stderr)
    sys.exit(code)


def higher_is_better(unit):
    return unit.endswith("/s") or unit in ("x", "ratio")


def is_fanstore(name):
    return name == "fanstore" or name.startswith("fanstore-") or name.startswith("fanstore_")


def fmt_num(v):
    if v is None:
        return "-"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e6:
        return "%.3e" % v
    if a >= 100:
        return "%.1f" % v
    if a >= 1:
        return "%.3f" % v
    if a >= 0.001:
        return "%.4f" % v
    return "%.3e" % v


def bench_line(group, name, unit, values):
    if not values:
        die("no values for %s/%s" % (group, name))
    for f in (group, name, unit):
        if not f or "\t" in f or "\n" in f:
            die("group, name and unit must be non-empty words without tabs: %r" % f)
    return "BENCH\t%s\t%s\t%s\t%.6g\t%.6g\t%.6g\t%d" % (
        group, name, unit, statistics.median(values), min(values), max(values), len(values))


def parse(lines, source="-"):
    """BENCH rows from text lines; malformed BENCH lines are reported and skipped."""
    rows = []
    for no, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.startswith("BENCH\t"):
            continue
        f = line.split("\t")
        try:
            if len(f) != 8:
                raise ValueError("%d fields, want 8" % len(f))
            med, lo, hi = float(f[4]), float(f[5]), float(f[6])
            reps = int(f[7])
            if not (f[1] and f[2] and f[3]):
                raise ValueError("empty group, name or unit")
        except ValueError as e:
            print("report.py: %s:%d: skipping malformed BENCH line (%s): %r"
                  % (source, no, e, line), file=sys.stderr)
            continue
        sec, label = pattern(f[1])
        rows.append(dict(group=f[1], name=f[2], unit=f[3], median=med, min=lo, max=hi,
                         reps=reps, section=sec, pattern=label, source=os.path.basename(source)))
    return rows


def analyse(rows):
    """Adds ratio and gain to rows; returns the comparisons: the group's
    "fanstore" row against every baseline, and any other FanStore row
    ("fanstore-remote", ...) against the reference baseline."""
    groups = {}
    for r in rows:
        groups.setdefault(r["group"], []).append(r)
    comps = []
    for g, rs in groups.items():
        fs = [r for r in rs if is_fanstore(r["name"])]
        base = [r for r in rs if not is_fanstore(r["name"])]
        ref = base[0] if base else None
        fs_main = next((r for r in fs if r["name"] == "fanstore"), fs[0] if fs else None)
        for r in rs:
            r["ratio"] = (r["median"] / ref["median"]
                          if ref and ref["median"] and ref["unit"] == r["unit"] else None)
            r["gain"] = None
        pairs = [(fs_main, b) for b in base] if fs_main else []
        pairs += [(f, ref) for f in fs if f is not fs_main and ref]
        for f, b in pairs:
            if b["unit"] != f["unit"] or not b["median"] or not f["median"]:
                continue
            if higher_is_better(b["unit"]):
                gain = f["median"] / b["median"]
            else:
                gain = b["median"] / f["median"]
            if f is fs_main:
                b["gain"] = gain
            comps.append(dict(group=g, section=f["section"], pattern=f["pattern"],
                              fanstore=f["name"], baseline=b["name"], unit=b["unit"],
                              fanstore_median=f["median"], fanstore_min=f["min"],
                              fanstore_max=f["max"], baseline_median=b["median"],
                              baseline_min=b["min"], baseline_max=b["max"], gain=gain))
    return comps


def label(c):
    """"vs BASELINE", or "NAME vs BASELINE" for a FanStore row other than "fanstore"."""
    return ("" if c["fanstore"] == "fanstore" else c["fanstore"] + " ") + "vs " + c["baseline"]


def columns(widths, cells, left):
    """One fixed-column line: the first LEFT cells left-aligned, the rest right."""
    s = "  ".join(("%-*s" if i < left else "%*s") % (w, c)
                  for i, (w, c) in enumerate(zip(widths, cells)))
    return s.rstrip()


def headline(comps):
    """The training patterns, FanStore against each baseline, min and max beside
    each median: the first table to quote."""
    cs = [c for c in comps if c["section"] in HEADLINE]
    if not cs:
        return ""
    head = ("group", "pattern", "unit", "fanstore", "median", "min", "max",
            "baseline", "median", "min", "max", "gain")
    w = [max([5] + [len(c[k]) for c in cs]) for k in ("group", "pattern", "unit", "fanstore")]
    w[1] = max(w[1], 7)
    wb = max([8] + [len(c["baseline"]) for c in cs])
    w = w + [12, 12, 12, wb, 12, 12, 12, 7]
    out = [columns(w, head[:7], 4) + "  " + columns(w[7:], head[7:], 1), "-" * (sum(w) + 2 * 11)]
    last = None
    for c in sorted(cs, key=lambda c: HEADLINE.index(c["section"])):
        if last is not None and c["section"] != last:
            out.append("")
        last = c["section"]
        out.append(columns(w, (c["group"], c["pattern"], c["unit"], c["fanstore"],
                               fmt_num(c["fanstore_median"]), fmt_num(c["fanstore_min"]),
                               fmt_num(c["fanstore_max"])), 4) + "  " +
                   columns(w[7:], (c["baseline"], fmt_num(c["baseline_median"]),
                                   fmt_num(c["baseline_min"]), fmt_num(c["baseline_max"]),
                                   "%.2fx" % c["gain"]), 1))
    return "\n".join(out)


def table(rows):
    """Every row, section by section, each section under its title."""
    head = ("group", "name", "unit", "median", "min", "max", "reps", "ratio", "gain")
    w = (max([16] + [len(r["group"]) for r in rows]), max([12] + [len(r["name"]) for r in rows]),
         max([9] + [len(r["unit"]) for r in rows]), 12, 12, 12, 5, 7, 7)
    out = [columns(w, head, 3), "-" * (sum(w) + 2 * (len(w) - 1))]
    last = sec = None
    for r in by_section(rows):
        if r["section"] != sec:
            sec = r["section"]
            out += ["", "## " + SECTIONS[sec]]
        elif r["group"] != last:
            out.append("")
        last = r["group"]
        out.append(columns(w, (r["group"], r["name"], r["unit"], fmt_num(r["median"]),
                               fmt_num(r["min"]), fmt_num(r["max"]), str(r["reps"]),
                               "%.2f" % r["ratio"] if r["ratio"] is not None else "-",
                               "%.2fx" % r["gain"] if r["gain"] is not None else "-"), 3))
    return "\n".join(out)


def machine():
    m = dict(host=platform.node(), system=platform.system(), kernel=platform.release(),
             arch=platform.machine(), cpus=os.cpu_count())
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    m["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            m["mem_gb"] = round(int(f.readline().split()[1]) / 1e6, 1)
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    m["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        m["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return m


def chart_matplotlib(comps, png, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401
    labels = ["%s (%s): %s" % (c["group"], c["unit"], label(c)) for c in comps]
    gains = [c["gain"] for c in comps]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(comps) + 1.6), dpi=110)
    ys = list(range(len(comps)))[::-1]
    colours = ["#2e7d32" if g >= 1 else "#f9a825" if g >= 0.8 else "#c62828" for g in gains]
    ax.set_xscale("log")
    ax.barh(ys, [g - 1 for g in gains], left=1.0, color=colours, height=0.6)
    ax.axvline(1.0, color="black", linewidth=1)
    ticks = [m * 10.0 ** e for e in range(-4, 5) for m in (1, 2, 5)]
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "%g" % v))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=9)
    lo, hi = min(gains + [1.0]), max(gains + [1.0])
    ax.set_xlim(min(lo / 3, 0.45), max(hi * 2.2, 2.5))
    for y, g in zip(ys, gains):
        ax.text(g * 1.05 if g >= 1 else g / 1.05, y, "%.2fx" % g, va="center",
                ha="left" if g >= 1 else "right", fontsize=8)
    ax.set_xlabel("FanStore gain over baseline (median; > 1: FanStore better, log scale)")
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)


def chart_gnuplot(comps, png, title):
    dat = png + ".dat"
    n = len(comps)
    with open(dat, "w") as f:
        for i, c in enumerate(comps):
            g = c["gain"]
            colour = 0x2E7D32 if g >= 1 else 0xF9A825 if g >= 0.8 else 0xC62828
            f.write('%d "%s (%s): %s" %g %d\n'
                    % (n - 1 - i, c["group"], c["unit"], label(c), g, colour))
    gains = [c["gain"] for c in comps] + [1.0]
    script = """set terminal pngcairo size 1000,%d font ",9" noenhanced
set output "%s"
set title "%s"
set style fill solid 0.9
set logscale x
set xrange [%g:%g]
set xlabel "FanStore gain over baseline (median; > 1: FanStore better, log scale)"
set yrange [-0.7:%g]
set grid x
set arrow from 1,graph 0 to 1,graph 1 nohead
unset key
plot "%s" using (($3>1?$3:1)/2+($3>1?1:$3)/2):1:($3>1?1:$3):($3>1?$3:1):($1-0.3):($1+0.3):4:ytic(2) \
     with boxxyerror lc rgb variable, "" using 3:1:(sprintf("%%.2fx",$3)) with labels left offset 0.5,0
""" % (int(40 * n + 120), png, title.replace('"', "'"), min(gains) / 1.6, max(gains) * 2.2,
       n - 0.3, dat)
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    os.unlink(dat)
    if r.returncode != 0:
        raise RuntimeError("gnuplot failed: " + r.stderr.strip())


def chart(comps, png, title):
    """Draw with matplotlib, else gnuplot; returns the tool used or None."""
    if not comps:
        return None
    try:
        chart_matplotlib(comps, png, title)
        return "matplotlib"
    except ImportError:
        pass
    try:
        chart_gnuplot(comps, png, title)
        return "gnuplot"
    except (OSError, RuntimeError) as e:
        print("report.py: no chart drawn (needs python3-matplotlib or gnuplot-nox): %s" % e,
              file=sys.stderr)
        return None


def cmd_report(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="report.py report")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--json")
    ap.add_argument("--png")
    ap.add_argument("--title", default="FanStore against its baselines")
    a = ap.parse_args(argv)
    rows = []
    if a.files:
        for p in a.files:
            try:
                with open(p, errors="replace") as f:
                    rows += parse(f, p)
            except OSError as e:
                die("cannot read %s: %s" % (p, e.strerror))
    else:
        rows = parse(sys.stdin)
    if not rows:
        die("no BENCH lines found in %s" % (" ".join(a.files) or "standard input"), 1)
    comps = analyse(rows)
    order = [p[0] for p in PATTERNS]
    comps.sort(key=lambda c: order.index(c["section"]))
    head = headline(comps)
    if head:
        print("Training patterns, FanStore against each baseline (median, min, max of the "
              "repetitions; gain > 1: FanStore better):\n")
        print(head + "\n")
    print(table(rows))
    if comps:
        print("\nFanStore against each baseline (gain > 1: FanStore better):")
        wg = max(len(c["group"]) for c in comps)
        wl = max(len(label(c)) for c in comps)
        for c in comps:
            print("  %-*s  %-*s  %8.2fx" % (wg, c["group"], wl, label(c), c["gain"]))
    tool = None
    if a.png:
        tool = chart(comps, a.png, a.title)
        if tool:
            print("\nchart: %s (%s)" % (a.png, tool))
    if a.json:
        doc = dict(generated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   machine=machine(), sections=SECTIONS, results=by_section(rows),
                   comparisons=comps, headline=[c for c in comps if c["section"] in HEADLINE],
                   chart=a.png if tool else None)
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
        print("json: %s" % a.json)
    return 0


def cmd_line(argv):
    if len(argv) < 4:
        die("usage: report.py line GROUP NAME UNIT VALUE...")
    try:
        vals = [float(v) for v in argv[3:]]
    except ValueError:
        die("values must be numbers: %s" % " ".join(argv[3:]))
    print(bench_line(argv[0], argv[1], argv[2], vals))
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("line", "report"):
        die("usage: report.py line GROUP NAME UNIT VALUE... | report.py report [--json F] "
            "[--png F] [FILE...]")
    return (cmd_line if sys.argv[1] == "line" else cmd_report)(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
