#!/usr/bin/env bash
# Install what FanStore needs for a goal (build | test | demo | bench), from
# Debian's packages.  As root it installs what is missing; otherwise it prints
# the exact command to run and fails.  --list GOAL prints the goal's packages,
# one a line (test/deps/t_deps.sh checks the suite needs nothing more).
set -eu
list=
[ "${1:-}" != --list ] || { list=1; shift; }
goal=${1:-build}
pkgs="make gcc libdeflate-dev uthash-dev openmpi-bin libopenmpi-dev"
case "$goal" in
  build) ;;
  demo)  pkgs="$pkgs python3 python3-numpy python3-pil python3-torch python3-torchvision" ;;
  test)  pkgs="$pkgs clang libclang-rt-14-dev mpich libmpich-dev python3 python3-numpy python3-pil python3-torch
               python3-torchvision python3-h5py python3-mpi4py valgrind util-linux tar diffutils findutils coreutils
               procps gnuplot-nox git munge slurmctld slurmd slurm-client lmod man-db groff-base" ;;
  bench) pkgs="$pkgs python3 python3-numpy python3-pil python3-torch python3-torchvision
               squashfs-tools squashfuse fuse3 gnuplot-nox procps" ;;
  *) echo "usage: $0 [--list] build|test|demo|bench" >&2; exit 2 ;;
esac
if [ -n "$list" ]; then
  printf '%s\n' $pkgs
  exit 0
fi
missing=()
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "fanstore: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "fanstore: missing Debian packages for '$goal': ${missing[*]}" >&2
  echo "fanstore: run as root:  $cmd" >&2
  exit 1
fi
