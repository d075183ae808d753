#!/usr/bin/env bash
# Packing onto a full file system fails with a message saying so and leaves
# nothing half-written (modern and original forms).
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
mkdir "$T/small"
mount -t tmpfs -o size=512k tmpfs "$T/small" 2>/dev/null || skip "cannot mount tmpfs here"
trap 'cd /; umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
gentree "$T/ds" --files 20 --sizes 102400 --seed 3
expect_msg "pack onto a full disk" "no space left" "$PREP" -n 2 -l 0 -o "$T/small/out" "$T/ds"
[ -z "$(ls -A "$T/small")" ] || fail "left behind: $(ls -A "$T/small")"
# original form: the dataset fits on the disk, a second copy does not
gentree "$T/small/ds2" --files 3 --sizes 150000 --seed 4
cd "$T/small/ds2" && find ./ > file.list
expect_msg "original form onto a full disk" "no space left" "$PREP" 2 file.list NULL -l 0
ls -a | grep -E '^(\.fs_|fs_|fanstore)' && fail "partial output left"
ok "nothing half-written"
