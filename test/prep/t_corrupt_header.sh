#!/usr/bin/env bash
# Corrupted headers (magic, version, sizes, index) and a corrupted manifest
# are rejected with a message naming the file, never a crash.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/src" --files 10
"$PREP" -q -n 2 -o "$T/good" "$T/src"
# offset:bytes to write into fs_0001 (magic, version, file_size, nent, index_off, index entry)
for patch in 0:58 8:07 16:ff 32:ff 40:01 200:ff; do
  rm -rf "$T/out"; cp -a "$T/good" "$T/out"
  off=${patch%%:*}; byte=${patch#*:}
  [ "$off" = 200 ] && off=$(( $("$PY" -c "import struct;print(struct.unpack_from('<Q',open('$T/out/fs_0001','rb').read(),48)[0])") + 3 ))
  printf "\\x$byte" | dd of="$T/out/fs_0001" bs=1 seek="$off" conv=notrunc status=none
  cmp -s "$T/out/fs_0001" "$T/good/fs_0001" && fail "patch $patch changed nothing"
  for cmd in --verify --list --info; do
    rc=0; "$PREP" $cmd "$T/out" >/dev/null 2>"$T/err" || rc=$?
    [ $rc -eq 1 ] || { cat "$T/err"; fail "$cmd after patch $patch: exit $rc, expected 1"; }
    grep -q "fs_0001" "$T/err" || { cat "$T/err"; fail "$cmd after patch $patch: message does not name fs_0001"; }
  done
  ok "patch $patch rejected"
done
rm -rf "$T/out"; cp -a "$T/good" "$T/out"
printf '\x00' | dd of="$T/out/fanstore.manifest" bs=1 seek=20 conv=notrunc status=none
expect_msg "corrupted manifest" "fanstore.manifest" "$PREP" --verify "$T/out"
