#!/usr/bin/env bash
# "wc -c < file": bash opens the file, dup2s it onto 0 and execs wc,
# which must see the true bytes; also head and md5sum reading stdin.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
mkjob_tree -p 2 -l 6
same wc_stdin 'for f in f0006.txt f0012.txt d00/f0013.bin d03/f0004.txt bytes*.bin; do wc -c < "$ROOT/$f"; md5sum < "$ROOT/$f"; head -c 10 < "$ROOT/$f" | od -c | head -2; done'
