#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing vgpu needs; idempotent.
#
# Debian 12 (bookworm), the supported platform:
#   build tools, libnl-3/libnl-genl-3, liburing, valgrind, OpenCL (pocl),
#   packaging (debhelper, dh-dkms, lintian; dkms, openssl for its signing key,
#   systemd and udev: the VM installs the packages from this machine's root),
#   qemu-system-x86, virtme-ng (from trixie, pinned at priority 100 so that
#   nothing else is taken from trixie), linux-source-6.1 (for the kselftest
#   harness headers) and two kernels to test the module on, image + headers:
#     - bookworm's current 6.1 ABI (what linux-image-amd64 depends on),
#     - the newest versioned 6.12.N+deb12 (bookworm-security; bookworm-backports
#       is added only when no 6.12 is found). Never the backports metapackages.
# Ubuntu (best effort, untested by us): the same userspace packages from
#   Ubuntu's archive (virtme-ng from universe when it exists) and, as the only
#   VM kernel, the running kernel (linux-image/linux-headers-$(uname -r));
#   the kselftest headers come from Ubuntu's linux-source package. No Debian
#   or trixie sources are added on Ubuntu.
#
# Writes build/kernels (one kernel version per line) and extracts the
# kselftest headers into build/kselftest/. When everything is present already,
# it runs no apt command that changes anything (dpkg-query and apt-cache only).
#
# Env: BUILD (default: <repo>/build); VGPU_DEPS_FORCE=1 takes the install path
# even when everything is present (apt-get update + install, a no-op then).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
mkdir -p "$BUILD"

log() { echo "deps: $*"; }
die() { echo "deps: error: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo env DEBIAN_FRONTEND=noninteractive)	# sudo resets the environment
else
	SUDO=()	# we will fail on the first command that needs root, saying why
fi
as_root() {
	if [ "$(id -u)" -ne 0 ] && [ ${#SUDO[@]} -eq 0 ]; then
		die "need root for: $* (run as root or install sudo)"
	fi
	"${SUDO[@]}" "$@"
}
export DEBIAN_FRONTEND=noninteractive

. /etc/os-release
case "${ID:-}" in
debian) DISTRO=debian ;;
ubuntu) DISTRO=ubuntu; log "Ubuntu ${VERSION_ID:-?}: best effort (see the header of this script)" ;;
*) die "unsupported distribution '${ID:-unknown}' (Debian 12 is supported, Ubuntu best effort)" ;;
esac
if [ "$DISTRO" = debian ] && [ "${VERSION_CODENAME:-}" != bookworm ]; then
	log "warning: Debian ${VERSION_CODENAME:-?}, not bookworm: kernel choice may not apply"
fi

COMMON_PKGS=(build-essential busybox-static pkg-config libnl-3-dev libnl-genl-3-dev libmicrohttpd-dev liburing-dev valgrind
	     python3-yaml python3-jsonschema
	     qemu-system-x86 pocl-opencl-icd ocl-icd-opencl-dev opencl-headers
	     debhelper dh-dkms dkms lintian openssl systemd udev
	     clang-16 llvm-16-dev)	# libvgpu's CPU compiler: clang's CUDA front end + an LLVM pass

# Which of the given packages are not installed (prints them).
missing_pkgs() {
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || echo "$p"
	done
}

# --- kernel choice (reads the apt lists, changes nothing) ---
KERNELS=()
choose_kernels() {
	KERNELS=()
	if [ "$DISTRO" = ubuntu ]; then
		KERNELS=("$(uname -r)")
		return
	fi
	local k61 k612
	k61=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1)
	k612=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -n1)
	[ -n "$k61" ] && KERNELS+=("${k61#linux-image-}")
	[ -n "$k612" ] && KERNELS+=("${k612#linux-image-}")
	return 0
}

kernel_pkgs() {
	local k
	for k in "${KERNELS[@]}"; do
		echo "linux-image-$k" "linux-headers-$k"
	done
}

