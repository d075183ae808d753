#!/usr/bin/env bash
# find over the mount lists the same entries, types, sizes, modes, mtimes,
# link targets and directory link counts as over the original tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 3
same find 'cd / && find "$ROOT" -mindepth 1 ! -type d -printf "%P %y %s %m %T@ %l %n\n" | sort;
           find "$ROOT" -mindepth 1 -type d -printf "%P %y %m %n\n" | sort'
