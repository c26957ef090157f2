#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make dist: $BUILD/vgpu-VERSION.tar.gz, the source tarball (VERSION is the
# file VERSION), every file under vgpu-VERSION/.
#
# In a git checkout it holds the files git knows or would add (tracked and
# untracked-not-ignored, as they are in the working tree: what you would
# commit); elsewhere (an unpacked tarball) every file but build/. Reproducible:
# sorted, owner 0, mtime of the last commit (or SOURCE_DATE_EPOCH).
# Prints the tarball's path.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
cd "$ROOT"
VERSION=$(cat VERSION)
NAME=vgpu-$VERSION
OUT=$BUILD/$NAME.tar.gz
mkdir -p "$BUILD"

list=$(mktemp)
trap 'rm -f "$list" "$OUT.tmp"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"	# skip files deleted, not yet committed
		done > "$list"
	epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
else
	find . -path ./build -prune -o \( -type f -o -type l \) -printf '%P\0' > "$list"
	epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y VERSION)}
fi
tar --null -T "$list" \
	--sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
	--transform "s,^,$NAME/," -cf - | gzip -n -9 > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
