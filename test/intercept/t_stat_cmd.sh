#!/usr/bin/env bash
# stat(1) (statx) on files, directories and symlinks.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2
same stat 'cd "$ROOT" && stat -c "%n %s %f %Y %h %b" f0006.txt f0012.txt d00/f0013.bin d00 d01 empty link_to_f0000 dangling; stat -L -c "%n %s %f" link_to_f0000; stat nothere 2>&1 | sed "s/.*: //"'
