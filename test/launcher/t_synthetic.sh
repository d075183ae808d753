#!/usr/bin/env bash
# The synthetic dataset generator (mkmeta -b -c: ImageNet-21k-like paths,
# a few hundred bytes a file, written by the store's partition writer) is a
# valid dataset: fanstore-prep --verify accepts it, and every rank of a
# 2-rank job reads a sample of its files through the library byte for byte.
source "$(dirname "$0")/../lib.sh"
MKMETA=$B/test/launcher/mkmeta
[ -x "$MKMETA" ] || fail "$MKMETA is not built (make tests)"
need_build
N=30000
"$MKMETA" -b 300 -c 1000 "$T/ds" $N 4
"$PREP" --verify "$T/ds" | tee "$T/verify"
grep -q "OK: $N files" "$T/verify" || fail "--verify did not accept the generated dataset"
[ "$(awk 'length($0) >= 37 && length($0) <= 60' <(printf '%s\n' imagenet21k/train/n01000000/n01000000_{0,29999}.JPEG) | wc -l)" -eq 2 ] ||
  fail "names are not 37-60 bytes"
# a sample must fail when a byte is wrong: check the checker on the raw tree
"$MKMETA" -b 300 -c 1000 -r "$T/nothere" -s 10 $N >/dev/null 2>&1 && fail "the checker passed a missing tree"
timeout -k 5 120 $MPIRUN -np 2 "$EXEC" --data "$T/ds" -- \
  sh -c "\"$MKMETA\" -b 300 -c 1000 -r /fanstore -s 3000 $N >\"$T/out.\$RANK\"" ||
  fail "a rank's sample did not read right: $(cat "$T"/out.* 2>/dev/null)"
for r in 0 1; do
  grep -qx "3000 files checked, 0 wrong" "$T/out.$r" || fail "rank $r: $(cat "$T/out.$r")"
done
ok "generated dataset: verified, and 3000 files a rank read byte for byte"
