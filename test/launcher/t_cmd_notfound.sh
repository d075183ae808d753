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

# Found and executable, but execve fails in the child (after fork, where
# only async-signal-safe calls are allowed): a missing interpreter is
# ENOENT, 127; a file the kernel cannot run is ENOEXEC, 126.  Each rank says
# so, unless the first rank to fail stopped its command before it could:
# then that rank says it stopped the other one, and the job's status is the
# failed one on every rank all the same.
printf '#!/nonexistent/interp\n' >"$T/badinterp"
chmod +x "$T/badinterp"
run_ranks 2 --data "$T/c.ds" -- "$T/badinterp"
all_exits 127
each_rank_says "fanstore-exec: $T/badinterp: No such file or directory"
cache_empty
ok "interpreter missing at exec: 127, clear message"
printf '\x7fELF\x01garbage' >"$T/badelf"
chmod +x "$T/badelf"
run_ranks 2 --data "$T/c.ds" -- "$T/badelf"
all_exits 126
each_rank_says "fanstore-exec: $T/badelf: Exec format error"
cache_empty
ok "unrunnable file at exec: 126, clear message"
