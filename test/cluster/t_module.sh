#!/usr/bin/env bash
# make install PREFIX=... puts a modulefile beside the programs, the library
# and the man pages; in a fresh login environment with Debian's Lmod,
# `module load fanstore` gives fanstore-exec and fanstore-prep on PATH, their
# man pages (and still the system's), and FANSTORE_LIB, and the installed
# launcher runs a command on a dataset with the installed library;
# `module unload fanstore` takes it all back.
. "$(dirname "$0")/../lib.sh"
. "$TOP/test/cluster/common.sh"
LMOD_PROFILE=/usr/share/lmod/lmod/init/profile
[ -r "$LMOD_PROFILE" ] || skip "Lmod not installed (lmod)"
command -v man >/dev/null || skip "man not installed (man-db)"
need_build
P=$T/prefix
env -u B make -C "$TOP" --no-print-directory install PREFIX="$P" >"$T/install.log" 2>&1 \
  || { cat "$T/install.log"; fail "make install PREFIX=$P"; }
for f in bin/fanstore-exec bin/fanstore-prep lib/libfanstore.so \
         share/man/man1/fanstore-exec.1 share/man/man1/fanstore-prep.1; do
  [ -f "$P/$f" ] || fail "make install did not install $f"
done
compgen -G "$P/share/modulefiles/fanstore/*.lua" >/dev/null || fail "no modulefile in $P/share/modulefiles/fanstore"
ok "make install: programs, library, man pages, modulefile"

gentree "$T/tree" >/dev/null
md5_tree "$T/tree" >"$T/expect.md5"
cat >"$T/login.sh" <<'SH'
# A login shell's setup, then what a user types.
. "$LMOD_PROFILE"
set -euo pipefail
die() { echo "FAIL: $*" >&2; exit 1; }
command -v fanstore-exec >/dev/null && die "fanstore-exec on PATH before module load"
sys_man=$(man -w man 2>/dev/null || true)    # a system page, when this system has them
module use "$P/share/modulefiles"
module load fanstore
module -t list 2>&1 | grep -q '^fanstore/' || die "module list does not show fanstore"
[ "$(command -v fanstore-exec)" = "$P/bin/fanstore-exec" ] || die "fanstore-exec is $(command -v fanstore-exec)"
[ "$(command -v fanstore-prep)" = "$P/bin/fanstore-prep" ] || die "fanstore-prep is $(command -v fanstore-prep)"
[ "${FANSTORE_LIB:-}" = "$P/lib/libfanstore.so" ] || die "FANSTORE_LIB=${FANSTORE_LIB:-}"
fanstore-exec --help | grep -q '^usage: ' || die "fanstore-exec --help"
[ "$(man -w fanstore-exec)" = "$P/share/man/man1/fanstore-exec.1" ] || die "man -w fanstore-exec: $(man -w fanstore-exec)"
[ "$(man -w fanstore-prep)" = "$P/share/man/man1/fanstore-prep.1" ] || die "man -w fanstore-prep: $(man -w fanstore-prep)"
man fanstore-exec 2>/dev/null | grep -q -- '--data DIR' || die "man fanstore-exec does not show the page"
[ "$(man -w man 2>/dev/null || true)" = "$sys_man" ] || die "the system's man pages are gone after module load (MANPATH=$MANPATH)"
echo "ok: module load fanstore: PATH, MANPATH, FANSTORE_LIB"
fanstore-prep -q -n 2 -o "$T/ds" "$T/tree"
timeout -k 5 60 fanstore-exec --data "$T/ds" -- sh -c \
  'cd /fanstore && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum' >"$T/got.md5" \
  || die "the installed fanstore-exec failed"
cmp -s "$T/expect.md5" "$T/got.md5" || die "the installed programs read different bytes"
echo "ok: the installed programs pack and serve a dataset"
module unload fanstore
command -v fanstore-exec >/dev/null && die "fanstore-exec still on PATH after module unload"
[ -z "${FANSTORE_LIB:-}" ] || die "FANSTORE_LIB still set after module unload"
echo "ok: module unload fanstore takes it back"
SH
# A fresh login environment: nothing of this shell's PATH, modules or MPI.
env -i HOME="$T" USER=$(id -un) LOGNAME=$(id -un) PATH=/usr/local/bin:/usr/bin:/bin TERM=dumb \
    LMOD_PROFILE="$LMOD_PROFILE" P="$P" T="$T" FANSTORE_CACHE="$FANSTORE_CACHE" \
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    bash --noprofile --norc "$T/login.sh" || fail "module load fanstore"
cache_empty
