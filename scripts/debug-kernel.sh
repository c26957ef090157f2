#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh: the debug kernel `make check-debug` boots, built once per
# machine and cached outside the clone.
#
#   scripts/debug-kernel.sh          build it unless cached; print where it is
#   scripts/debug-kernel.sh --print  print where it is; exit 1 when not built
#
# Built from Debian's kernel source package (linux-source-6.12, the same
# tree as the 6.12 kernel make check boots) with virtme-ng's minimal VM
# configuration (vng --kconfig, over x86_64 defconfig) and the fragment
# scripts/debug-kernel.config merged over it: KASAN, lockdep (PROVE_LOCKING),
# kmemleak, DEBUG_ATOMIC_SLEEP and fault injection (failslab,
# fail_page_alloc, fail_usercopy, fail-nth). Every =y of the fragment is
# checked in the final .config: a build that lost one fails.
#
# The cache is $VGPU_DEBUG_KERNEL_CACHE (default /var/cache/vgpu-debug-kernel)/
# <source package version>-<fragment hash>/; a finished build has the file
# "release" there. Builds are serialised by a lock in the cache, run under
# nice -n 19 with -j$(nproc), and write their log and duration
# (build.log, build-seconds) next to the tree.
#
# Output (stdout, one per line): KDIR=<tree for building modules>
# KIMG=<bzImage> KRELEASE=<uname -r of the kernel>.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${VGPU_DEBUG_KERNEL_CACHE:-/var/cache/vgpu-debug-kernel}
PKG=linux-source-6.12
FRAG=$ROOT/scripts/debug-kernel.config
TARBALL=/usr/src/$PKG.tar.xz

log() { echo "debug-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

print_only=0
case "${1:-}" in
--print) print_only=1 ;;
"") ;;
*) die "usage: $0 [--print]" ;;
esac

need_pkgs() {	# install what the build needs (Debian), like scripts/deps.sh
	local p missing=()
	for p in "$PKG" bison flex libelf-dev libssl-dev bc cpio; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] ||
			missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || die "need root to install ${missing[*]}"
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
		install -y --no-install-recommends "${missing[@]}" >&2
}

pkgver=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null || true)
if [ -z "$pkgver" ]; then
	[ $print_only = 0 ] || exit 1
	need_pkgs
	pkgver=$(dpkg-query -W -f='${Version}' "$PKG")
fi
fraghash=$(sha256sum "$FRAG" | cut -c1-12)
DIR=$CACHE/$pkgver-$fraghash
SRC=$DIR/src

report() {
	echo "KDIR=$SRC"
	echo "KIMG=$SRC/arch/x86/boot/bzImage"
	echo "KRELEASE=$(cat "$DIR/release")"
}

if [ -f "$DIR/release" ]; then
	report
	exit 0
fi
[ $print_only = 0 ] || exit 1

need_pkgs
command -v vng >/dev/null || die "vng (virtme-ng) not found: run scripts/deps.sh"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
log "waiting for the cache lock ($CACHE/.lock)"
flock 9
if [ -f "$DIR/release" ]; then	# built while we waited
	report
	exit 0
fi

rm -rf "$DIR"
mkdir -p "$SRC"
t0=$(date +%s)
BLOG=$DIR/build.log
log "building in $DIR (log: $BLOG); this takes long (see README.md)"
{
	echo "extracting $TARBALL"
	tar -xJf "$TARBALL" -C "$SRC" --strip-components=1
	cd "$SRC"
	echo "configuring: vng --kconfig --config $FRAG"
	vng --kconfig
	# merged once more over what virtme-ng appended (it sets debug info)
	scripts/kconfig/merge_config.sh -m .config "$FRAG"
	make olddefconfig
	# every =y and =n of the fragment must have survived olddefconfig
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=y)
			grep -qx "$line" .config || { echo "missing in .config: $line"; bad=1; } ;;
		CONFIG_*=n)
			! grep -q "^${line%=n}=[ym]" .config || { echo "still set in .config: ${line%=n}"; bad=1; } ;;
		esac
	done < "$FRAG"
	[ $bad = 0 ] || { echo "the fragment did not apply"; exit 1; }
	echo "building"
	nice -n 19 make -j"$(nproc)" bzImage modules
	nice -n 19 make -j"$(nproc)" modules_prepare
	make -s kernelrelease > "$DIR/release.tmp"
} > "$BLOG" 2>&1 || { tail -n 30 "$BLOG" >&2; die "build failed, log: $BLOG"; }
t1=$(date +%s)
echo $((t1 - t0)) > "$DIR/build-seconds"
mv "$DIR/release.tmp" "$DIR/release"
log "built $(cat "$DIR/release") in $((t1 - t0)) s"
report
