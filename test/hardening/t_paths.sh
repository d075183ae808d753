#!/usr/bin/env bash
# Odd paths behave on the mount as the kernel makes them behave on the
# original tree (same result, same errno for stat, lstat, access, open,
# open(O_DIRECTORY), opendir): "//", "/./", ".." inside the tree and across
# the mount boundary (/fanstore/../etc/hostname is the real one), trailing
# slashes on files (ENOTDIR) and directories, non-UTF-8 names, a 256-byte
# name and a whole path of 4,095 bytes.  PATHS_GROUP=dotdot|toolong runs
# the cases of t_paths_dotdot.sh / t_paths_toolong.sh instead.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
group=${PATHS_GROUP:-ok}
mkdir -p "$T/orig/dir/sub"
echo "file a" >"$T/orig/a.txt"
echo "file b" >"$T/orig/dir/b.txt"
printf 'not utf-8' >"$T/orig/bytes$(printf '\377\376').bin"
"$PREP" -q -n 1 -o "$T/data" "$T/orig"
"$EXEC" --data "$T/data" -- "$HB/pathcmp" /fanstore "$T/orig" "$group" ||
	fail "paths on the mount do not behave as on the original tree ($group)"
ok "paths ($group): same results and errnos as the kernel on the original tree"
cache_empty
