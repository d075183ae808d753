#!/usr/bin/env bash
# examples/demo.sh without PyTorch: generates, packs, says PyTorch is
# missing and runs the C reader through FanStore instead; exit 0.
. "$(dirname "$0")/../lib.sh"
[ -x "$EXEC" ] && [ -x "$PREP" ] && [ -f "$LIB" ] && [ -x "$TOP/bin/reader" ] || skip "not built (make)"
"$TOP/test/deps.sh" demo >/dev/null 2>&1 || skip "demo packages missing (test/deps.sh demo)"
mkdir -p "$T/fake/torch"
echo 'raise ImportError("No module named torch (hidden for this test)")' >"$T/fake/torch/__init__.py"
PYTHONPATH=$T/fake DEMO_DIR=$T/demo DEMO_CLASSES=2 DEMO_IMAGES=6 \
  "$TOP/examples/demo.sh" >"$T/out.txt" 2>&1 || { cat "$T/out.txt"; fail "demo failed"; }
cat "$T/out.txt"
grep -q 'PyTorch is not available' "$T/out.txt" || fail "does not say PyTorch is missing"
grep -q 'Traceback' "$T/out.txt" && fail "stack trace in the output"
# 12 train + 2 val images, read on each of the 2 ranks and once directly
[ "$(count_of 'reader: 14 files, ' "$T/out.txt")" -ge 3 ] || fail "reader did not read 14 files 3 times"
grep -q '^via FanStore: *reader: 14 files' "$T/out.txt" || fail "no summary line"
ok "fell back to the C reader"
