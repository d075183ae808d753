#!/usr/bin/env bash
# Symlinks pointing inside the dataset are kept as symlinks (dangling ones
# too); absolute ones into the dataset become relative; links to regular
# files outside are packed as those files; other outside links are skipped
# with a warning.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/ds" --files 4 --links
echo outside > "$T/outside.txt"; mkdir "$T/outdir"
ln -s ../outside.txt "$T/ds/out_file"
ln -s "$T/outdir" "$T/ds/out_dir"
ln -s "$T/ds/d00" "$T/ds/d01/abs_in"
"$PREP" -n 2 -o "$T/out" "$T/ds" 2>"$T/err" || { cat "$T/err"; fail "pack failed"; }
"$PREP" --list "$T/out" > "$T/list"
grep -q '^l.* link_to_f0000 -> f0000.txt$' "$T/list" || fail "inside link not kept"
grep -q '^l.* dangling -> does-not-exist$' "$T/list" || fail "dangling inside link not kept"
grep -q '^l.* d01/abs_in -> \.\./d00$' "$T/list" || { cat "$T/list"; fail "absolute inside link not made relative"; }
grep -q '^-.*  *8 .* out_file$' "$T/list" || { cat "$T/list"; fail "outside file link not packed as a file"; }
grep -q 'out_dir' "$T/list" && fail "outside dir link packed"
grep -q "skipping symlink out_dir" "$T/err" || { cat "$T/err"; fail "skip of out_dir not reported"; }
"$PREP" --extract "$T/out" "$T/x"
[ "$(cat "$T/x/out_file")" = outside ] || fail "out_file content"
[ "$(readlink "$T/x/empty/link_dir")" = ../d00 ] || fail "link_dir target"
ok "symlink rules"
