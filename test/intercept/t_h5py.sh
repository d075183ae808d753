#!/usr/bin/env bash
# h5py reads an HDF5 file of a packed dataset under fanstore-exec with
# HDF5's default file locking (flock on every open): every array and
# attribute equal to the original tree's, and a second process holding an
# exclusive lock on the file keeps h5py out, as on the original tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
need_build
"$PY" -c "import h5py, numpy" 2>/dev/null || skip "python3-h5py is not importable"
unset HDF5_USE_FILE_LOCKING
mkdir -p "$T/src/h5"
cat >"$T/make.py" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["ints"] = np.arange(100000, dtype=np.int64).reshape(250, 400) * 7 - 3
    f.create_dataset("floats", data=np.sin(np.arange(300000) / 17.0).astype(np.float32),
                     chunks=(4096,), compression="gzip")
    g = f.create_group("labels/train")
    g["names"] = np.array([b"cat", b"dog", b"owl"] * 500)
    g.attrs["classes"] = 3
    f.attrs["title"] = "fanstore h5py test"
PY
"$PY" "$T/make.py" "$T/src/h5/data.h5"
echo "not hdf5" >"$T/src/h5/readme.txt"
"$PREP" -q -n 2 -l 6 -o "$T/ds" "$T/src"
cat >"$T/read.py" <<'PY'
import hashlib, subprocess, sys, h5py
path = sys.argv[1] + "/h5/data.h5"
out = []
def show(name, obj):
    if isinstance(obj, h5py.Dataset):
        a = obj[()]
        out.append(f"{name} {a.shape} {a.dtype} {hashlib.sha256(a.tobytes()).hexdigest()}")
    out.append(f"{name} attrs {sorted((k, str(v)) for k, v in obj.attrs.items())}")
with h5py.File(path, "r") as f:
    out.append(f"/ attrs {sorted((k, str(v)) for k, v in f.attrs.items())}")
    f.visititems(show)
    out.append(f"floats[1000:1003] {f['floats'][1000:1003].tolist()}")
print("\n".join(out))
print("datasets:", sum(" attrs " not in l for l in out) - 1)
# another process holds an exclusive flock: h5py cannot lock, then can
holder = subprocess.Popen([sys.executable, "-c",
    "import fcntl, sys; f = open(sys.argv[1], 'rb'); fcntl.flock(f, fcntl.LOCK_EX);"
    " print('held', flush=True); sys.stdin.read()", path],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
assert holder.stdout.readline() == "held\n"
try:
    h5py.File(path, "r").close()
    print("while locked: opened")
except OSError as e:
    print("while locked: OSError", "unable to lock file" in str(e))
holder.stdin.close()
assert holder.wait() == 0
with h5py.File(path, "r") as f:
    print("after unlock: opened", f["ints"][249, 399])
PY
"$PY" "$T/read.py" "$T/src" >"$T/want" 2>&1 || { cat "$T/want"; fail "h5py on the original tree"; }
grep -qx "datasets: 3" "$T/want" && grep -qx "while locked: OSError True" "$T/want" &&
	grep -qx "after unlock: opened 699990" "$T/want" || { cat "$T/want"; fail "unexpected output on the original tree"; }
run 1 --data "$T/ds" -- "$PY" "$T/read.py" /fanstore >"$T/got" 2>"$T/err" || { cat "$T/got" "$T/err"; fail "h5py through fanstore-exec"; }
diff -u "$T/want" "$T/got" || fail "h5py read something else through the library than from the original tree"
ok "h5py with default locking: $(grep -c . "$T/want") lines equal, an exclusive lock of another process keeps it out"
