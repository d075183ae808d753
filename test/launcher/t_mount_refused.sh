#!/usr/bin/env bash
# A mount path that would hide what the command or the job needs is
# refused, on every rank, with exit 2 and one line saying what it would
# hide: the cache, /dev/shm, the temporary directory, the dataset, the
# working directory, a path that is not a directory, a directory that is
# not empty.  Paths are compared as the kernel resolves them (through a
# symlink, and '..' in a path that does not exist).  --force-mount and
# FANSTORE_FORCE_MOUNT=1 mount there anyway; a path that does not exist
# (the default /fanstore) or an empty directory is accepted as it is.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkdir -p "$T/d"
mkds m 2
mv "$T/m.ds" "$T/d/m.ds"
DS=$T/d/m.ds
mkdir -p "$T/empty" "$T/full/sub" "$T/tmpd" "$T/w/here"
echo x >"$T/afile"
ln -s "$T" "$T/link"

# refused WHAT MOUNT [fanstore-exec options]: exit 2 on both ranks, the
# one line names the mount and WHAT, and tells what to do.  MOUNT "":
# the mount comes from FANSTORE_MOUNT.
refused() {
  local what=$1 m=$2; shift 2
  run_ranks 2 "$@" --data "$DS" ${m:+--mount "$m"} -- true
  all_exits 2
  [ "$(count_of "fanstore-exec: mount path " "$T/err")" -eq 1 ] || fail "mount ${m:-$FANSTORE_MOUNT}: expected one line"
  err_has "$what"
  err_has "or pass --force-mount (FANSTORE_FORCE_MOUNT=1)"
  ok "mount ${m:-$FANSTORE_MOUNT} refused: $(grep -m1 'mount path' "$T/err")"
}
refused "mount path $T would hide the cache directory $FANSTORE_CACHE from the command" "$T"
refused "would hide the cache directory $FANSTORE_CACHE from the command" "$FANSTORE_CACHE"
refused "would hide the cache directory $FANSTORE_CACHE from the command" "$T/link"
refused "would hide the cache directory $FANSTORE_CACHE from the command" "$T/nothere/../link/cache"
refused "mount path /dev would hide the shared memory directory /dev/shm" /dev
refused "would hide the shared memory directory /dev/shm" /dev/shm
TMPDIR=$T/tmpd refused "would hide the temporary directory $T/tmpd" "$T/tmpd"
refused "would hide the dataset $DS" "$T/d"
(cd "$T/w/here" && refused "would hide the working directory $T/w/here" "$T/w")
refused "mount path $T/afile exists and is not a directory" "$T/afile"
refused "would hide what the directory $T/full holds" "$T/full"
FANSTORE_MOUNT=$T/full refused "mount path $T/full would hide what the directory $T/full holds" ""

# Accepted: a path that does not exist, an empty directory, and anything
# with --force-mount; the command reads the dataset there.
export FANSTORE_LIB=$LIB
[ -f "$LIB" ] || fail "$LIB is not built (make)"
f=$(cd "$T/m.tree" && find . -type f -name 'f*.bin' | LC_ALL=C sort | head -1)
[ -n "$f" ] || fail "the generated tree has no f*.bin"
mounted() {
  local m=$1; shift
  run_ranks 2 "$@" --data "$DS" -- sh -c 'cmp "$FANSTORE_MOUNT/$1" "$0/$1"' "$T/m.tree" "$f"
  all_exits 0
  err_has "mount $m, cache "
}
mounted "$T/new/fs" --mount "$T/new/fs"
ok "a mount path that does not exist"
mounted "$T/empty" --mount "$T/empty"
ok "an empty directory"
mounted "$T/full" --mount "$T/full" --force-mount
ok "--force-mount over a directory that is not empty"
FANSTORE_FORCE_MOUNT=1 mounted "$T/full" --mount "$T/full"
ok "FANSTORE_FORCE_MOUNT=1"
if [ ! -e /fanstore ]; then
  unset FANSTORE_MOUNT
  mounted /fanstore
  ok "the default /fanstore"
fi
cache_empty
