#!/usr/bin/env bash
# A command that does not exist: exit 127 on every rank with a message
# naming it (as a shell would); not executable: 126; nothing left behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds c 2
run_ranks 2 --data "$T/c.ds" -- no-such-command-xyz arg
all_exits 127
err_has "no-such-command-xyz: command not found"
cache_empty
ok "missing command: 127"

run_ranks 2 --data "$T/c.ds" -- "$T/nothere/prog"
all_exits 127
cache_empty
ok "missing path: 127"

printf 'data\n' >"$T/notexec"
run_single --data "$T/c.ds" -- "$T/notexec"
all_exits 126
cache_empty
ok "not executable: 126"
