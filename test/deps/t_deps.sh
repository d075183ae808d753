#!/usr/bin/env bash
# Every program and Python module the suite (test), the benchmarks (bench)
# and the demo (demo) use comes from a Debian package that test/deps.sh
# installs for that goal (test/deps/check.py; names dpkg cannot map are in
# test/deps.names).  A goal whose packages are not all installed here cannot
# be checked (its programs cannot be found): it is named and left out.  The
# check must fail when a package is dropped from a list.
. "$(dirname "$0")/../lib.sh"
command -v dpkg >/dev/null && command -v dpkg-query >/dev/null || skip "not a Debian system (no dpkg)"
CHECK=("$PY" "$TOP/test/deps/check.py")
goals=()
for g in test bench demo; do
  missing=$("$TOP/test/deps.sh" --list "$g" | while read -r p; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
  if [ -n "$missing" ]; then echo "goal $g not checked: not installed here: $(echo $missing)"; else goals+=("$g"); fi
done
[ ${#goals[@]} -gt 0 ] || skip "no goal has all its packages installed (test/deps.sh GOAL)"
"${CHECK[@]}" "$TOP" "${goals[@]}" || fail "a program or module is used that test/deps.sh does not install (above)"
ok "test/deps.sh installs everything ${goals[*]} use"
if [[ " ${goals[*]} " == *" test "* ]]; then
  rc=0
  "${CHECK[@]}" --drop valgrind "$TOP" test >"$T/drop" || rc=$?
  cat "$T/drop"
  [ $rc -eq 1 ] && grep -q "program valgrind .* needs valgrind" "$T/drop" ||
    fail "dropping valgrind from the test list went unnoticed"
  ok "dropping a package from the list is caught"
fi
