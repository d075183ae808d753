#!/usr/bin/env bash
# --stats and --stats-json on two ranks as two nodes (each a private mount
# namespace and tmpfs), where half of each rank's files are remote; every
# figure must be what the readers did (stats_check.py, as in t_stats):
#   - rank 0 reads everything, half of it in a forked child that ends with
#     os._exit; rank 1 the first 777 bytes of every other file;
#   - a damaged remote partition, whose holder refuses each request: each
#     refusal is one crc failure, on the holder's node.
. "$(dirname "$0")/../lib.sh"
need_build
can_nodes || skip "needs root and unshare -m to run ranks as separate nodes"
. "$(dirname "$0")/stats_common.sh"

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
got=$("$PY" "$CK" "$T/err" "$T/r4.json" 2 "$T/tally" 0,0 "$(load_bytes ds 2)") || fail "two nodes: $got"
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
