#!/usr/bin/env bash
# du -s --apparent-size and du -a agree with the original tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2
same du 'du -s --apparent-size --block-size=1 "$ROOT"/*; du -a --apparent-size -b "$ROOT/d00" | sort'
