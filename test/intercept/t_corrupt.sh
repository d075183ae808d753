#!/usr/bin/env bash
# A damaged blob gives EIO and one line on stderr naming the file and the
# partition, never wrong bytes (raw blob: crc is checked when decoding a
# compressed one; a truncated partition is refused).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdir -p "$T/src"
head -c 100000 /usr/bin/bash >"$T/src/bin.dat"
"$PY" -c 'import sys; sys.stdout.write("compressible text line\n" * 5000)' >"$T/src/text.txt"
"$MKJOB" -l 6 "$T/src" "$T/job"
vrun cmp "$MNT/text.txt" "$T/src/text.txt" || fail "intact file differs"
# flip a byte in the middle of the compressed blob of text.txt
"$PY" - "$T/job/fs_0000" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
# corrupt every blob: a byte a few hundred bytes into the data area
for off in range(300, len(d) // 2, 4096):
    d[off] ^= 0x55
open(p, "wb").write(d)
PY
if vrun cat "$MNT/text.txt" >"$T/out" 2>"$T/err"; then fail "read of a damaged file succeeded"; fi
grep -q "text.txt" "$T/err" && grep -q "fs_0000" "$T/err" || { cat "$T/err"; fail "no line naming file and partition"; }
[ "$(wc -l <"$T/err")" -le 2 ] || { cat "$T/err"; fail "more than one line per failure"; }
cmp -s "$T/out" "$T/src/text.txt" && fail "wrong bytes returned"
ok "damaged compressed file: EIO, message: $(head -1 "$T/err")"
vrun "$PY" -c "
import errno, sys
try:
    open('$MNT/text.txt', 'rb').read(); sys.exit(1)
except OSError as e:
    sys.exit(0 if e.errno == errno.EIO else 2)" 2>/dev/null || fail "python did not get EIO"
ok "python gets EIO"
# a raw (stored) blob: its crc is checked on its first use on the node
# (JOBDIR/verified), then it is served in place
rm -rf "$T/job"
"$MKJOB" -l 0 "$T/src" "$T/job"
vrun cmp "$MNT/bin.dat" "$T/src/bin.dat" || fail "intact raw file differs"
rm -rf "$T/job"
"$MKJOB" -l 0 "$T/src" "$T/job"
"$PY" - "$T/job/fs_0000" "$T/src/bin.dat" <<'PY'
import sys
p, src = sys.argv[1], open(sys.argv[2], "rb").read()
d = bytearray(open(p, "rb").read())
i = d.find(src[:4096])
assert i >= 0, "raw blob not found"
d[i + 5000] ^= 0x01
open(p, "wb").write(d)
PY
if vrun cat "$MNT/bin.dat" >"$T/out" 2>"$T/err"; then fail "read of a damaged raw file succeeded"; fi
grep -q "does not match its checksum" "$T/err" && grep -q "bin.dat" "$T/err" || { cat "$T/err"; fail "raw: unclear message"; }
ok "damaged raw file: EIO, message: $(head -1 "$T/err")"
if vrun cat "$MNT/bin.dat" >/dev/null 2>&1; then fail "a second process got the damaged raw file"; fi
ok "and again in a second process"
