#!/usr/bin/env bash
# Known bug (libfanstore path handling): a whole path of 4,096 bytes or
# more (PATH_MAX with its NUL exceeded) succeeds on the mount after "//"
# or "./" are collapsed, where the kernel says ENAMETOOLONG.
PATHS_GROUP=toolong exec bash "$(dirname "$0")/t_paths.sh"
