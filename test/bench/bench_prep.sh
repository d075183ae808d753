#!/usr/bin/env bash
# bench_prep.sh [--quick]: fanstore-prep's packing throughput on a generated
# tree of ~100 KB text-like files (200 MB; quick: 40 MB) in /dev/shm, each
# figure next to its baseline measured in the same run:
#   pack_l0   MB/s of `fanstore-prep -l 0 -j CORES` vs `tar cf` of the same tree
#             (floor: FanStore within 2x of tar)
#   pack_l6   MB/s of `fanstore-prep -l 6 -j CORES` vs a plain libdeflate
#             level-6 loop over the same bytes (test/prep/deflate_loop, one
#             thread): CORES copies run at once, their rates summed
#             ("deflate_loop_xCORES", the floor: FanStore >= 70% of it), and
#             one copy alone ("deflate_loop_1thread")
# Every repetition measures all of them back to back, so a busy machine
# weighs on FanStore and its baselines alike.
# MB are input bytes (10^6).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${B:-build}
PREP=$PWD/bin/fanstore-prep
LOOP=$PWD/$B/test/prep/deflate_loop
PY=/usr/bin/python3
line() { "$PY" test/bench/report.py line "$@"; }
if [ "${1:-}" = --quick ]; then mb=40 reps=1; else mb=200 reps=3; fi
for f in "$PREP" "$LOOP"; do
  [ -x "$f" ] || { echo "bench_prep: $f is missing: run make tests" >&2; exit 1; }
done
cores=$(nproc)
W=$(mktemp -d /dev/shm/fanstore-bench-prep.XXXXXX)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
rate() { awk -v b="$1" -v s="$2" -v e="$(now)" 'BEGIN { printf "%.2f", b / 1e6 / (e - s) }'; }

# ~100 KB files (80-120 KB) of text-like bytes: slices of a word soup
"$PY" - "$W/tree" "$mb" <<'PYEOF'
import os, random, sys
root, mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
         for _ in range(5000)]
soup = b" ".join(rng.choice(words) for _ in range(400000))
total, i = 0, 0
while total < mb * 10**6:
    d = os.path.join(root, "c%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    n = rng.randint(80_000, 120_000)
    o = rng.randrange(len(soup) - n)
    with open(os.path.join(d, "f%05d.txt" % i), "wb") as f:
        f.write(soup[o:o + n])
    total += n; i += 1
print("bench_prep: %d files, %.1f MB" % (i, total / 1e6))
PYEOF
bytes=$(find "$W/tree" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')

tar_r=() l0=() l6=() loop=() scaled=()
for _ in $(seq "$reps"); do
  rm -f "$W/t.tar"; t=$(now); tar cf "$W/t.tar" -C "$W" tree; tar_r+=("$(rate "$bytes" "$t")")
  rm -rf "$W/o0"; t=$(now); "$PREP" -q -n 4 -l 0 -j "$cores" -o "$W/o0" "$W/tree"; l0+=("$(rate "$bytes" "$t")")
  rm -rf "$W/o6"; t=$(now); "$PREP" -q -n 4 -l 6 -j "$cores" -o "$W/o6" "$W/tree"; l6+=("$(rate "$bytes" "$t")")
  for c in $(seq "$cores"); do "$LOOP" 6 1 "$W/tree" >"$W/loop.$c" 2>/dev/null & done
  wait
  scaled+=("$(cat "$W"/loop.* | awk '{ s += $2 } END { printf "%.2f", s }')")
  loop+=("$("$LOOP" 6 1 "$W/tree" 2>/dev/null | cut -d' ' -f2)")
done
ratio=$(awk -v s="$(du -sb "$W/o6" | cut -f1)" -v b="$bytes" 'BEGIN { printf "%.2f", b / s }')

echo "packing $((bytes / 1000000)) MB of ~100 KB text-like files, $cores cores, $reps repetition(s); level 6 ratio ${ratio}x"
line pack_l0 fanstore MB/s "${l0[@]}"
line pack_l0 tar MB/s "${tar_r[@]}"
line pack_l6 fanstore MB/s "${l6[@]}"
line pack_l6 "deflate_loop_x$cores" MB/s "${scaled[@]}"
line pack_l6 deflate_loop_1thread MB/s "${loop[@]}"
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
awk -v f="$(med "${l0[@]}")" -v t="$(med "${tar_r[@]}")" \
  'BEGIN { printf "floor level 0: fanstore %.1f MB/s vs tar %.1f MB/s: %s (needs >= 50%% of tar)\n", f, t, (f >= t / 2) ? "met" : "NOT MET" }'
awk -v f="$(med "${l6[@]}")" -v l="$(med "${scaled[@]}")" \
  'BEGIN { printf "floor level 6: fanstore %.1f MB/s vs libdeflate loop on all cores %.1f MB/s: %.0f%% %s (needs >= 70%%)\n", f, l, 100 * f / l, (f >= 0.7 * l) ? "met" : "NOT MET" }'
