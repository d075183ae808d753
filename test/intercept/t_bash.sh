#!/usr/bin/env bash
# bash globbing, cd into the tree, pwd, relative paths, [ -f ] tests,
# and a cd that survives exec (FANSTORE_CWD).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2
same glob 'echo "$ROOT"/*.txt "$ROOT"/d*/*.bin; echo "$ROOT"/nomatch*'
same cd 'cd "$ROOT/d00" && pwd && echo * && [ -f f0001.bin ] && echo isfile && cd ../d01 && cd ../d00 && pwd && cat ./f0001.bin | wc -c && /bin/pwd && ls | head -3 && cd .. && ls -d d0*'
