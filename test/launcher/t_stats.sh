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
#   - a damaged partition: every refused read is one crc failure;
#   - two ranks as two nodes (root): rank 0 reads everything (half of it
#     remote, again with a forked child), rank 1 the first 777 bytes of
#     every other file; and a damaged remote partition, whose holder
#     refuses each request.
. "$(dirname "$0")/../lib.sh"
need_build
unset FANSTORE_STATS FANSTORE_STATS_JSON   # each run below says what it wants
RD=$TOP/test/launcher/stats_reader.py
CK=$TOP/test/launcher/stats_check.py
FLIP=$TOP/test/launcher/flip.py

# mkset NAME PREP_ARGS...: pack T/tree into T/NAME and list its files in
# T/NAME.list ("PART SIZE STORED PATH", PATH under the mount).
mkset() {
  local name=$1; shift
  "$PREP" -q -n 2 "$@" -o "$T/$name" "$T/tree"
  "$PREP" --list "$T/$name" | awk '$1 ~ /^-/ { print $6, $2, $3, "/fanstore/" $7 }' >"$T/$name.list"
  [ "$(wc -l <"$T/$name.list")" -eq 24 ] || fail "$name: expected 24 files listed"
}
# partition bytes (what the load copies)
part_bytes() { cat "$T/$1"/fs_* | wc -c; }
# count PART LIST: files of partition PART
count() { grep -c "^$1 " "$2"; }
# tally_is TALLY FILES BYTES: the reader opened FILES files, read BYTES
tally_is() {
  local t
  t=$("$PY" -c 'import json, sys; t = json.load(open(sys.argv[1])); print(sum(t["files"].values()), sum(t["bytes"].values()))' "$1")
  [ "$t" = "$2 $3" ] || fail "$1: the reader opened and read \"$t\", expected \"$2 $3\""
}
# sum_sizes LIST [CAP]: the bytes of its files (each at most CAP)
sum_sizes() { awk -v cap="${2:-0}" '{ s += (cap && $2 > cap) ? cap : $2 } END { print s + 0 }' "$1"; }
gentree "$T/tree" --files 24 --dirs 3 --sizes 100000,5000,3000 >/dev/null
mkset ds

# ---- one rank: a parent and its forked child read every file
rm -f "$T/tally.0"
timeout -k 5 120 "$EXEC" --stats --stats-json "$T/r1.json" --data "$T/ds" -- \
  "$PY" "$RD" "$T/ds.list" all "$T/tally.0" >"$T/out1" 2>"$T/err1" || { cat "$T/err1"; fail "one rank: the job failed"; }
cat "$T/err1"
want=$(sum_sizes "$T/ds.list")
tally_is "$T/tally.0" 24 "$want"
got=$("$PY" "$CK" "$T/err1" "$T/r1.json" 1 "$T/tally" 0 "$(part_bytes ds)") || fail "one rank: $got"
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
got=$("$PY" "$CK" "$T/err3" "$T/r3.json" 1 "$T/tally" "$eio" "$(part_bytes raw)") || fail "damaged: $got"
ok "damaged partition, every file read twice: $eio reads refused, $got"

# more threads than slots: the last ones share slot 0
rm -f "$T/tally.0"
timeout -k 5 120 "$EXEC" --stats --stats-json "$T/r6.json" --data "$T/ds" -- \
  "$PY" "$RD" "$T/ds.list" threads "$T/tally.0" >/dev/null 2>"$T/err6" || { cat "$T/err6"; fail "threads: the job failed"; }
tally_is "$T/tally.0" $((180 * 24)) $((180 * want))
got=$("$PY" "$CK" "$T/err6" "$T/r6.json" 1 "$T/tally" 0) || fail "threads: $got"
ok "4,320 threads, one file each (more than the 4,096 slots): $got"

# ---- two ranks as two nodes: half of the files are remote to each
can_nodes || skip "two nodes need root and unshare -m (the one-rank checks passed)"
# nodes2 NAME MODE0 MODE1 ARGS...: 2 ranks, each a node of its own; rank R
# reads NAME's files in mode MODE<R>
nodes2() {
  local name=$1 m0=$2 m1=$3; shift 3
  rm -f "$T"/tally.[01]
  : >"$T/exits"
  timeout -k 5 120 $MPIRUN -np 2 unshare -m --propagation private sh -c \
    'mount -t tmpfs -o size=1g,mode=0755 fanstore-node "$FANSTORE_CACHE" && "$@"; echo $? >>"'"$T"'/exits"' \
    sh "$EXEC" "$@" --data "$T/$name" -- sh -c \
    'if [ "$RANK" = 0 ]; then m=$1; else m=$2; fi; exec "$3" "$4" "$5" "$m" "$6.$RANK"' \
    sh "$m0" "$m1" "$PY" "$RD" "$T/$name.list" "$T/tally" >/dev/null 2>"$T/err" || true
  [ "$(grep -cx 0 "$T/exits")" = 2 ] || { cat "$T/err"; fail "$name: the job failed: $(tr '\n' ' ' <"$T/exits")"; }
}
nodes2 ds all head --stats --stats-json "$T/r4.json"
cat "$T/err"
tally_is "$T/tally.0" 24 "$want"
awk 'NR % 2 == 1' "$T/ds.list" >"$T/head.list"
tally_is "$T/tally.1" 12 "$(sum_sizes "$T/head.list" 777)"
got=$("$PY" "$CK" "$T/err" "$T/r4.json" 2 "$T/tally" 0,0 "$(part_bytes ds)") || fail "two nodes: $got"
# rank 0 reads every file, rank 1 half of them: each node's remote ones
remote=$(($(count fs_0001 "$T/ds.list") + $(count fs_0000 "$T/head.list")))
case "$got" in "files $((36 - remote)) local $remote remote, "*) ;;
  *) fail "two nodes: the report says \"$got\", expected 36 files of which $remote remote" ;; esac
ok "two nodes: $got"

# the holder of a damaged partition refuses each request for it
mkset raw1 -l 0
"$PY" "$FLIP" "$T/raw1/fs_0001" 2048
nodes2 raw1 all none --stats-json "$T/r5.json"
n1=$(count fs_0001 "$T/raw1.list")
got=$("$PY" "$CK" - "$T/r5.json" 2 "$T/tally" "0,$n1") || fail "damaged remote: $got"
grep -q "job report" "$T/err" && fail "--stats-json alone printed the table"
grep -q "does not match its checksum in partition fs_0001; refusing to send it" "$T/err" ||
  fail "damaged remote: the holder named no file"
ok "damaged remote partition: $n1 requests refused by its holder, $got"
