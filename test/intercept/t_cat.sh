#!/usr/bin/env bash
# cat of every file to a pipe and to a regular file (copy_file_range).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2 -l 1
same cat_pipe 'cd "$ROOT" && find . -type f | sort | while read -r f; do cat "$f" | md5sum; done'
same cat_file 'cd "$ROOT" && for f in f0006.txt d00/f0013.bin d01/*.txt; do cat "$f" > /tmp/.cat.$$; md5sum < /tmp/.cat.$$; done; rm -f /tmp/.cat.$$'
