# Sustained load, short: 2 ranks (each its own node when root), each running
# 8 reader processes x 4 threads over local, remote, raw and compressed
# files; every byte checked; descriptors, memory and the job directory must
# be back where they started.  `make soak SOAK_SECONDS=N` runs it longer.
. "$(dirname "$0")/../lib.sh"
need_build
secs=${SOAK_SECONDS:-6}
gentree "$T/orig" --files 400 --dirs 12 --sizes 0,1,4096,20000,100000,250000 --links
"$PREP" -n 4 -l 6 -q -o "$T/data" "$T/orig"
if can_nodes; then
  echo "two ranks on two private nodes (remote reads cross MPI)"
  run_nodes 2 --data "$T/data" -- "$B/test/soak/soak" /fanstore "$T/orig" "$secs" 8 4
else
  echo "not root: two ranks sharing one node (no remote reads)"
  run 2 --data "$T/data" -- "$B/test/soak/soak" /fanstore "$T/orig" "$secs" 8 4
fi
ls -A "$FANSTORE_CACHE" | grep -q . && fail "job directory left in $FANSTORE_CACHE: $(ls -A "$FANSTORE_CACHE")"
ok "soak"
