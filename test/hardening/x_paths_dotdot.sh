#!/usr/bin/env bash
# Known bug (libfanstore path handling): ".." and "." are resolved
# lexically, so FILE/., FILE/.., MISSING/.. and MISSING/../a.txt succeed
# on the mount where the kernel says ENOTDIR or ENOENT.
PATHS_GROUP=dotdot exec bash "$(dirname "$0")/t_paths.sh"
