#!/usr/bin/env bash
# "." and ".." on the mount are resolved as the kernel resolves them:
# what precedes them must exist and be a directory, so FILE/., FILE/..,
# MISSING/.. and MISSING/../a.txt give ENOTDIR or ENOENT as on the
# original tree.
PATHS_GROUP=dotdot exec bash "$(dirname "$0")/t_paths.sh"
