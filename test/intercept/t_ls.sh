#!/usr/bin/env bash
# ls -lR over the mount prints what it prints over the original tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2
same ls_lR 'ls -lRn --time-style=+%s.%N "$ROOT" | tail -n +3'
same ls_a 'ls -a "$ROOT" "$ROOT/d00"'
