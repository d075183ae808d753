#!/usr/bin/env bash
# Nothing under the mount can be written, from ordinary tools in a real
# job on every node: writing, appending, creating, truncating, mkdir, rm,
# rmdir, mv, chmod, touch and ln all fail with "Read-only file system",
# and every file still reads as the original afterwards.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkdata --files 20 --dirs 2 --sizes 100,5000,300000
f=$(head -1 "$T/list")
d=$(cd "$T/orig" && find . -mindepth 1 -type d | sed 's|^\./||' | head -1)
cat >"$T/cmd.sh" <<'SH'
set -u
m=/fanstore f=$m/$1 d=$m/$2 bad=0
try() {
	local what=$1; shift
	if "$@" 2>"$T_ERR"; then echo "WROTE: $what"; bad=1
	elif ! grep -q "Read-only file system" "$T_ERR"; then echo "NOT EROFS: $what: $(cat "$T_ERR")"; bad=1
	fi
}
T_ERR=$(mktemp)
try "write"    sh -c 'echo x >"$1"' sh "$f"
try "append"   sh -c 'echo x >>"$1"' sh "$f"
try "create"   sh -c 'echo x >"$1"' sh "$m/new.txt"
try "truncate" truncate -s 0 "$f"
try "mkdir"    mkdir "$m/newdir"
try "rm"       rm -f "$f"
try "rmdir"    rmdir "$d"
try "mv"       mv "$f" "$m/moved"
try "chmod"    chmod 0777 "$f"
try "touch"    touch "$f"
try "touch new" touch "$m/new2"
try "ln -s"    ln -s "$f" "$m/link"
rm -f "$T_ERR"
echo "rank $RANK: $( [ $bad = 0 ] && echo 'every write refused with EROFS' || echo 'writes not refused')"
exit $bad
SH
job_exits 2 --data "$T/data" -- sh -c 'bash "$0" "$1" "$2" && exec "$3" /fanstore "$4" "$5" 1' \
	"$T/cmd.sh" "$f" "$d" "$HB/rloop" "$T/orig" "$T/list"
all_exits 0
[ "$(count_of 'every write refused with EROFS' "$T/out")" -eq 2 ] || fail "not every rank reported"
ok "the mount is read-only; the files are unchanged"
cache_empty
