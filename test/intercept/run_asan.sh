#!/usr/bin/env bash
# run_asan.sh [PATTERN]: build the library and the intercept tests with
# ASan + UBSan and run the tests (default: every intercept test) with the
# ASan runtime preloaded before libfanstore.  The build happens in a copy
# of the tree, because lib/ and bin/ do not follow B= and a sanitizer
# build in place would replace the library other runs are using.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
pat=${1:-intercept}
W=$(mktemp -d /tmp/fanstore-asan.XXXXXX)
trap 'rm -rf "$W"' EXIT
(cd "$top" && tar cf - --exclude=./build --exclude=./build-asan --exclude=./lib --exclude=./bin \
	--exclude=./.git .) | tar xf - -C "$W"
cd "$W"
make -j2 SAN="-fsanitize=address,undefined" B=build-asan all tests >"$W/build.log" 2>&1 ||
	{ tail -20 "$W/build.log"; echo "run_asan: build failed" >&2; exit 1; }
export FANSTORE_PRELOAD_FIRST
FANSTORE_PRELOAD_FIRST=$(gcc -print-file-name=libasan.so)
export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
B=build-asan test/run.sh "$pat"
