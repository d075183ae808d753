#!/usr/bin/env bash
# make valgrind: memcheck on fanstore-exec (one rank) and on readers under
# libfanstore (two ranks, as two nodes when root, so remote reads are
# covered), for a small round trip.  Exit 0 only when memcheck reports no
# error and no definite leak anywhere.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (Debian: apt-get install valgrind)"
start=$(date +%s)
VG=(valgrind -q --error-exitcode=9 --num-callers=40 --leak-check=full --errors-for-leak-kinds=definite
	--show-leak-kinds=definite --track-origins=yes --child-silent-after-fork=yes)
supp=/usr/share/openmpi/openmpi-valgrind.supp
[ -f "$supp" ] && VG+=(--suppressions="$supp")
[ -f "$TOP/test/hardening/valgrind.supp" ] && VG+=(--suppressions="$TOP/test/hardening/valgrind.supp")
mkdata --files 40 --dirs 3 --links --sizes 0,1,4096,100000,300000

# 1. the launcher under memcheck, one rank, serving md5sum
"${VG[@]}" --log-file="$T/vg.exec.%p" "$EXEC" --data "$T/data" -- sh -c 'cd /fanstore && xargs -d "\n" md5sum' \
	<"$T/list" >"$T/sum.virt" || { cat "$T"/vg.exec.*; fail "memcheck on fanstore-exec: exit $?"; }
(cd "$T/orig" && xargs -d '\n' md5sum <"$T/list") >"$T/sum.orig"
cmp -s "$T/sum.orig" "$T/sum.virt" || fail "md5sums differ under memcheck"
cat "$T"/vg.exec.* 2>/dev/null
ok "fanstore-exec clean under memcheck"

# 2. readers under memcheck with the library preloaded, two ranks
job_exits 2 --data "$T/data" -- "${VG[@]}" --log-file="$T/vg.read.%p" \
	"$HB/rloop" /fanstore "$T/orig" "$T/list" 2
cat "$T"/vg.read.* 2>/dev/null
all_exits 0
job_exits 1 --data "$T/data" -- "${VG[@]}" --log-file="$T/vg.md5.%p" md5sum /fanstore/"$(head -1 "$T/list")"
cat "$T"/vg.md5.* 2>/dev/null
all_exits 0
ok "readers under the library clean under memcheck (rloop on 2 ranks, md5sum)"
echo "valgrind: $(($(date +%s) - start)) s"
