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

# Access patterns: the training patterns (_first, _later, torch_*) form the
# headline printed first; long-lived loops (_loop) come after them, labelled
# secondary; other FanStore rows (fanstore-remote) are compared too.
{
  line stat_loop fanstore calls/s 900
  line stat_loop tmpfs calls/s 100
  line read4k_first fanstore files/s 300 200 400
  line read4k_first tmpfs files/s 100
  line read4k_later fanstore files/s 500
  line read4k_later tmpfs files/s 100
  line torch_bytes fanstore images/s 90
  line torch_bytes fanstore-remote images/s 45
  line torch_bytes tmpfs images/s 100
  line torch_bytes_persist fanstore images/s 150
  line torch_bytes_persist tmpfs images/s 100
} >"$T/pat.tsv"
"$PY" "$R" report --json "$T/p.json" "$T/pat.tsv" >"$T/pat.txt" 2>"$T/err.txt" \
  || fail "report failed: $(cat "$T/err.txt")"
cat "$T/pat.txt"
first=$(grep -nE '^read4k_first +first epoch +files/s +fanstore +300\.0 +200\.0 +400\.0 +tmpfs +100\.0 +100\.0 +100\.0 +3\.00x$' "$T/pat.txt" | head -n1 | cut -d: -f1)
[ -n "$first" ] || fail "headline row for read4k_first"
grep -Eq '^torch_bytes +new workers each epoch +images/s +fanstore-remote +45\.000 .* tmpfs .* 0\.45x$' "$T/pat.txt" \
  || fail "headline row for torch_bytes/fanstore-remote"
grep -Eq '^torch_bytes_persist +persistent workers +images/s +fanstore +150\.0' "$T/pat.txt" \
  || fail "headline row for torch_bytes_persist"
grep -Eq '^stat_loop +[a-z ]+ +calls/s +fanstore ' "$T/pat.txt" && fail "a long-lived loop in the headline"
sec=$(grep -n '^## Secondary' "$T/pat.txt" | cut -d: -f1)
loop=$(grep -nE '^stat_loop +fanstore +calls/s' "$T/pat.txt" | cut -d: -f1)
train=$(grep -nE '^read4k_first +fanstore +files/s' "$T/pat.txt" | cut -d: -f1)
[ -n "$sec" ] && [ -n "$loop" ] && [ -n "$train" ] || fail "sections or rows missing"
[ "$first" -lt "$train" ] && [ "$train" -lt "$sec" ] && [ "$sec" -lt "$loop" ] \
  || fail "order: headline $first, training rows $train, secondary title $sec, loop rows $loop"
ok "training patterns first, long-lived loops after them as secondary"
"$PY" - "$T/p.json" <<'PY' || fail "JSON patterns"
import json, sys
d = json.load(open(sys.argv[1]))
pat = {(r["group"], r["name"]): (r["section"], r["pattern"]) for r in d["results"]}
assert pat[("read4k_first", "fanstore")] == ("training", "first epoch"), pat
assert pat[("read4k_later", "tmpfs")] == ("training", "later epoch"), pat
assert pat[("torch_bytes_persist", "fanstore")] == ("dataloader", "persistent workers"), pat
assert pat[("stat_loop", "fanstore")] == ("secondary", "long-lived"), pat
assert d["results"][-1]["group"] == "stat_loop", "rows not in section order"
h = {(c["group"], c["fanstore"], c["baseline"]): c for c in d["headline"]}
assert set(h) == {("read4k_first", "fanstore", "tmpfs"), ("read4k_later", "fanstore", "tmpfs"),
                  ("torch_bytes", "fanstore", "tmpfs"), ("torch_bytes", "fanstore-remote", "tmpfs"),
                  ("torch_bytes_persist", "fanstore", "tmpfs")}, h.keys()
c = h[("read4k_first", "fanstore", "tmpfs")]
assert (c["fanstore_min"], c["fanstore_median"], c["fanstore_max"], c["gain"]) == (200, 300, 400, 3), c
assert abs(h[("torch_bytes", "fanstore-remote", "tmpfs")]["gain"] - 0.45) < 1e-9
assert "secondary" in d["sections"]
PY
ok "JSON: each row's pattern and section, the headline with min and max"
