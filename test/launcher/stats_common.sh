# test/launcher/stats_common.sh - helpers of the job report's tests
# (t_stats, t_stats_nodes); source after test/lib.sh.  Makes T/tree, its
# dataset T/ds (2 partitions) and T/ds.list; want: the tree's bytes.
unset FANSTORE_STATS FANSTORE_STATS_JSON   # each run says what it wants
RD=$TOP/test/launcher/stats_reader.py
CK=$TOP/test/launcher/stats_check.py
FLIP=$TOP/test/launcher/flip.py

# mkset NAME PREP_ARGS...: pack T/tree into T/NAME and list its files in
# T/NAME.list ("PART SIZE STORED PATH", PATH under the mount).
mkset() {
  local name=$1; shift
  "$PREP" -q -n 2 "$@" -o "$T/$name" "$T/tree"
  "$PREP" --list "$T/$name" | awk '$1 ~ /^-/ { print $6, $2, $3, "/fanstore/" $7 }' >"$T/$name.list"
  [ "$(wc -l <"$T/$name.list")" -eq 24 ] || fail "$name: expected 24 files listed"
}
# load_bytes NAME NODES: what the load copies into the caches: each scatter
# partition up to its index (the dataset's image serves the namespace, so
# the index stays out), the image once a node.
load_bytes() {
  "$PY" - "$T/$1" "$2" <<'PY'
import glob, os, struct, sys
d, nodes = sys.argv[1], int(sys.argv[2])
n = nodes * os.path.getsize(os.path.join(d, "fanstore.image"))
for p in glob.glob(os.path.join(d, "fs_[0-9]*")):
    with open(p, "rb") as f:
        n += struct.unpack_from("<Q", f.read(128), 48)[0]   # index_off
print(n)
PY
}
# count PART LIST: files of partition PART
count() { grep -c "^$1 " "$2"; }
# tally_is TALLY FILES BYTES: the reader opened FILES files, read BYTES
tally_is() {
  local t
  t=$("$PY" -c 'import json, sys; t = json.load(open(sys.argv[1])); print(sum(t["files"].values()), sum(t["bytes"].values()))' "$1")
  [ "$t" = "$2 $3" ] || fail "$1: the reader opened and read \"$t\", expected \"$2 $3\""
}
# sum_sizes LIST [CAP]: the bytes of its files (each at most CAP)
sum_sizes() { awk -v cap="${2:-0}" '{ s += (cap && $2 > cap) ? cap : $2 } END { print s + 0 }' "$1"; }
gentree "$T/tree" --files 24 --dirs 3 --sizes 100000,5000,3000 >/dev/null
mkset ds
want=$(sum_sizes "$T/ds.list")
