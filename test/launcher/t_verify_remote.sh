#!/usr/bin/env bash
# The holder's check follows --verify: two ranks on separate nodes; rank 0
# reads every file once (half of them from rank 1's node), then rank 1
# flips bytes in its partition and rank 0 reads everything again.
#   always: the holder checks every request: rank 0 gets EIO for the
#           damaged remote files, never their bytes, and the holder's
#           launcher names file and partition;
#   once:   the holder checked them at the first read and trusts them:
#           the damaged bytes reach rank 0 (as documented).
. "$(dirname "$0")/../lib.sh"
need_build
can_nodes || skip "needs root and unshare -m to run ranks as separate nodes"
gentree "$T/orig" --files 16 --dirs 2 --sizes 100000,5000 >/dev/null
"$PREP" -q -n 2 -l 0 -o "$T/data" "$T/orig"
(cd "$T/orig" && find . -type f | sed 's|^\./||' | sort) >"$T/list"

cat >"$T/rank0.sh" <<'SH'
pass() {
  good=0 eio=0 bad=0
  while read -r rel; do
    if cat "/fanstore/$rel" >"$T/got" 2>>"$T/rank0.err.$POLICY"; then
      cmp -s "$T/got" "$T/orig/$rel" && good=$((good + 1)) || bad=$((bad + 1))
    else
      eio=$((eio + 1))
    fi
  done <"$T/list"
}
pass
[ "$bad" -eq 0 ] && [ "$eio" -eq 0 ] || { echo "first pass: $good good $eio eio $bad wrong"; exit 3; }
touch "$T/read.$POLICY"
for _ in $(seq 600); do [ -e "$T/damaged.$POLICY" ] && break; sleep 0.1; done
[ -e "$T/damaged.$POLICY" ] || { echo "rank 1 did not damage its partition"; exit 3; }
pass
echo "$good $eio $bad" >"$T/second.$POLICY"
SH
export T
for POLICY in always once; do
  export POLICY
  : >"$T/exits"
  timeout -k 5 120 $MPIRUN -np 2 unshare -m --propagation private sh -c \
    'mount -t tmpfs -o size=1g,mode=0755 fanstore-node "$FANSTORE_CACHE" && "$@"; echo $? >>"'"$T"'/exits"' \
    sh "$EXEC" --verify "$POLICY" --data "$T/data" -- sh -c \
    'if [ "$RANK" = 1 ]; then exec '"$PY"' "$0" "$FANSTORE_JOBDIR/fs_0001" 2048 "$T/read.$POLICY" "$T/damaged.$POLICY"; else exec sh "$1"; fi' \
    "$(cd "$(dirname "$0")" && pwd)/flip.py" "$T/rank0.sh" >"$T/out.$POLICY" 2>&1 || true
  [ "$(grep -cx 0 "$T/exits")" = 2 ] || { cat "$T/out.$POLICY"; fail "$POLICY: the job failed: $(tr '\n' ' ' <"$T/exits")"; }
done

read -r good eio bad <"$T/second.always"
[ "$bad" -eq 0 ] || fail "always: $bad files read with wrong bytes"
[ "$eio" -gt 0 ] || fail "always: no damaged remote file was refused"
[ "$good" -gt 0 ] || fail "always: no file read (the local ones are intact)"
grep -q "does not match its checksum in partition fs_0001; refusing to send it" "$T/out.always" ||
  { cat "$T/out.always"; fail "always: the holder's launcher named no file and partition"; }
grep -q "/fanstore/.*: the launcher answered: Input/output error" "$T/rank0.err.always" ||
  { cat "$T/rank0.err.always"; fail "always: the reader's library named no file"; }
ok "--verify always: $eio damaged remote files refused by the holder, $good intact, none wrong"

read -r good eio bad <"$T/second.once"
[ "$eio" -eq 0 ] && [ "$bad" -gt 0 ] || fail "once: expected the damaged bytes to reach the reader: $good good, $eio eio, $bad wrong"
ok "--verify once: the holder trusts what it checked: $bad damaged remote files returned, as documented"
