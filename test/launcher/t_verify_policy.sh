#!/usr/bin/env bash
# --verify once|always (FANSTORE_VERIFY): a byte flipped in the cached
# partition of a running job after a first successful read.
#   always: the next read, in a new process, is EIO with a line naming the
#           file, whole (cat) or in pieces (Python read(4096)), also in a
#           program started with an empty environment (the policy survives
#           exec);
#   once:   the node checked the stored file at its first read and trusts
#           it from then on: the next read returns the damaged bytes
#           (docs/performance.md, "Verification").
# A compressed file is checked on every decode under either policy.
. "$(dirname "$0")/../lib.sh"
need_build
mkdir -p "$T/src"
head -c 100000 /dev/urandom >"$T/src/bin.dat"   # incompressible: stored raw
"$PY" -c 'import sys; sys.stdout.write("compressible text line\n" * 5000)' >"$T/src/text.txt"
"$PREP" -q -n 1 -l 6 -o "$T/ds" "$T/src"

# Run inside the job: read both files, damage every blob in the job
# directory's partition, read again in new processes.
cat >"$T/job.sh" <<'SH'
set -u
M=/fanstore
cmp "$M/bin.dat" "$T/src/bin.dat" || { echo "first read of bin.dat wrong"; exit 3; }
cmp "$M/text.txt" "$T/src/text.txt" || { echo "first read of text.txt wrong"; exit 3; }
"$PY" "$FLIP" "$FANSTORE_JOBDIR/fs_0000" 61 || exit 3
rc=0; cat "$M/bin.dat" >"$T/whole.$POLICY" 2>"$T/err.$POLICY" || rc=$?
echo "$rc" >"$T/rc.$POLICY"
rc=0; "$PY" -c '
import sys
with open(sys.argv[1], "rb") as f:
    sys.stdout.buffer.write(f.read(4096))' "$M/bin.dat" >"$T/piece.$POLICY" 2>>"$T/err.$POLICY" || rc=$?
echo "$rc" >"$T/rcpiece.$POLICY"
rc=0; env -i /bin/cat "$M/bin.dat" >/dev/null 2>>"$T/err.$POLICY" || rc=$?
echo "$rc" >"$T/rcenv.$POLICY"
rc=0; cat "$M/text.txt" >/dev/null 2>"$T/errtext.$POLICY" || rc=$?
echo "$rc" >"$T/rctext.$POLICY"
exit 0
SH
export T PY FLIP=$(cd "$(dirname "$0")" && pwd)/flip.py
for POLICY in always once; do
  export POLICY
  if [ "$POLICY" = always ]; then
    FANSTORE_VERIFY=once timeout -k 5 120 "$EXEC" --verify always --data "$T/ds" -- bash "$T/job.sh" ||
      fail "job with --verify always failed"
  else
    FANSTORE_VERIFY=once timeout -k 5 120 "$EXEC" --data "$T/ds" -- bash "$T/job.sh" ||
      fail "job with FANSTORE_VERIFY=once failed"
  fi
done

[ "$(cat "$T/rc.always")" != 0 ] || fail "always: the damaged file was read without error"
cmp -s "$T/whole.always" "$T/src/bin.dat" && fail "always: wrong bytes returned"
grep -q "/fanstore/bin.dat: data does not match its checksum" "$T/err.always" ||
  { cat "$T/err.always"; fail "always: no line naming the file"; }
grep -q "Input/output error" "$T/err.always" || { cat "$T/err.always"; fail "always: cat saw no EIO"; }
[ "$(cat "$T/rcpiece.always")" != 0 ] || fail "always: a piece of the damaged file was read without error"
[ ! -s "$T/piece.always" ] || fail "always: a piece of the damaged file was returned"
[ "$(cat "$T/rcenv.always")" != 0 ] || fail "always: lost by a program started with an empty environment"
ok "--verify always: damage after the first read is EIO on the next read: $(head -1 "$T/err.always")"

[ "$(cat "$T/rc.once")" = 0 ] && [ "$(cat "$T/rcenv.once")" = 0 ] || { cat "$T/err.once"; fail "once: the second read failed"; }
cmp -s "$T/whole.once" "$T/src/bin.dat" && fail "once: the damage did not reach the reader (test broken?)"
[ "$(stat -c %s "$T/whole.once")" = 100000 ] || fail "once: the second read returned a different length"
ok "--verify once: the node trusts a file it checked: the damaged byte is returned, as documented"

for POLICY in always once; do
  [ "$(cat "$T/rctext.$POLICY")" != 0 ] || fail "$POLICY: a damaged compressed file was read without error"
  grep -q "/fanstore/text.txt" "$T/errtext.$POLICY" || { cat "$T/errtext.$POLICY"; fail "$POLICY: no line naming text.txt"; }
done
ok "a compressed file damaged after its first read is EIO under either policy"

# the flag and the variable are checked
rc=0; "$EXEC" --verify sometimes --data "$T/ds" -- true 2>"$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q -- "--verify sometimes: expected once or always" "$T/err" || fail "bad --verify accepted"
rc=0; FANSTORE_VERIFY=never "$EXEC" --data "$T/ds" -- true 2>"$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q "FANSTORE_VERIFY=never: expected once or always" "$T/err" || fail "bad FANSTORE_VERIFY accepted"
FANSTORE_VERIFY=always "$EXEC" --data "$T/ds" -- sh -c 'test "$FANSTORE_VERIFY" = always' ||
  fail "FANSTORE_VERIFY=always not passed to the command"
"$EXEC" --data "$T/ds" -- sh -c 'test "$FANSTORE_VERIFY" = once' || fail "default is not once"
ok "--verify and FANSTORE_VERIFY: values checked, passed to the command, default once"
"$EXEC" --help >"$T/help"
grep -q -- "--verify WHEN" "$T/help" && grep -q "FANSTORE_VERIFY=once|always" "$T/help" ||
  fail "--help does not document --verify"
ok "--help documents --verify and FANSTORE_VERIFY"
