"""flip.py PART STEP [WAIT DONE]: damage a partition in place, as a failing
disk or a stray write would: xor 0x5A into one byte every STEP bytes of
its data area (after the 128-byte header, before the index: docs/format.md),
so every blob of STEP bytes or more is hit.  With WAIT and DONE: first wait
(up to 60 s) for the file WAIT to exist, afterwards create DONE.

flip.py FILE @OFFSET: xor 0x5A into the one byte at OFFSET of any file
(a negative OFFSET counts from the end)."""
import os, struct, sys, time

part, step = sys.argv[1], sys.argv[2]
if step.startswith("@"):
    with open(part, "r+b") as f:
        f.seek(int(step[1:]), os.SEEK_SET if int(step[1:]) >= 0 else os.SEEK_END)
        at = f.tell()
        b = f.read(1)
        assert len(b) == 1, "offset %s is past the end of %s" % (step[1:], part)
        f.seek(at)
        f.write(bytes([b[0] ^ 0x5A]))
    sys.exit(0)
step = int(step)
if len(sys.argv) > 3:
    for _ in range(600):
        if os.path.exists(sys.argv[3]):
            break
        time.sleep(0.1)
with open(part, "r+b") as f:
    d = bytearray(f.read())
    for off in range(128, struct.unpack_from("<Q", d, 48)[0], step):
        d[off] ^= 0x5A
    f.seek(0)
    f.write(d)
if len(sys.argv) > 4:
    open(sys.argv[4], "w").close()
