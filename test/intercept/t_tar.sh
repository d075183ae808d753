#!/usr/bin/env bash
# tar cf - of the mount lists (tar tvf) like tar of the original tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2 -l 6
same tar 'tar -C "$ROOT" --sort=name --numeric-owner -cf - . | tar tvf - | grep -v " \./$"'
same tar_md5 'tar -C "$ROOT" --sort=name --mtime=@0 --owner=0 --group=0 --mode=a+r -cf - ./d00 ./f0006.txt | md5sum'
