#!/usr/bin/env bash
# docs/man/fanstore-exec.1 and fanstore-prep.1 render without a warning and
# list every option the programs accept (getopt_long table and optstring,
# and --help), every FANSTORE_* variable and exit status --help names, and
# nothing the programs do not accept.  The checker is shown to fail on a
# page missing an option, a page with an extra one, and a page missing a
# variable.
. "$(dirname "$0")/../lib.sh"
command -v man >/dev/null || skip "man not installed (man-db)"
need_build
CHECK=$TOP/test/cluster/manopts.py
PENDING=()   # options documented ahead of the program (none now)

render() {
  MANWIDTH=200 LC_ALL=C man --warnings -l "$1" >"$2" 2>"$T/warn" || fail "man -l $1"
  [ ! -s "$T/warn" ] || { cat "$T/warn"; fail "$1: roff warnings"; }
}
for p in exec prep; do
  prog=$TOP/bin/fanstore-$p
  "$prog" --help >"$T/$p.help" || fail "fanstore-$p --help exited non-zero"
  render "$TOP/docs/man/fanstore-$p.1" "$T/$p.txt"
  src=$TOP/launcher/opts.c; [ $p = exec ] || src=$TOP/prep/opts.c
  "$PY" "$CHECK" "${PENDING[@]}" "$src" "$T/$p.help" "$T/$p.txt" || fail "fanstore-$p.1 and the program disagree"
  ok "fanstore-$p.1 lists what fanstore-$p accepts"
done

# The checker can fail.
must_fail() {
  if "$PY" "$CHECK" "${PENDING[@]}" "$TOP/launcher/opts.c" "$T/exec.help" "$T/bad.txt" >"$T/out"; then
    fail "checker passed a page $1"
  fi
  grep -qF -- "$2" "$T/out" || { cat "$T/out"; fail "checker did not name $2"; }
  ok "a page $1 fails"
}
grep -v -- '^       -c, --cache DIR$' "$T/exec.txt" >"$T/bad.txt"
must_fail "without --cache" "--cache: accepted by the program, not in the man page"
sed 's/^       -k, --keep$/&\n\n       --keep-all\n              Keep everything./' "$T/exec.txt" >"$T/bad.txt"
must_fail "with an option the program lacks" "--keep-all: in the man page's OPTIONS"
grep -v '^       FANSTORE_TIMEOUT$' "$T/exec.txt" >"$T/bad.txt"
must_fail "without FANSTORE_TIMEOUT" "FANSTORE_TIMEOUT: in --help"
