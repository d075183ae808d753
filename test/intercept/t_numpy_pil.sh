#!/usr/bin/env bash
# numpy.load with and without mmap_mode, np.fromfile, PIL Image.open.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
"$PY" -c "import numpy, PIL" 2>/dev/null || skip "python3-numpy or python3-pil missing"
mkdir -p "$T/src"
"$PY" "$TOP/test/intercept/pydata.py" --make "$T/src"
"$MKJOB" -p 2 -l 6 "$T/src" "$T/job"
"$PY" "$TOP/test/intercept/pydata.py" "$T/src" >"$T/orig" 2>&1 || { cat "$T/orig"; fail "original tree"; }
vrun "$PY" "$TOP/test/intercept/pydata.py" "$MNT" >"$T/virt" 2>&1 || { cat "$T/virt"; fail "on the mount"; }
diff -u "$T/orig" "$T/virt" || fail "numpy/PIL read different data"
ok "numpy/PIL: $(wc -l <"$T/orig") results equal"
