#!/usr/bin/env bash
# make asan: build a copy of the tree with SAN="-fsanitize=address,undefined"
# (in build/asan/, so the shared bin/ and lib/ stay as they are) and run the
# tests of real clients under the library there, the ASan runtime preloaded
# first, plus the hardening tests.  Usage: asan.sh [PATTERN...]
# (default: intercept/ hardening/).  Exit 0 only when every test passes.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
dst=$TOP/build/asan
start=$(date +%s)
mkdir -p "$dst"
(cd "$TOP" && git ls-files -co --exclude-standard -z | xargs -0 cp -p -u --parents -t "$dst") ||
	{ echo "asan: copying the tree to $dst failed" >&2; exit 1; }
make -C "$dst" -s -j2 B=build SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" tests >"$dst/build.log" 2>&1 ||
	{ tail -30 "$dst/build.log"; echo "asan: the sanitizer build failed (log $dst/build.log)" >&2; exit 1; }
asan=$(cc -print-file-name=libasan.so)
[ -f "$asan" ] || { echo "asan: no ASan runtime ($asan): install gcc's libasan" >&2; exit 1; }
# Uninstrumented clients (cat, python) get the runtime first; the launcher
# puts the library before an inherited LD_PRELOAD, so the order check is off.
export FANSTORE_PRELOAD_FIRST=$asan
export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:abort_on_error=0:halt_on_error=1:exitcode=66
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=66}
rc=0
for pat in "${@:-intercept/ hardening/}"; do
	for p in $pat; do
		(cd "$dst" && B=build test/run.sh "$p") || rc=1
	done
done
echo "asan: $(($(date +%s) - start)) s"
exit $rc
