# test/cluster/common.sh - helpers of the cluster tests; source after test/lib.sh.

# md5_tree DIR: "md5  ./path" of every file under DIR, sorted by path.
md5_tree() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum); }

# cache_empty: no job directory (or anything else) left in the cache.
cache_empty() { [ -z "$(ls -A "$FANSTORE_CACHE")" ] || fail "left in the cache: $(ls -A "$FANSTORE_CACHE")"; }
