#!/usr/bin/env bash
# A dataset packed with its image (fanstore.image) gives every node the same
# namespace as one without, byte for byte (each node leader's meta.img is
# the one the records would have built), on one node, on two nodes with
# separate caches, and with a mount namespace per rank where root allows;
# the launcher takes it whole (-v says so) instead of building records.
# A damaged image, one of another dataset and one of another packing are
# said in one line on rank 0 naming the file and the fix, and the job goes
# on from the partitions with the same namespace.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.sh"
mkds im 5 -b d01
[ -f "$T/im.ds/fanstore.image" ] || fail "fanstore-prep wrote no fanstore.image"
# the same dataset without its image, as an older release packed it
cp -r "$T/im.ds" "$T/old.ds"
rm "$T/old.ds/fanstore.image"
USED="the dataset's metadata image"   # -v: the image was taken whole
BUILT="records ready"                 # -v: the namespace was built from records

# jobrun NAME NP PER [unshare] -- DATASET: fanstore-exec -v on NP ranks, PER
# ranks to a node (each node its own cache T/NAME.cN, or with "unshare" its
# own tmpfs); every rank reads the whole tree (fsread) and each node leader
# copies its meta.img to T/NAME.N.img.
jobrun() {
  local name=$1 np=$2 per=$3 ns=$4 data=$6 i
  rm -rf "$T/$name".*
  for i in $(seq 0 $((np / per))); do mkdir -p "$T/$name.c$i"; done
  local wrap=() mnt='FANSTORE_CACHE='"$T/$name"'.c$((OMPI_COMM_WORLD_RANK / '"$per"')) "$@"'
  if [ "$ns" = unshare ]; then
    wrap=(unshare -m --propagation private)
    mnt='mount -t tmpfs -o size=64m fstest "$FANSTORE_CACHE" && "$@"'
  fi
  : >"$T/exits"
  timeout -k 5 120 mpirun -np "$np" "${wrap[@]}" sh -c "$mnt"'; echo $? >>"'"$T"'/exits"' sh \
    "$EXEC" -v --data "$data" -- sh -c \
    '"$@" && if [ $((RANK % '"$per"')) = 0 ]; then cp "$FANSTORE_JOBDIR/meta.img" "'"$T/$name"'.$((RANK / '"$per"')).img"; fi' \
    sh "$FSREAD" "$T/im.tree" >"$T/out" 2>"$T/err" || true
  grep -v "^fanstore-exec\[" "$T/err" >&2 || true
  [ "$(wc -l <"$T/exits")" -eq "$np" ] || fail "$name: expected $np exit statuses: $(cat "$T/exits") $(cat "$T/err")"
  all_exits 0
  [ "$(count_of ' 0 mismatches' "$T/out")" -eq "$np" ] || fail "$name: not every reader matched: $(cat "$T/out")"
}

# same NAME REF NODES: every node's meta.img of run NAME is the one of run REF.
same() {
  for i in $(seq 0 $(($3 - 1))); do
    [ -s "$T/$2.$i.img" ] || fail "$2: node $i wrote no meta.img"
    cmp "$T/$1.$i.img" "$T/$2.$i.img" || fail "$1: node $i's meta.img differs from $2's"
  done
}

jobrun old1 2 2 - -- "$T/old.ds"
grep -q "$BUILT" "$T/err" || fail "no image: expected the namespace from records"
jobrun new1 2 2 - -- "$T/im.ds"
grep -q "$USED" "$T/err" || fail "the dataset's image was not used"
! grep -q "$BUILT" "$T/err" || fail "records were built although the dataset has an image"
same new1 old1 1
ok "one node: the image gives the namespace the records give"

jobrun old2 4 2 - -- "$T/old.ds"
jobrun new2 4 2 - -- "$T/im.ds"
grep -q "4 ranks, 2 nodes" "$T/err" || fail "expected 2 nodes"
[ "$(count_of "$USED" "$T/err")" -eq 4 ] || fail "not every rank used the image"
same new2 old2 2
cmp -s "$T/new2.0.img" "$T/new2.1.img" && fail "both nodes have the same part table"
ok "two nodes (separate caches): each node's image is its own, as from records"

if can_nodes; then
  jobrun oldns 3 1 unshare -- "$T/old.ds"
  jobrun newns 3 1 unshare -- "$T/im.ds"
  grep -q "3 ranks, 3 nodes" "$T/err" || fail "expected 3 nodes"
  same newns oldns 3
  ok "three nodes in mount namespaces: the image sent over MPI, as from records"
else
  echo "note: not root or no unshare -m: the mount namespace case is not run"
fi

# unusable DESC TEXT: the image of T/bad.ds is refused with TEXT, in one line
# on rank 0 naming it and the fix, and the job goes on with the records'
# namespace (on one node and on two).
unusable() {
  local desc=$1 text=$2
  jobrun bad1 2 2 - -- "$T/bad.ds"
  err_has "$T/bad.ds/fanstore.image: $text"
  [ "$(count_of "rebuild it with fanstore-prep --image $T/bad.ds" "$T/err")" -eq 1 ] ||
    fail "$desc: expected one line saying how to rebuild the image: $(cat "$T/err")"
  grep -q "$BUILT" "$T/err" || fail "$desc: no records built after refusing the image"
  same bad1 old1 1
  jobrun bad2 4 2 - -- "$T/bad.ds"
  err_has "$T/bad.ds/fanstore.image: $text"
  same bad2 old2 2
  ok "$desc: said, and the namespace built from the partitions"
}

rm -rf "$T/bad.ds"; cp -r "$T/im.ds" "$T/bad.ds"
"$PY" "$TOP/test/launcher/flip.py" "$T/bad.ds/fanstore.image" @-2
unusable "a byte of the image's body flipped" "checksum mismatch (damaged)"

rm -rf "$T/bad.ds"; cp -r "$T/im.ds" "$T/bad.ds"
"$PY" "$TOP/test/launcher/flip.py" "$T/bad.ds/fanstore.image" @16
unusable "a byte of the image's header flipped" "metadata image header damaged"

# another dataset's image
gentree "$T/other.tree" --files 20 --seed 2 >/dev/null
"$PREP" -q -n 5 -b d01 -o "$T/other.ds" "$T/other.tree"
rm -rf "$T/bad.ds"; cp -r "$T/im.ds" "$T/bad.ds"
cp "$T/other.ds/fanstore.image" "$T/bad.ds/fanstore.image"
unusable "another dataset's image" "built for another dataset"

# the same files packed otherwise (stored, not compressed): the same
# dataset id, other partitions
"$PREP" -q -n 5 -b d01 -l 0 -o "$T/stored.ds" "$T/im.tree"
rm -rf "$T/bad.ds"; cp -r "$T/im.ds" "$T/bad.ds"
cp "$T/stored.ds/fanstore.image" "$T/bad.ds/fanstore.image"
unusable "another packing's image" "built for another packing of this dataset"

# With the image, a partition's index is not read at job start (blobs are
# found through the image): a flipped index byte does not matter here
# (fanstore-prep --verify finds it; t_bad_data: without an image the load
# fails on it).
rm -rf "$T/bad.ds"; cp -r "$T/im.ds" "$T/bad.ds"
"$PY" - "$T/bad.ds/fs_0000" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
b[struct.unpack_from("<Q", b, 48)[0] + 20] ^= 0xff
open(sys.argv[1], "wb").write(bytes(b))
PY
jobrun idx 2 2 - -- "$T/bad.ds"
same idx old1 1
ok "with the image, a damaged partition index is not read"
cache_empty
