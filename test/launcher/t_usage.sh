#!/usr/bin/env bash
# Command-line errors: a clear message and exit 2 on every rank; --help
# documents every option and exits 0; no '--' or no command is an error.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds u 1

run_ranks 2 --data "$T/u.ds" true
all_exits 2
err_has "no '--'"
ok "no --"

run_ranks 2 --data "$T/u.ds" --
all_exits 2
err_has "no command after '--'"
ok "no command"

run_single --data "$T/u.ds" --bogus -- true
all_exits 2
err_has "unknown option '--bogus'"
ok "unknown option"

run_ranks 2 --replicas 0 --data "$T/u.ds" -- true
all_exits 2
err_has "--replicas 0"
ok "bad --replicas"

run_single --mount relative/path --data "$T/u.ds" -- true
all_exits 2
err_has "not absolute"
ok "relative --mount"

unset FANSTORE_DATA
run_ranks 2 -- true
all_exits 2
err_has "no dataset"
ok "no dataset given"

"$EXEC" --help >"$T/help"
for opt in --data --mount --cache --verbose --progress --keep --replicas --timeout --help \
           FANSTORE_DATA FANSTORE_MOUNT FANSTORE_CACHE FANSTORE_VERBOSE FANSTORE_KEEP FANSTORE_TIMEOUT; do
  grep -q -- "$opt" "$T/help" || fail "--help does not document $opt"
done
ok "--help documents every option"

# Environment variables say the same as flags; flags win.
FANSTORE_DATA=$T/u.ds FANSTORE_MOUNT=/from-env run_single -- sh -c 'test "$FANSTORE_MOUNT" = /from-env'
all_exits 0
FANSTORE_DATA=/nonexistent FANSTORE_MOUNT=/from-env run_single --data "$T/u.ds" --mount /from-flag -- sh -c 'test "$FANSTORE_MOUNT" = /from-flag'
all_exits 0
err_has "mount /from-flag"
ok "environment variables, flags win"
cache_empty