wanted_pkgs() {
	if [ "$DISTRO" = debian ]; then
		echo "${COMMON_PKGS[@]}" virtme-ng linux-source-6.1 linux-source-6.12 $(kernel_pkgs)
	else
		echo "${COMMON_PKGS[@]}" linux-source $(kernel_pkgs)
	fi
}

apt_update() {
	log "apt-get update"
	as_root apt-get update -qq
}

# Debian: a trixie source pinned at 100, only for virtme-ng.
ensure_trixie() {
	local pin=/etc/apt/preferences.d/vgpu-trixie
	if ! apt-cache policy 2>/dev/null | grep -q 'n=trixie'; then
		log "adding a trixie apt source (for virtme-ng only)"
		as_root tee /etc/apt/sources.list.d/vgpu-trixie.sources >/dev/null <<-EOF
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: trixie
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
	fi
	# Pin even when someone else added the source: trixie must never win.
	if ! grep -qs 'n=trixie' /etc/apt/preferences.d/* 2>/dev/null; then
		log "pinning trixie at priority 100"
		as_root tee "$pin" >/dev/null <<-EOF
		Package: *
		Pin: release n=trixie
		Pin-Priority: 100
		EOF
	fi
}

# Debian: bookworm-backports (pinned at 100, as Debian does by default), only
# when bookworm-security carries no 6.12.
ensure_backports() {
	if apt-cache policy 2>/dev/null | grep -q 'n=bookworm-backports'; then
		return
	fi
	log "no 6.12 kernel in the configured suites: adding bookworm-backports"
	as_root tee /etc/apt/sources.list.d/vgpu-backports.sources >/dev/null <<-EOF
	Types: deb
	URIs: http://deb.debian.org/debian
	Suites: bookworm-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	if ! grep -qs 'n=bookworm-backports' /etc/apt/preferences.d/* 2>/dev/null; then
		as_root tee /etc/apt/preferences.d/vgpu-backports >/dev/null <<-EOF
		Package: *
		Pin: release n=bookworm-backports
		Pin-Priority: 100
		EOF
	fi
	apt_update
}

install_all() {
	if [ "$DISTRO" = debian ]; then
		ensure_trixie
		apt_update
		choose_kernels
		if [ ${#KERNELS[@]} -lt 2 ]; then
			ensure_backports
			choose_kernels
		fi
		[ ${#KERNELS[@]} -eq 2 ] || die "could not find both kernels (found: ${KERNELS[*]:-none})"
		local rest
		if [ "${VGPU_DEPS_FORCE:-0}" = 1 ]; then
			rest=$(wanted_pkgs | tr ' ' '\n' | grep -vx virtme-ng || true)
		else
			rest=$(missing_pkgs $(wanted_pkgs) | grep -vx virtme-ng || true)
		fi
		if [ -n "$rest" ]; then
			log "installing: $(echo $rest)"
			# shellcheck disable=SC2086
			as_root apt-get install -y -q --no-install-recommends $rest
		fi
		if [ -n "$(missing_pkgs virtme-ng)" ] || [ "${VGPU_DEPS_FORCE:-0}" = 1 ]; then
			log "installing virtme-ng/trixie"
			as_root apt-get install -y -q --no-install-recommends virtme-ng/trixie
		fi
	else
		apt_update
		choose_kernels
		# shellcheck disable=SC2046
		as_root apt-get install -y -q --no-install-recommends $(missing_pkgs $(wanted_pkgs))
		if [ -n "$(missing_pkgs virtme-ng)" ] && ! command -v vng >/dev/null; then
			as_root apt-get install -y -q --no-install-recommends virtme-ng ||
				log "warning: virtme-ng is not in this Ubuntu's archive: VM tests cannot run"
		fi
	fi
}

# --- main ---
# Fast path: the kernels chosen by an earlier run, when still installed (the
# apt cache queries cost ~1.5 s each). Remove build/kernels to choose anew.
KERNELS=()
if [ -s "$BUILD/kernels" ]; then
	mapfile -t KERNELS < "$BUILD/kernels"
fi
if [ ${#KERNELS[@]} -eq 0 ] || [ -n "$(missing_pkgs $(kernel_pkgs))" ]; then
	choose_kernels
else
	log "kernels from $BUILD/kernels (remove it to pick the newest again)"
fi
missing=""
if [ ${#KERNELS[@]} -ge 1 ] && { [ "$DISTRO" = ubuntu ] || [ ${#KERNELS[@]} -eq 2 ]; }; then
	missing=$(missing_pkgs $(wanted_pkgs) | tr '\n' ' ')
else
	missing="(kernels unknown)"
fi
if [ -z "${missing// /}" ] && command -v vng >/dev/null && [ "${VGPU_DEPS_FORCE:-0}" != 1 ]; then
	log "all packages present"
else
	log "missing: $missing"
	install_all
	missing=$(missing_pkgs $(wanted_pkgs) | tr '\n' ' ')
	[ -z "${missing// /}" ] || [ "$DISTRO" = ubuntu ] || die "still missing after install: $missing"
fi

printf '%s\n' "${KERNELS[@]}" > "$BUILD/kernels.tmp"
mv "$BUILD/kernels.tmp" "$BUILD/kernels"
log "kernels: $(echo $(cat "$BUILD/kernels"))"
for k in "${KERNELS[@]}"; do
	[ -r "/boot/vmlinuz-$k" ] || log "warning: /boot/vmlinuz-$k is not readable"
	[ -d "/lib/modules/$k/build" ] || log "warning: no headers at /lib/modules/$k/build"
done

# --- kselftest harness headers (never committed: extracted here) ---
KS=$BUILD/kselftest
if [ -s "$KS/kselftest_harness.h" ] && [ -s "$KS/kselftest.h" ]; then
	log "kselftest headers present"
else
	log "extracting kselftest headers into $KS"
	mkdir -p "$KS.tmp"
	if [ "$DISTRO" = debian ]; then
		src=/usr/src/linux-source-6.1.tar.xz	# installed by linux-source-6.1
	else
		src=$(ls /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V | tail -n1)
	fi
	[ -r "$src" ] || die "no kernel source tarball found (${src:-/usr/src/linux-source-*})"
	tar -xaf "$src" -C "$KS.tmp" --wildcards --no-anchored --strip-components=4 \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/lib.mk'
	mkdir -p "$KS"
	mv "$KS.tmp"/* "$KS/" && rmdir "$KS.tmp"
	[ -s "$KS/kselftest_harness.h" ] || die "kselftest_harness.h not found in $src"
fi

# --- the kernel's YNL CLI (tools/net/ynl, 6.12 source), for vm/25-ynl ---
# cli.py and its library, with the genetlink schemas it validates a spec
# against; never committed. Optional: without it vm/25-ynl skips and says why.
YNL=$BUILD/ynl
src=$(ls /usr/src/linux-source-6.1[2-9].tar.* /usr/src/linux-source-[7-9].*.tar.* 2>/dev/null | sort -V | tail -n1 || true)
if [ -s "$YNL/tools/net/ynl/cli.py" ] && [ -s "$YNL/Documentation/netlink/genetlink-c.yaml" ]; then
	log "YNL CLI present"
elif [ -z "$src" ]; then
	log "warning: no linux-source >= 6.12 tarball: the YNL CLI test will skip"
else
	log "extracting the YNL CLI from $src into $YNL"
	rm -rf "$YNL.tmp"
	mkdir -p "$YNL.tmp"
	if tar -xaf "$src" -C "$YNL.tmp" --wildcards --no-anchored --strip-components=1 \
		'*/tools/net/ynl/cli.py' '*/tools/net/ynl/lib/*.py' \
		'*/Documentation/netlink/genetlink*.yaml'; then
		rm -rf "$YNL" && mv "$YNL.tmp" "$YNL"
	else
		rm -rf "$YNL.tmp"
		log "warning: could not extract the YNL CLI from $src"
	fi
fi
