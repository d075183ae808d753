#!/usr/bin/env bash
# Every fuzz target (partition, manifest, image, request readers, channel
# header check) runs ~10 s from seeds made of real packed data without a
# crash; regressions replay.
. "$(dirname "$0")/../lib.sh"
for t in part manifest image req chan; do
  [ -x "$B/fuzz/fuzz_$t" ] || skip "fuzzers not built (needs clang with libFuzzer: make fuzzers)"
done
[ -x "$B/test/prep/mkimage" ] || fail "$B/test/prep/mkimage missing: make tests"
"$TOP/test/fuzz/run.sh" "${FUZZ_SHORT_SECONDS:-10}" || fail "a fuzz target crashed"
