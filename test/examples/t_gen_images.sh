#!/usr/bin/env bash
# examples/gen_images.py: deterministic per --seed (whatever -j), ImageFolder
# layout, JPEG sizes near ImageNet's ~110 KB, bad arguments refused.
. "$(dirname "$0")/../lib.sh"
G=$TOP/examples/gen_images.py
"$PY" -c 'import numpy, PIL' 2>/dev/null || skip "numpy or PIL missing under $PY"
"$PY" "$G" "$T/a" --classes 3 --images 4 --val 1 --seed 7 -j 2 >/dev/null
"$PY" "$G" "$T/b" --classes 3 --images 4 --val 1 --seed 7 -j 1 >/dev/null
"$PY" "$G" "$T/c" --classes 3 --images 4 --val 1 --seed 8 -j 2 >/dev/null
diff -r "$T/a" "$T/b" >/dev/null || fail "same seed, different bytes"
ok "same seed gives identical trees"
diff -r "$T/a" "$T/c" >/dev/null && fail "different seeds gave identical trees"
ok "different seeds differ"
[ "$(find "$T/a/train" -name '*.JPEG' | wc -l)" -eq 12 ] || fail "want 12 train images"
[ "$(find "$T/a/val" -name '*.JPEG' | wc -l)" -eq 3 ] || fail "want 3 val images"
[ "$(ls "$T/a/train")" = "$(printf 'n00000000\nn00000001\nn00000002')" ] || fail "class dirs: $(ls "$T/a/train")"
[ -z "$(find "$T/a" -name '*.tmp')" ] || fail "temporary files left"
ok "layout ROOT/{train,val}/CLASS/*.JPEG"
"$PY" - "$T/a" <<'PY' || fail "image sizes or format"
import os, sys
from PIL import Image
sizes = []
for d, _, fs in os.walk(sys.argv[1]):
    for f in fs:
        p = os.path.join(d, f)
        im = Image.open(p)
        assert im.format == "JPEG" and im.size in ((500, 375), (375, 500)), (p, im.format, im.size)
        sizes.append(os.path.getsize(p))
mean = sum(sizes) / len(sizes)
print("sizes %d..%d mean %.0f" % (min(sizes), max(sizes), mean))
assert 85e3 <= mean <= 135e3 and min(sizes) > 60e3 and max(sizes) < 180e3
PY
ok "JPEG sizes near 110 KB"
out=$("$PY" "$G" "$T/d" --classes 0 2>&1) && fail "--classes 0 accepted"
case "$out" in *"--classes"*) ok "--classes 0 refused: $out" ;; *) fail "unclear message: $out" ;; esac
