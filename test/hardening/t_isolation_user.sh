#!/usr/bin/env bash
# Another user on the same node (created here as root, removed at the
# end) gets nothing from a running job: the job directory is 0700 and
# every file in it 0600, owned by the job's user; the other user can
# neither list it, read a partition or the image, connect to the socket,
# nor read a file through the library with the job's environment; and
# when the modes are loosened on purpose, the launcher still refuses the
# other user's connection (peer uid check) without a byte of data.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] || skip "needs root to create a second user"
command -v setpriv >/dev/null && command -v useradd >/dev/null || skip "needs setpriv and useradd"
user=fstestuser$$
useradd -M -r -s /usr/sbin/nologin "$user" || fail "useradd $user failed"
trap 'userdel "$user" 2>/dev/null; cleanup' EXIT
uid=$(id -u "$user")
chmod 0755 "$T" && chmod 1777 "$FANSTORE_CACHE"   # only the job's own modes protect it
mkdata --files 20 --dirs 2 --sizes 100,5000
f=$(head -1 "$T/list")
cat >"$T/probe.py" <<'PY'
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(os.path.join(os.environ["FANSTORE_JOBDIR"], "sock"))
    s.sendall(struct.pack("<IHHQQQQ", 0x46535251, 2, 4, 7, 0, 0, 0))   # PING
    s.settimeout(10)
    data = s.recv(64)
except OSError as e:
    print("probe refused:", e); sys.exit(0)
sys.exit("no refusal" if not data else "another user got a reply")
PY
cat >"$T/cmd.sh" <<'SH'
set -u
uid=$1 f=$2 py=$3 probe=$4
j=$FANSTORE_JOBDIR
as() { setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"; }
bad=0
no() { echo "NOT ISOLATED: $*"; bad=1; }
[ "$(stat -c '%a %u' "$j")" = "700 $(id -u)" ] || no "job dir $(stat -c '%a %u' "$j")"
for x in "$j"/*; do
	[ "$(stat -c '%a %u' "$x")" = "600 $(id -u)" ] || no "$(basename "$x"): $(stat -c '%a %u' "$x")"
done
echo "job dir 0700, files: $(cd "$j" && echo *) 0600"
as ls "$j" >/dev/null 2>&1 && no "the other user lists the job dir"
as cat "$j/meta.img" >/dev/null 2>&1 && no "the other user reads meta.img"
for p in "$j"/fs_*; do
	as cat "$p" >/dev/null 2>&1 && no "the other user reads partition $(basename "$p")"
done
as "$py" "$probe" || no "the other user talks to the launcher"
out=$(as cat "/fanstore/$f" 2>/dev/null) && no "the other user reads /fanstore/$f through the library"
[ -z "$out" ] || no "the other user got bytes of /fanstore/$f"
# loosen the modes: only the launcher's peer uid check is left
chmod 0755 "$j"; chmod 0777 "$j/sock"
as "$py" "$probe" || no "with open modes, the launcher answers the other user"
chmod 0700 "$j"; chmod 0600 "$j/sock"
cat "/fanstore/$f" >/dev/null || no "the job's own user cannot read"
exit $bad
SH
job_exits 2 --data "$T/data" -- bash "$T/cmd.sh" "$uid" "$f" "$PY" "$T/probe.py"
all_exits 0
[ "$(count_of 'probe refused:' "$T/out")" -eq 4 ] || fail "expected 4 refusals"
ok "another user gets nothing from the job"
cache_empty
