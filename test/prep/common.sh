# test/prep/common.sh - helpers for the prep tests (sourced after test/lib.sh).
CMPTREE="$PY $TOP/test/prep/cmptree.py"
[ -x "$PREP" ] || fail "$PREP is missing: run make"

# check_roundtrip SRC OUT: OUT verifies, extracts, and equals SRC
# (contents, types, modes, sizes, mtimes with ns, symlink targets).
n_rt=0
check_roundtrip() {
  local src=$1 out=$2 x
  n_rt=$((n_rt + 1)); x=$T/extract.$n_rt
  "$PREP" --verify "$out" >/dev/null || fail "$out: --verify failed"
  "$PREP" --extract "$out" "$x" || fail "$out: --extract failed"
  diff -r --no-dereference "$src" "$x" || fail "$out: extracted tree differs from $src"
  $CMPTREE "$src" "$x" >/dev/null || { $CMPTREE "$src" "$x" | tail -20; fail "$out: stat comparison"; }
  ok "round trip of $out"
}

# expect_msg "what" PATTERN CMD...: CMD fails and its stderr matches PATTERN
expect_msg() {
  local what=$1 pat=$2; shift 2
  if "$@" 2>"$T/err"; then fail "$what: succeeded, expected failure"; fi
  grep -q -- "$pat" "$T/err" || { cat "$T/err"; fail "$what: message does not mention '$pat'"; }
  ok "$what fails naming '$pat'"
}

# no_partial DIR: DIR holds no dataset and no temporary output
no_partial() {
  local left
  left=$(find "$1" -maxdepth 1 \( -name '*.fanstore*' -o -name 'fs_*' -o -name '.fs_*' -o -name "$(basename "${2:-x}")*" -o -name 'fanstore.manifest*' -o -name '*fanstore.image*' \) | head -5)
  [ -z "$left" ] || fail "left behind: $left"
}
