#!/usr/bin/env bash
# md5sum (stdio reads) of every file, raw and deflate-compressed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2 -l 6
same md5 'cd "$ROOT" && find . -type f -print0 | sort -z | xargs -0 md5sum'
