#!/usr/bin/env bash
# Raw (stored) files damaged on the node that holds them, after the load:
# a reader on another node gets EIO, never the damaged bytes, with a line
# naming the file; the holder's launcher names file and partition and
# refuses to send.  The reader does not check a raw file the holder has
# checked, so this fails if the holder does not check.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
can_nodes || skip "needs root and unshare -m to run ranks as separate nodes"
gentree "$T/orig" --files 24 --dirs 2 --sizes 100000,5000 >/dev/null
"$PREP" -q -n 2 -l 0 -o "$T/data" "$T/orig"
(cd "$T/orig" && find . -type f | sed 's|^\./||' | sort) >"$T/list"

# Rank 1 damages every blob of the partitions its node holds, then rank 0
# reads every file through the library.
cat >"$T/rank1.py" <<'PY'
import glob, os, sys
for p in glob.glob(os.path.join(os.environ["FANSTORE_JOBDIR"], "fs_0*")):
    with open(p, "r+b") as f:
        d = bytearray(f.read())
        # past the header, a byte every 2 KiB: every blob of 5000 bytes or more
        for off in range(4096, len(d) - 4096, 2048):
            d[off] ^= 0x5A
        f.seek(0)
        f.write(d)
open(sys.argv[1], "w").close()
PY
cat >"$T/rank0.sh" <<'SH'
for _ in $(seq 300); do [ -e "$T/damaged" ] && break; sleep 0.1; done
[ -e "$T/damaged" ] || { echo "rank 1 did not damage its partitions"; exit 3; }
bad=0 eio=0 good=0
while read -r rel; do
  if cat "/fanstore/$rel" >"$T/got" 2>>"$T/rank0.err"; then
    cmp -s "$T/got" "$T/orig/$rel" && good=$((good + 1)) || { echo "WRONG BYTES: $rel"; bad=$((bad + 1)); }
  else
    eio=$((eio + 1))
  fi
done <"$T/list"
echo "rank0: good $good eio $eio wrong $bad"
[ "$bad" -eq 0 ]
SH
export T
job_exits 2 --data "$T/data" -- sh -c \
  'if [ "$RANK" = 1 ]; then exec '"$PY"' "$0" "$T/damaged"; else exec sh "$1"; fi' "$T/rank1.py" "$T/rank0.sh"
all_exits 0
read -r good eio < <(sed -n 's/^rank0: good \([0-9]*\) eio \([0-9]*\) wrong 0$/\1 \2/p' "$T/out")
[ "${eio:-0}" -gt 0 ] || fail "no remote read failed: the damaged bytes were not caught"
[ "${good:-0}" -gt 0 ] || fail "no local read succeeded"
grep -q "Input/output error" "$T/rank0.err" || { cat "$T/rank0.err"; fail "the reader saw no EIO"; }
grep -q "/fanstore/.*: the launcher answered: Input/output error" "$T/rank0.err" ||
  { cat "$T/rank0.err"; fail "the library named no file"; }
grep -q "does not match its checksum in partition fs_0001; refusing to send it" "$T/out" ||
  fail "the holder's launcher named no file and partition"
ok "damaged raw files on the holder: $eio EIO on the reader's node, $good local files right, no wrong bytes"
cache_empty
