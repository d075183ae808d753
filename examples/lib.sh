# examples/lib.sh - shell helpers shared by examples/demo.sh and
# test/bench/bench_torch.sh.  Source it from the top of the tree.
PY=/usr/bin/python3
MPIRUN=${MPIRUN:-mpirun}
PREP=${PREP:-bin/fanstore-prep}
EXEC=${EXEC:-bin/fanstore-exec}

# mpirun refuses root unless told; small machines need --oversubscribe.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1
# Open MPI binds each rank to one core when there are few ranks; a training
# process with DataLoader workers needs the node's cores (the baselines,
# started without mpirun, are not bound either).
export OMPI_MCA_hwloc_base_binding_policy=${OMPI_MCA_hwloc_base_binding_policy:-none}

say() { printf '%s\n' "$*"; }
die() { printf '%s: %s\n' "${ME:-fanstore}" "$*" >&2; exit 1; }

have_torch() { "$PY" -c 'import torch, torchvision' >/dev/null 2>&1; }

# ensure_images DIR CLASSES IMAGES VAL: a synthetic JPEG tree in DIR, made
# once; DIR.stamp records the parameters, so other parameters remake it.
ensure_images() {
  local dir=$1 want="classes=$2 images=$3 val=$4 seed=1"
  if [ -d "$dir" ] && [ "$(cat "$dir.stamp" 2>/dev/null)" = "$want" ]; then
    say "dataset: $dir is already there ($want)"
    return 0
  fi
  rm -rf "$dir" "$dir.tmp" "$dir.stamp"
  "$PY" examples/gen_images.py "$dir.tmp" --classes "$2" --images "$3" --val "$4" --seed 1 \
    || die "generating $dir failed"
  mv "$dir.tmp" "$dir" && printf '%s\n' "$want" >"$dir.stamp"
}

# ensure_packed SRC OUT NPART [PREP ARGS...]: pack SRC into OUT with
# fanstore-prep unless OUT is newer than both SRC's stamp and the packer.
ensure_packed() {
  local src=$1 out=$2 n=$3
  shift 3
  local want="n=$n $* $(cat "$src.stamp" 2>/dev/null)"
  if [ -d "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$want" ] && [ "$out.stamp" -nt "$PREP" ]; then
    say "packed: $out is up to date"
    return 0
  fi
  rm -rf "$out" "$out.stamp"
  "$PREP" -n "$n" "$@" -o "$out" "$src" || die "fanstore-prep failed on $src"
  printf '%s\n' "$want" >"$out.stamp"
}

# free_port: a TCP port nobody listens on now.
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# run_direct NP CMD...: NP ranks under mpirun, with the torch.distributed
# variables fanstore-exec would set, without FanStore (the baseline).  Started
# by mpirun like the FanStore runs, so both get the same scheduling (mpirun's
# daemon starts its ranks in a session of their own).
run_direct() {
  local np=$1 port
  shift
  port=$(free_port)
  $MPIRUN -np "$np" sh -c '
    export RANK=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}
    export WORLD_SIZE=${OMPI_COMM_WORLD_SIZE:-${PMI_SIZE:-1}}
    export LOCAL_RANK=${OMPI_COMM_WORLD_LOCAL_RANK:-${MPI_LOCALRANKID:-$RANK}}
    export LOCAL_WORLD_SIZE=${OMPI_COMM_WORLD_LOCAL_SIZE:-${MPI_LOCALNRANKS:-$WORLD_SIZE}}
    export MASTER_ADDR=127.0.0.1 MASTER_PORT='"$port"'
    exec "$@"' sh "$@"
}

# run_fanstore NP DATA CMD...: NP ranks of fanstore-exec serving DATA at /fanstore.
run_fanstore() {
  local np=$1 data=$2
  shift 2
  $MPIRUN -np "$np" "$EXEC" --data "$data" --mount /fanstore -- "$@"
}
