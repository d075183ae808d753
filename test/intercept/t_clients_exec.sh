#!/usr/bin/env bash
# Real clients under fanstore-exec with 2 ranks, each its own node where
# possible (so the other partition's files come through the launcher's
# socket): find, ls -lR, du -s --apparent-size, md5sum of every file, cat,
# wc -c < file, diff -r, tar cf - | tar tvf -, cp -r out, stat, bash glob
# and cd print on every rank what they print over the original tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
need_build
src_tree
"$PREP" -q -n 2 -l 6 -o "$T/ds" "$T/src"
cat >"$T/clients.sh" <<'SH'
# clients.sh ROOT SRC COPY: every client over ROOT, paths printed as ROOT
ROOT=$1 SRC=$2 COPY=$3
{
echo "== find"
cd / && find "$ROOT" -mindepth 1 ! -type d -printf "%P %y %s %m %T@ %l %n\n" | sort
find "$ROOT" -mindepth 1 -type d -printf "%P %y %m %n\n" | sort
echo "== ls -lR"
ls -lRn --time-style=+%s.%N "$ROOT" | tail -n +3
echo "== du"
du -s --apparent-size --block-size=1 "$ROOT"/*
echo "== md5sum"
(cd "$ROOT" && find . -type f -print0 | sort -z | xargs -0 md5sum)
echo "== cat"
(cd "$ROOT" && find . -type f | sort | while read -r f; do cat "$f" | md5sum; done)
echo "== wc -c <"
for f in f0006.txt f0012.txt d00/f0013.bin d03/f0004.txt; do wc -c <"$ROOT/$f"; done
echo "== diff -r"
diff -r --no-dereference "$SRC" "$ROOT"; echo "diff exit $?"
echo "== tar"
tar -C "$ROOT" --sort=name --numeric-owner -cf - . | tar tvf - | grep -v " \./$"
echo "== cp -r"
rm -rf "$COPY" && cp -r "$ROOT" "$COPY" && diff -r --no-dereference "$SRC" "$COPY"; echo "cp+diff exit $?"
rm -rf "$COPY"
echo "== stat"
cd "$ROOT" && stat -c "%n %s %f %Y %h %b" f0006.txt d00/f0013.bin d00 link_to_f0000 dangling
echo "== glob and cd"
echo "$ROOT"/*.txt "$ROOT"/d*/*.bin
cd "$ROOT/d00" && pwd && echo * && cd ../d01 && pwd && cat ./*.txt | wc -c && /bin/pwd
} 2>&1 | sed "s|$ROOT|ROOT|g"
SH
bash "$T/clients.sh" "$T/src" "$T/src" "$T/copy.orig" >"$T/want"
grep -q "^diff exit 0$" "$T/want" && grep -q "^cp+diff exit 0$" "$T/want" ||
	fail "the clients do not run cleanly on the original tree: $(cat "$T/want")"
cat >"$T/rank.sh" <<SH
bash "$T/clients.sh" /fanstore "$T/src" "$T/copy.\$RANK" >"$T/out.\$RANK"
SH
if can_nodes; then
	where="2 ranks as 2 nodes"
	run_nodes 2 --data "$T/ds" -- sh "$T/rank.sh" >"$T/log" 2>&1 || { cat "$T/log"; fail "$where: the job failed"; }
else
	where="2 ranks on one node"
	run 2 --data "$T/ds" -- sh "$T/rank.sh" >"$T/log" 2>&1 || { cat "$T/log"; fail "$where: the job failed"; }
fi
for r in 0 1; do
	diff -u "$T/want" "$T/out.$r" >"$T/diff" ||
		{ head -40 "$T/diff"; fail "$where: rank $r: the clients print something else than on the original tree"; }
done
ok "$where: every client prints on every rank what it prints over the original tree ($(wc -l <"$T/want") lines)"
