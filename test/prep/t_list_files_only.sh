#!/usr/bin/env bash
# A listing of files only (find -type f) still records every parent
# directory, with its own mode and mtime; unlisted empty dirs stay out.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 30
chmod 0750 "$T/ds/d00"; TZ=UTC touch -d '2020-01-02 03:04:05.123456789' "$T/ds/d00"
cd "$T/ds" && find . -type f > list
"$PREP" -q 2 list NULL
"$PREP" --list . > "$T/l"
for d in $(cd "$T/ds" && find . -mindepth 1 -type d ! -name empty ! -name inner | sed 's|^\./||'); do
  grep -q "^d.* $d\$" "$T/l" || { cat "$T/l"; fail "parent $d not recorded"; }
done
grep -q '^drwxr-x---  .* 2020-01-02 03:04:05.123456789 fs_0000  d00$' "$T/l" || { grep ' d00$' "$T/l"; fail "d00 mode/mtime"; }
grep -q ' empty' "$T/l" && fail "unlisted empty dir recorded"
ok "parents recorded"
