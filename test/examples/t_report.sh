#!/usr/bin/env bash
# test/bench/report.py: BENCH lines -> table, JSON (ratio and gain in the
# right direction per unit), PNG; malformed lines skipped; no lines fails.
. "$(dirname "$0")/../lib.sh"
R=$TOP/test/bench/report.py
line() { "$PY" "$R" line "$@"; }
[ "$(line g n u 3 1 2)" = "$(printf 'BENCH\tg\tn\tu\t2\t1\t3\t3')" ] || fail "line: median/min/max/reps: $(line g n u 3 1 2)"
ok "line summarises repetitions"
expect_fail "line without values" "$PY" "$R" line g n u
{
  line read100k fanstore files/s 40000 41000 39000
  line read100k tmpfs files/s 50000
  line read100k squashfuse files/s 5000
  line wait fanstore s 0.5
  line wait squashfuse s 2
  line startup fanstore s 1.5
  printf 'BENCH\tbroken\tx\n'
  echo "ordinary output"
} >"$T/in.tsv"
"$PY" "$R" report --json "$T/r.json" --png "$T/r.png" "$T/in.tsv" >"$T/out.txt" 2>"$T/err.txt" \
  || fail "report failed: $(cat "$T/err.txt")"
cat "$T/out.txt"
grep -q 'malformed' "$T/err.txt" || fail "malformed line not reported"
grep -Eq '^read100k +squashfuse +files/s +5000\.0 +5000\.0 +5000\.0 +1 +0\.10 +8\.00x$' "$T/out.txt" \
  || fail "table row for read100k/squashfuse"
grep -Eq '^read100k +fanstore +files/s +40000\.0 +39000\.0 +41000\.0 +3 +0\.80 +-$' "$T/out.txt" \
  || fail "table row for read100k/fanstore"
grep -Eq '^startup +fanstore +s +1\.500' "$T/out.txt" || fail "single-row group missing"
ok "table"
"$PY" - "$T/r.json" <<'PY' || fail "JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
rows = {(r["group"], r["name"]): r for r in d["results"]}
assert len(rows) == 6, rows.keys()
assert rows[("read100k", "tmpfs")]["ratio"] == 1.0
assert abs(rows[("read100k", "tmpfs")]["gain"] - 0.8) < 1e-9      # rate: fanstore / base
assert abs(rows[("wait", "squashfuse")]["gain"] - 4.0) < 1e-9      # time: base / fanstore
assert rows[("startup", "fanstore")]["gain"] is None
c = {(x["group"], x["baseline"]): x["gain"] for x in d["comparisons"]}
assert set(c) == {("read100k", "tmpfs"), ("read100k", "squashfuse"), ("wait", "squashfuse")}, c
assert d["machine"]["cpus"] >= 1 and d["chart"]
PY
ok "JSON with ratios and gains"
[ "$(head -c 8 "$T/r.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "no PNG"
ok "PNG drawn"
echo "nothing here" >"$T/empty.txt"
expect_fail "report without BENCH lines" "$PY" "$R" report "$T/empty.txt"
expect_fail "report of a missing file" "$PY" "$R" report "$T/missing.txt"
