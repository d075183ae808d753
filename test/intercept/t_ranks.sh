#!/usr/bin/env bash
# Real clients under fanstore-exec with 1 and 2 ranks on one node, and with
# 2 and 3 ranks each in its own mount namespace (a node of its own), where
# files of other partitions come through the launcher's socket: find,
# md5sum of every file and Python's md5 of every file equal the original tree's.
. "$(dirname "$0")/../lib.sh"
[ -x "$EXEC" ] && [ -x "$PREP" ] || skip "fanstore-exec or fanstore-prep not built"
# The clients' stderr is part of the compared output, and with 2 ranks
# Open MPI binds rank 0 to one core, about which its first fork would add
# a line (t_bind_warn): give the ranks every core.
export OMPI_MCA_hwloc_base_binding_policy=none
gentree "$T/src" --links --files 80 --dirs 5 >/dev/null
"$PREP" -q -n 4 -l 6 -o "$T/ds" "$T/src"
(cd "$T/src" && find . | sort && find . -type f | sort | xargs -d '\n' md5sum) >"$T/want"
(cd "$T/src" && find . -type f | xargs -d '\n' md5sum | LC_ALL=C sort) >"$T/want.py"
cat >"$T/client.sh" <<'SH'
cd /fanstore && { find . | sort && find . -type f | sort | xargs -d '\n' md5sum; } >"$OUT.$RANK" 2>&1
/usr/bin/python3 -c '
import hashlib, os
for d, _, fs in os.walk("."):
    for f in fs:
        p = os.path.join(d, f)
        if os.path.isfile(p) and not os.path.islink(p):
            print(hashlib.md5(open(p, "rb").read()).hexdigest() + "  " + p)' | LC_ALL=C sort >"$OUT.py.$RANK" 2>&1
SH
check() {
	local what=$1 np=$2
	for r in $(seq 0 $((np - 1))); do
		diff -u "$T/want" "$T/out.$r" >/dev/null || { diff -u "$T/want" "$T/out.$r" | head -20; fail "$what: rank $r differs"; }
		diff -u "$T/want.py" "$T/out.py.$r" >/dev/null || { diff -u "$T/want.py" "$T/out.py.$r" | head -20; fail "$what: python's md5 of every file on rank $r differs"; }
	done
	ok "$what"
}
for np in 1 2; do
	rm -f "$T"/out.*
	OUT=$T/out run "$np" --data "$T/ds" -- sh "$T/client.sh" >"$T/log" 2>&1 || { cat "$T/log"; fail "$np ranks on one node"; }
	check "$np ranks on one node" "$np"
done
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	for np in 2 3; do
		rm -f "$T"/out.*
		OUT=$T/out timeout -k 5 120 mpirun -np "$np" -x OUT unshare -m --propagation private sh -c \
			'mount -t tmpfs -o size=64m fstest "$FANSTORE_CACHE" && exec "$@"' \
			sh "$EXEC" --data "$T/ds" -- sh "$T/client.sh" >"$T/log" 2>&1 || { cat "$T/log"; fail "$np nodes"; }
		check "$np ranks as $np nodes (remote reads)" "$np"
	done
else
	echo "remote reads not exercised: needs root and unshare -m"
fi
