# Paths that reach the mount only after "//", "/./" or ".." are served from
# the dataset; paths that only look similar stay outside.  (The library's
# outside check skips leading "/" and "./" and looks for ".." components
# instead of canonicalising every path.)
. "$(dirname "$0")/../lib.sh"
need_build
gentree "$T/orig" --files 4
"$B/test/intercept/mkjob" "$T/orig" "$T/job"
want=$(stat -c '%s %F' "$T/orig/f0000.txt")
st() { FANSTORE_JOBDIR="$T/job" LD_PRELOAD="$LIB" stat -c '%s %F' "$1" 2>/dev/null || echo ENOENT; }
for p in /fanstore/f0000.txt //fanstore/f0000.txt /./fanstore/f0000.txt /.//./fanstore/f0000.txt \
         /etc/../fanstore/f0000.txt /tmp/./../fanstore/f0000.txt /a/b/../../fanstore/f0000.txt; do
  [ "$(st "$p")" = "$want" ] || fail "$p: got '$(st "$p")', want '$want'"
done
for p in /etc//fanstore/f0000.txt /etc/./fanstore/f0000.txt /fanstore.x/f0000.txt /fanstorex; do
  [ "$(st "$p")" = ENOENT ] || fail "$p should be outside the mount (ENOENT), got '$(st "$p")'"
done
[ "$(st /fanstore/../etc/hostname)" = "$(stat -c '%s %F' /etc/hostname)" ] || fail "/fanstore/../etc/hostname"
ok "mount boundary"
