#!/usr/bin/env bash
# Malformed requests on the launcher's socket (bad magic, version, type,
# entries out of range or not files, offsets past the end, lengths 0, over
# FS_CHUNK_MAX or overflowing, garbage, bursts, half messages, abrupt
# closes; channels that are not sealed memfds or do not fit, bad requests
# posted in a slot, a connection dropped with replies owed) each get an
# error reply or a closed connection, and the launcher
# goes on serving every file right, locally and across nodes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdata --files 12 --dirs 2 --sizes 1,4096,100000,9000000
job_exits 2 --data "$T/data" -- "$HB/badclient"
all_exits 0
[ "$(count_of 'ok: the launcher still serves' "$T/out")" -eq 2 ] || fail "not every rank's client reported"
[ "$(count_of "ok: channel" "$T/out")" -ge 30 ] || fail "channel cases missing: $(count_of "ok: channel" "$T/out")"
ok "hostile requests answered with errors; the launcher serves on"
cache_empty
