#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: the Debian packages, built the Debian way from the source tarball.
#
#   scripts/deb.sh              make dist, unpack it in $BUILD/deb, run
#                               dpkg-buildpackage -us -uc -b there; the .debs,
#                               .buildinfo and .changes land in $BUILD/deb
#   scripts/deb.sh --lintian    lintian on $BUILD/deb/*.changes (-I -E): any
#                               error or warning fails (overrides, each with
#                               its reason, are in debian/*.lintian-overrides)
#
# Packages (debian/control): vgpu-dkms, libvgpu0, libvgpu-dev, vgpu-tools,
# and vgpu-preload when the CUDA headers are in $CUDA_INC (default
# /usr/local/cuda/include); without them it builds with the profile
# pkg.vgpu.nocuda, which leaves vgpu-preload out, and says so.
# Needs debhelper, dh-dkms, dpkg-dev, lintian (scripts/deps.sh installs them).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT=$BUILD/deb
VERSION=$(cat "$ROOT/VERSION")

if [ "${1:-}" = --lintian ]; then
	changes=$(ls "$OUT"/vgpu_*.changes 2>/dev/null | head -n1)
	[ -n "$changes" ] || { echo "deb: no $OUT/vgpu_*.changes: run make deb first" >&2; exit 2; }
	# --fail-on: error and warning tags fail; info/pedantic are printed only.
	exec lintian -I -E --fail-on error,warning "$changes"
fi

tarball=$(bash "$ROOT/scripts/dist.sh" | tail -n1)
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$tarball" "$OUT/vgpu_$VERSION.orig.tar.gz"
tar -xzf "$tarball" -C "$OUT"
cd "$OUT/vgpu-$VERSION"
# The package builds in its own tree with its own build/ folder: nothing of
# the caller's make or check environment may leak into it.
unset BUILD MAKEFLAGS MFLAGS MAKELEVEL PREFIX DESTDIR LIBDIR
while read -r v; do unset "$v"; done < <(compgen -e | grep '^VGPU_' || true)
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=$(nproc)"
export CUDA_INC=${CUDA_INC:-/usr/local/cuda/include}
profiles=()
if [ ! -f "$CUDA_INC/cuda.h" ] || [ ! -f "$CUDA_INC/cudaTypedefs.h" ]; then
	echo "deb: no cuda.h/cudaTypedefs.h in $CUDA_INC: building without vgpu-preload (profile pkg.vgpu.nocuda)"
	profiles=(-Ppkg.vgpu.nocuda)
fi
dpkg-buildpackage -us -uc -b "${profiles[@]}"
cd "$OUT"
echo "deb: built in $OUT:"
ls -1 "$OUT"/*.deb
