#!/usr/bin/env bash
# --stats and --stats-json: the job report says exactly what the command
# did.  A reader of our own (stats_reader.py) tallies every open and every
# byte its reads returned, per partition, and stats_check.py compares the
# report's table and JSON with those tallies, node by node: files and
# bytes, the local/remote split, remote fetches, bytes sent to other
# nodes, crc failures, the bytes loaded.
#   - one rank: a parent and a forked child that ends with os._exit
#     (as a DataLoader worker does) read everything; then 4,320 threads
#     one after another, more than the stats file has slots;
#   - stats off: no stats file, no report, the same output otherwise;
#   - a damaged partition: every refused read is one crc failure.
# t_stats_nodes does the same on two nodes, where half the reads are remote.
. "$(dirname "$0")/../lib.sh"
need_build
. "$(dirname "$0")/stats_common.sh"

# ---- one rank: a parent and its forked child read every file
rm -f "$T/tally.0"
timeout -k 5 120 "$EXEC" --stats --stats-json "$T/r1.json" --data "$T/ds" -- \
  "$PY" "$RD" "$T/ds.list" all "$T/tally.0" >"$T/out1" 2>"$T/err1" || { cat "$T/err1"; fail "one rank: the job failed"; }
cat "$T/err1"
tally_is "$T/tally.0" 24 "$want"
got=$("$PY" "$CK" "$T/err1" "$T/r1.json" 1 "$T/tally" 0 "$(load_bytes ds 1)") || fail "one rank: $got"
case "$got" in "files 24 local 0 remote, bytes $want local 0 remote, 0 fetches, 0 bytes sent, 0 crc failures") ;;
  *) fail "one rank: the report says \"$got\"; 24 files of $want bytes were read" ;; esac
ok "one rank, forked reader ending with os._exit: $got"

# the same through the environment
rm -f "$T/tally.0" "$T/r2.json"
FANSTORE_STATS=1 FANSTORE_STATS_JSON=$T/r2.json timeout -k 5 120 "$EXEC" --data "$T/ds" -- \
  "$PY" "$RD" "$T/ds.list" all "$T/tally.0" >/dev/null 2>"$T/err2" || { cat "$T/err2"; fail "FANSTORE_STATS=1: the job failed"; }
got2=$("$PY" "$CK" "$T/err2" "$T/r2.json" 1 "$T/tally" 0) || fail "FANSTORE_STATS=1: $got2"
[ "$got2" = "$got" ] || fail "FANSTORE_STATS=1 reports \"$got2\", --stats \"$got\""
ok "FANSTORE_STATS=1 and FANSTORE_STATS_JSON say the same"

# ---- stats off: nothing made, nothing printed, the command sees no FANSTORE_STATS
cp "$T/tally.0" "$T/tally.on"
rm -f "$T/tally.0"
timeout -k 5 120 "$EXEC" --keep --data "$T/ds" -- sh -c \
  '"$0" "$1" "$2" all "$3" && ls "$FANSTORE_JOBDIR" && env | grep -c "^FANSTORE_STATS" || true' \
  "$PY" "$RD" "$T/ds.list" "$T/tally.0" >"$T/out0" 2>"$T/err0" || { cat "$T/err0"; fail "stats off: the job failed"; }
cmp -s "$T/tally.0" "$T/tally.on" || fail "stats off: the reader did something else"
grep -qx stats "$T/out0" && fail "stats off: the job directory has a stats file: $(cat "$T/out0")"
grep -qx meta.img "$T/out0" || fail "stats off: the job directory was not listed: $(cat "$T/out0")"
[ "$(tail -n 1 "$T/out0")" = 0 ] || fail "stats off: the command sees FANSTORE_STATS"
norm() { sed -E 's/loaded in [^;]*;/loaded in T;/; /^fanstore-exec: job report/,$d' "$1"; }
[ "$(norm "$T/err0")" = "$(norm "$T/err1")" ] ||
  fail "stats off: stderr differs from a --stats run's beyond the report: $(cat "$T/err0")"
[ "$(wc -l <"$T/err0")" -eq 1 ] || fail "stats off: stderr has more than the load line: $(cat "$T/err0")"
rm -rf "$FANSTORE_CACHE"/fanstore.*
ok "stats off: no stats file, no report, the same output"

# ---- bad --stats-json: refused before the load, every rank, with a reason
rc=0
"$EXEC" --stats-json "$T/nodir/r.json" --data "$T/ds" -- true 2>"$T/errj" || rc=$?
[ "$rc" -eq 2 ] || fail "--stats-json in a missing directory: exit $rc, expected 2"
grep -q "stats-json $T/nodir/r.json is in a directory that does not exist" "$T/errj" ||
  fail "--stats-json in a missing directory: $(cat "$T/errj")"
ok "--stats-json in a missing directory: exit 2, $(head -1 "$T/errj")"

# ---- a damaged partition: each refused read is one crc failure
mkset raw -l 0
"$PY" "$FLIP" "$T/raw/fs_0000" 2048   # hits every blob: the smallest is 3000 bytes
rm -f "$T/tally.0"
timeout -k 5 120 "$EXEC" --stats --stats-json "$T/r3.json" --data "$T/raw" -- \
  "$PY" "$RD" "$T/raw.list" twice "$T/tally.0" >/dev/null 2>"$T/err3" || { cat "$T/err3"; fail "damaged: the job failed"; }
eio=$("$PY" -c 'import json, sys; print(sum(json.load(open(sys.argv[1]))["eio"].values()))' "$T/tally.0")
[ "$eio" -eq $((2 * $(count fs_0000 "$T/raw.list"))) ] ||
  fail "damaged: $eio reads refused, expected two of each file of fs_0000"
got=$("$PY" "$CK" "$T/err3" "$T/r3.json" 1 "$T/tally" "$eio" "$(load_bytes raw 1)") || fail "damaged: $got"
ok "damaged partition, every file read twice: $eio reads refused, $got"

# more threads than slots: the last ones share slot 0
rm -f "$T/tally.0"
timeout -k 5 120 "$EXEC" --stats --stats-json "$T/r6.json" --data "$T/ds" -- \
  "$PY" "$RD" "$T/ds.list" threads "$T/tally.0" >/dev/null 2>"$T/err6" || { cat "$T/err6"; fail "threads: the job failed"; }
tally_is "$T/tally.0" $((180 * 24)) $((180 * want))
got=$("$PY" "$CK" "$T/err6" "$T/r6.json" 1 "$T/tally" 0) || fail "threads: $got"
ok "4,320 threads, one file each (more than the 4,096 slots): $got"

