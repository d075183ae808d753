# test/bench/lib.sh - sourced first by the bench scripts (ME set to the
# script's name): strict mode, the checkout as working directory, its
# paths, report lines and failing with the script's name.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
B=${B:-build}
PY=/usr/bin/python3
LIB=$TOP/lib/libfanstore.so
MNT=/fanstore
line() { "$PY" test/bench/report.py line "$@"; }
die() { echo "$ME: $*" >&2; exit 1; }
# need FILE...: each was built, or say what to run
need() { local f; for f; do [ -e "$f" ] || die "$f is missing: run make tests"; done; }
