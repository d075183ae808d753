#!/usr/bin/env bash
# Files spread over the partitions balanced by count (equal sizes) and by
# bytes (mixed sizes); the broadcast directory's files all go to fs_bcast.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/prep/common.sh"
gentree "$T/eq" --files 100 --sizes 1000
"$PREP" -q -n 4 -o "$T/o1" "$T/eq"
"$PREP" --info "$T/o1" | awk '/^fs_/ { print $2 }' | sort -u > "$T/counts"
[ "$(cat "$T/counts")" = 25 ] || { "$PREP" --info "$T/o1"; fail "100 equal files are not 25 per partition"; }
ok "equal files: 25 per partition"
gentree "$T/mix" --files 200 --sizes 10,5000,20000,100000,300000
"$PREP" -q -n 4 -b d01 -o "$T/o2" "$T/mix"
"$PREP" --info "$T/o2" > "$T/info"
awk '/^fs_0/ { b[NR] = $5; if (!min || $5 < min) min = $5; if ($5 > max) max = $5 }
     END { if (max - min > 300000) { print "spread " max - min; exit 1 } }' "$T/info" \
  || { cat "$T/info"; fail "bytes not balanced within one largest file"; }
nb=$(find "$T/mix/d01" -maxdepth 10 -type f | wc -l)
[ "$(awk '/^fs_bcast/ { print $2 }' "$T/info")" = "$nb" ] || { cat "$T/info"; fail "fs_bcast does not hold the $nb files of d01"; }
"$PREP" --list "$T/o2" | grep ' d01/' | grep -v '^d' | grep -vq ' fs_bcast ' && fail "a d01 file outside fs_bcast"
ok "mixed sizes balanced by bytes; broadcast files in fs_bcast"
