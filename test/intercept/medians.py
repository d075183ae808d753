"""medians.py FILE HEADER...: lines "SIZE LABEL V1 [V2...]" of repeated
runs; per (SIZE, LABEL) in first-seen order, the median and range of
each value column, under the column names HEADER."""
import collections, statistics, sys

runs = collections.OrderedDict()
for line in open(sys.argv[1]):
    f = line.split()
    runs.setdefault((f[0], f[1]), []).append([float(x) for x in f[2:]])
print("%-8s %-16s" % ("size", "what") + "".join("%10s %19s" % (h, "range") for h in sys.argv[2:]))
for (size, what), rows in runs.items():
    cols = zip(*rows)
    print("%-8s %-16s" % (size, what) + "".join(
        "%10.2f %8.2f - %8.2f" % (statistics.median(c), min(c), max(c)) for c in cols))
