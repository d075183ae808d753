#!/usr/bin/env bash
# examples/train.py without PyTorch: says what to install, exit 3, no stack trace.
. "$(dirname "$0")/../lib.sh"
mkdir -p "$T/fake/torch"
echo 'raise ImportError("No module named torch (hidden for this test)")' >"$T/fake/torch/__init__.py"
set +e
out=$(PYTHONPATH=$T/fake "$PY" "$TOP/examples/train.py" "$T" 2>&1); rc=$?
set -e
[ $rc -eq 3 ] || fail "exit $rc, want 3: $out"
case "$out" in *Traceback*) fail "stack trace: $out" ;; esac
case "$out" in *"python3-torch"*) ok "message: $out" ;; *) fail "does not say what to install: $out" ;; esac
