#!/usr/bin/env bash
# A process opens the metadata image without looking at every entry; an
# entry is checked when it is used.  A damaged entry gives EIO and a line
# naming the image and the entry, never a crash or wrong bytes; the rest of
# the image still serves.  A damaged root (needed by every use) leaves the
# library inert, with a line saying so.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdir -p "$T/src/a" "$T/src/b"
echo xxxx >"$T/src/a/x.txt"
echo yyyyyy >"$T/src/a/y.txt"
echo zz >"$T/src/b/z.txt"
echo www >"$T/src/b/w.txt"
"$MKJOB" "$T/src" "$T/job"
vrun cat "$MNT/a/y.txt" >"$T/out" && cmp -s "$T/out" "$T/src/a/y.txt" || fail "intact image: a/y.txt differs"

# damage IMAGE NAME FIELD VALUE: set a field of entry NAME (or child slot K
# of directory NAME with FIELD "child:K") in the image
damage() {
	"$PY" - "$T/job/meta.img" "$@" <<'PY'
import struct, sys
path, name, field, value = sys.argv[1], sys.argv[2].encode(), sys.argv[3], int(sys.argv[4])
d = bytearray(open(path, "rb").read())
nent, ent_off = struct.unpack_from("<QQ", d, 32)
nchild, child_off, names_off = struct.unpack_from("<QQQ", d, 64)
FIELDS = {"off": (8, "<Q"), "part": (44, "<I"), "mode": (36, "<I")}
for i in range(nent):
    e = ent_off + 64 * i
    noff, = struct.unpack_from("<Q", d, e + 48)
    nlen, = struct.unpack_from("<H", d, e + 56)
    if bytes(d[names_off + noff:names_off + noff + nlen]) == name:
        break
else:
    sys.exit("no entry " + name.decode())
if field.startswith("child:"):
    first, = struct.unpack_from("<Q", d, e + 8)
    struct.pack_into("<I", d, child_off + 4 * (first + int(field[6:])), value)
else:
    off, fmt = FIELDS[field]
    struct.pack_into(fmt, d, e + off, value)
open(path, "r+b").write(d)
PY
}

# a file whose blob lies outside its partition
damage a/y.txt off $((1 << 40))
if vrun cat "$MNT/a/y.txt" >"$T/out" 2>"$T/err"; then fail "read of a damaged entry succeeded"; fi
[ -s "$T/out" ] && fail "bytes returned for a damaged entry"
grep -q "$T/job/meta.img" "$T/err" && grep -q "a/y.txt" "$T/err" && grep -q "blob outside its partition" "$T/err" \
	|| { cat "$T/err"; fail "no line naming the image and the entry"; }
grep -q "Input/output error" "$T/err" || { cat "$T/err"; fail "cat did not see EIO"; }
ok "damaged file entry: EIO, $(grep -m1 fanstore: "$T/err")"
vrun "$PY" -c "
import errno, os, sys
for call in (os.stat, os.lstat, lambda p: open(p, 'rb')):
    try:
        call('$MNT/a/y.txt'); sys.exit('no error')
    except OSError as e:
        if e.errno != errno.EIO: sys.exit('errno %d' % e.errno)
" 2>/dev/null || fail "stat/lstat/open of the damaged entry did not give EIO"
ok "stat, lstat and open give EIO"
vrun cat "$MNT/a/x.txt" >"$T/out" && cmp -s "$T/out" "$T/src/a/x.txt" || fail "an intact file of the same image differs"
ok "the rest of the image still serves"

# a directory whose child slot points past the entries, and one to a bad type
damage b child:1 100000
if vrun ls "$MNT/b" >"$T/out" 2>"$T/err"; then fail "listing a damaged directory succeeded"; fi
grep -q "meta.img: entry [0-9]* (b): child 1" "$T/err" || { cat "$T/err"; fail "listing: no line naming the entry"; }
vrun "$PY" -c "
import errno, os, sys
try:
    os.listdir('$MNT/b'); sys.exit('no error')
except OSError as e:
    sys.exit(0 if e.errno == errno.EIO else 'errno %d' % e.errno)" 2>/dev/null || fail "listdir did not give EIO"
ok "damaged child slot: EIO on readdir"
vrun cat "$MNT/b/z.txt" >"$T/out" && cmp -s "$T/out" "$T/src/b/z.txt" || fail "a file of the damaged directory differs"
damage b/w.txt mode $((8#010644))   # a FIFO: a type the image never holds
vrun find "$MNT" >"$T/out" 2>"$T/err" && fail "find over damaged entries succeeded"
grep -q "(b): child 0 (entry [0-9]*): unknown file type" "$T/err" || { cat "$T/err"; fail "find: no line naming the damage"; }
ok "find reports the damage: $(grep -c fanstore: "$T/err") line(s)"

# the root is checked when the image is opened: the library stays inert
damage "" mode $((8#100644))
vrun ls "$MNT" >"$T/out" 2>"$T/err" && fail "ls of a mount with a damaged root succeeded"
grep -q "root entry" "$T/err" && grep -q "not mounted" "$T/err" || { cat "$T/err"; fail "damaged root: unclear message"; }
ok "damaged root: $(grep -m1 fanstore: "$T/err")"
