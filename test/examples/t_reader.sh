#!/usr/bin/env bash
# bin/reader: counts every file and byte of a tree, the same directly and
# under fanstore-exec; a bad argument gets a message and exit 2.
. "$(dirname "$0")/../lib.sh"
R=$TOP/bin/reader
[ -x "$R" ] || skip "bin/reader not built (make)"
gentree "$T/tree" --files 40 --dirs 4 --seed 2
files=$(find "$T/tree" -type f | wc -l)
bytes=$(find "$T/tree" -type f -printf '%s\n' | awk '{s+=$1} END{print s}')
want="reader: $files files, $bytes bytes in"
out=$("$R" -q "$T/tree") || fail "reader failed"
case "$out" in "$want"*) ok "direct: $out" ;; *) fail "direct: got '$out', want '$want...'" ;; esac
out=$("$R" -q -r 2 "$T/tree")
case "$out" in "reader: $((files * 2)) files, $((bytes * 2)) bytes in"*) ok "-r 2" ;; *) fail "-r 2: $out" ;; esac
set +e; out=$("$R" "$T/none" 2>&1); rc=$?; set -e
[ $rc -eq 2 ] && [ -n "$out" ] || fail "missing dir: rc $rc, '$out'"
ok "missing dir: $out"
if [ -x "$EXEC" ] && [ -x "$PREP" ] && [ -f "$LIB" ]; then
  "$PREP" -n 2 -o "$T/packed" "$T/tree" >/dev/null 2>&1 || fail "fanstore-prep failed"
  run 2 --data "$T/packed" --mount /fanstore -- "$R" -q /fanstore >"$T/out" 2>/dev/null || fail "under fanstore-exec"
  [ "$(count_of "$want" "$T/out")" -eq 2 ] || fail "under fanstore-exec: $(cat "$T/out")"
  ok "same counts on 2 ranks under fanstore-exec"
fi
