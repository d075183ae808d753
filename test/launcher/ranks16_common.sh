# test/launcher/ranks16_common.sh - the 16-rank tests' dataset, command and
# checks; source after test/lib.sh.  Each of the 16 ranks reads its own
# sample of 10,000 of 1,000,000 files byte for byte (mkmeta -r -o RANK: every
# 99th file from file RANK, so no two ranks read the same file and each
# sample spans all 16 partitions), then reports which metadata image it and
# its launcher map and how many image files its node's cache holds
# (image_maps.py).
MKMETA=$B/test/launcher/mkmeta
[ -x "$MKMETA" ] || fail "$MKMETA is not built (make tests)"
need_build
NP=16 N=1000000 SAMPLE=10000
# 16 ranks on 2 cores: Open MPI's waiting ranks spin in their collectives
# and take the cores from the ones with work (on 2 cores without this the
# 16-node job took 55 s instead of 30, the one-node test 30 s instead of 13).
export OMPI_MCA_mpi_yield_when_idle=1
# 300-byte files over 1,000 class directories, 16 partitions (one a rank)
"$MKMETA" -b 300 -c 1000 "$T/ds" $N $NP
cat >"$T/rank.sh" <<EOS
"$MKMETA" -b 300 -c 1000 -r "\$FANSTORE_MOUNT" -o "\$RANK" -s $SAMPLE $N >"$T/read.\$RANK" || exit 1
exec "$PY" "$TOP/test/launcher/image_maps.py" >"$T/img.\$RANK"
EOS

# r16_run PRE [WRAP...]: the job on 16 ranks, each rank as
# WRAP sh -c 'PRE && fanstore-exec -v ...'; each rank's exit status is
# appended to T/exits, its output to T/out and T/err.
r16_run() {
  local pre=$1; shift
  : >"$T/exits"
  timeout -k 5 300 $MPIRUN -np $NP "$@" sh -c "$pre"' && "$@"; echo $? >>"'"$T"'/exits"' \
    sh "$EXEC" -v --data "$T/ds" -- sh "$T/rank.sh" >"$T/out" 2>"$T/err" || true
  grep -v '^fanstore-exec\[' "$T/err" >&2 || true
}

# r16_check: every rank exited 0, read its 10,000 files right, and maps
# exactly one image, the one its launcher maps, in a cache that holds one
# image file.  R16_IMAGES gets the number of different images over the
# ranks, R16_IMAGE the first.
r16_check() {
  local r self launcher
  [ "$(wc -l <"$T/exits")" -eq $NP ] || fail "expected $NP exit statuses: $(cat "$T/exits")"
  ! grep -vqx 0 "$T/exits" || fail "rank exit statuses $(tr '\n' ' ' <"$T/exits"), expected all 0"
  : >"$T/images"
  for r in $(seq 0 $((NP - 1))); do
    grep -qx "$SAMPLE files checked, 0 wrong" "$T/read.$r" || fail "rank $r: $(cat "$T/read.$r")"
    self=$(sed -n 's/^map self //p' "$T/img.$r")
    launcher=$(sed -n 's/^map launcher //p' "$T/img.$r")
    [ "$(printf '%s\n' "$self" | wc -l)" -eq 1 ] && [ "$self" != none ] ||
      fail "rank $r's command maps not exactly one image: $self"
    [ "$launcher" = "$self" ] || fail "rank $r's command maps $self, its launcher $launcher"
    grep -qx "images 1" "$T/img.$r" || fail "rank $r's node cache: $(grep images "$T/img.$r") files meta.img*"
    echo "$self" >>"$T/images"
  done
  R16_IMAGES=$(sort -u "$T/images" | wc -l)
  R16_IMAGE=$(head -1 "$T/images")
}
