#!/usr/bin/env bash
# Python's file APIs (open().read(), os.walk, os.scandir, os.fwalk, glob,
# pathlib.rglob, shutil.copytree, access, seek) see the original tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2 -l 6
mkdir -p "$T/o1" "$T/o2"
"$PY" "$TOP/test/intercept/pyclients.py" "$T/src" "$T/o1" >"$T/orig" 2>&1 || { cat "$T/orig"; fail "python on the original tree"; }
vrun "$PY" "$TOP/test/intercept/pyclients.py" "$MNT" "$T/o2" >"$T/virt" 2>&1 || { cat "$T/virt"; fail "python on the mount"; }
diff -u "$T/orig" "$T/virt" || fail "python sees a different tree"
ok "python: $(wc -l <"$T/orig") facts equal"
