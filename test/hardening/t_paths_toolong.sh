#!/usr/bin/env bash
# A whole path of 4,096 bytes or more (PATH_MAX with its NUL exceeded)
# gives ENAMETOOLONG on the mount as on the original tree, however it is
# padded with "//" or "./".
PATHS_GROUP=toolong exec bash "$(dirname "$0")/t_paths.sh"
