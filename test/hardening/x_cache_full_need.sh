#!/usr/bin/env bash
# Known gap (launcher): when the cache fills up during load, the message
# names the file and ENOSPC but neither how much the node needs nor what to
# do, unlike the up-front space check.  Same run as t_cache_full.sh, with
# the stricter message check.
STRICT_NEED=1 exec bash "$(dirname "$0")/t_cache_full.sh"
