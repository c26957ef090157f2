#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/packages/run.sh: the Debian packages of "make deb" installed the way
# an administrator installs them, and removed again (make check-packages;
# scripts/check.sh runs it as the suite packages/install). Prints TAP. Needs
# root and $BUILD/deb (make deb); without root every test is skipped.
#
# The packages go into a throwaway root on this machine: an overlay of / whose
# upper layer is a tmpfs, chrooted into. Nothing of it reaches the real root.
#   1. apt-get install ./vgpu-dkms ./libvgpu0 ./libvgpu-dev ./vgpu-tools
#      (./vgpu-preload when built) from dpkg's status alone (empty package
#      lists: every dependency must be installed already, nothing is
#      downloaded). DKMS builds, signs and installs vgpu.ko for each kernel of
#      build/kernels, natively (autoinstall_all_kernels, DKMS's switch for
#      "every installed kernel", set in the throwaway root only: on its own
#      the postinst builds for the running and the newest kernel).
#   2. Checked there: dkms status, the module's path, vermagic and signer,
#      the system group, a program built by an unprivileged member of group
#      vgpu with "pkg-config --cflags --libs libvgpu", vgpu-run finding the
#      packaged libvgpu-preload.so, the exporter unit enabled and verified.
#   3. For each kernel a VM (scripts/vm-run.sh with VGPU_VM_ROOT) boots with
#      that root as its root filesystem and runs tests/packages/in-vm.sh:
#      modprobe of DKMS's build, udev's rule on /dev/vgpu, vgpuctl, the
#      member charging through /dev/vgpu, the outsider refused, unload.
#   4. apt-get purge: no module in any kernel's tree, no DKMS tree, no file
#      of the packages left.
# Each step's time is printed ("# N s: ...").
#
# Env: BUILD, VGPU_KERNELS (subset of build/kernels), VGPU_PKG_VM_TIMEOUT (per
# VM, default 600 s). With VGPU_VM_KERNEL or VGPU_KDIR set (make check-debug:
# a kernel not installed from a package, which DKMS cannot build for) it skips.
set -u
: "${VGPU_ROOT:?}" "${BUILD:?}"
cd "$VGPU_ROOT" || exit 2
. tests/suites/lib/tap.sh

VERSION=$(cat VERSION)
MEMBER=vgpu-pkg-member		# in group vgpu
OUTSIDER=vgpu-pkg-outsider	# not in it
PROG=/opt/vgpu-pkgtest/books	# built by $MEMBER with pkg-config
mapfile -t KERNELS < "$BUILD/kernels"
[ -z "${VGPU_KERNELS:-}" ] || read -ra KERNELS <<< "$VGPU_KERNELS"

tap_start
T0=$(date +%s)
step() { echo "# $(($(date +%s) - T0)) s: $*"; }

if [ -n "${VGPU_VM_KERNEL:-}${VGPU_KDIR:-}" ]; then
	tap_skip "install the packages in a throwaway root and a VM per kernel" \
		"VGPU_VM_KERNEL/VGPU_KDIR name a kernel not installed from a package: DKMS has no headers to build against (make check covers the packages)"
	tap_done
fi
if [ "$(id -u)" != 0 ]; then
	tap_skip "install the packages in a throwaway root and a VM per kernel" \
		"needs root (mounts an overlay of /, chroot, apt-get)"
	tap_done
fi

PKGS=(vgpu-dkms libvgpu0 libvgpu-dev vgpu-tools vgpu-preload)
debs=()
for p in "${PKGS[@]}"; do
	f=$(ls "$BUILD/deb/${p}_$VERSION"-*.deb 2>/dev/null | sort -V | tail -n1)
	if [ -n "$f" ]; then
		debs+=("$f")
	elif [ "$p" = vgpu-preload ]; then	# built only with the CUDA headers (scripts/deb.sh)
		PKGS=("${PKGS[@]:0:4}")
	else
		ls -l "$BUILD/deb" 2>&1 | tap_diag /dev/stdin
		tap_fail "the packages of version $VERSION are in $BUILD/deb (make deb) # no $p"
		tap_done
	fi
done

W=$(mktemp -d /tmp/vgpu-pkgroot.XXXXXX)
F=$W/root
in_root() {	# in_root CMD...: CMD in the throwaway root, output in $W/out
	chroot "$F" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@" >"$W/out" 2>&1
}
as_user() {	# as_user USER CMD...: CMD as USER (with its groups) in the root
	local u=$1
	shift
	chroot "$F" setpriv --reuid="$u" --regid="$u" --init-groups -- env -i PATH=/usr/bin:/bin HOME="/home/$u" LANG=C.UTF-8 "$@" >"$W/out" 2>&1
}
CHROOT_MOUNTS=(proc dev run tmp var/lib/apt/lists var/cache/apt etc/apt/sources.list.d)
mount_chroot() {	# what apt, dpkg and DKMS need in the chroot
	mount -t proc proc "$F/proc" &&
	mount --bind /dev "$F/dev" &&
	mount -t tmpfs tmpfs "$F/run" &&
	mount -t tmpfs tmpfs "$F/tmp" &&
	# apt from dpkg's status alone: no package list, no source
	mount -t tmpfs tmpfs "$F/var/lib/apt/lists" &&
	mount -t tmpfs tmpfs "$F/var/cache/apt" &&
	mount -t tmpfs tmpfs "$F/etc/apt/sources.list.d" &&
	mkdir -p "$F/var/lib/apt/lists/partial" "$F/var/cache/apt/archives/partial"
}
umount_chroot() {	# the VM gets the root without the host's /proc and /dev
	local i
	for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
		! mountpoint -q "$F/${CHROOT_MOUNTS[$i]}" || umount "$F/${CHROOT_MOUNTS[$i]}"
	done
}
BOUND=()
cleanup() {
	local m
	umount_chroot 2>/dev/null
	for m in "${BOUND[@]}"; do umount "$F$m"; done
	! mountpoint -q "$F" || umount "$F"
	! mountpoint -q "$W" || umount "$W"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 143' TERM INT	# a timeout still unmounts everything

# --- the throwaway root ---
mkdir -p "$W"
if ! { mount -t tmpfs -o mode=0755 vgpu-pkgroot "$W" && mkdir -p "$W/upper" "$W/work" "$F" &&
       mount -t overlay overlay -o "lowerdir=/,upperdir=$W/upper,workdir=$W/work" "$F" &&
       mount_chroot; } 2>"$W.err"; then
	tap_fail "throwaway root: an overlay of / on a tmpfs" "$W.err"
	rm -f "$W.err"
	tap_done
fi
rm -f "$W.err"
# The overlay shows /'s own filesystem only: a tree on another one (a clone
# on a separate mount) is bound in, for the VM's scripts and $BUILD/deb.
for d in "$VGPU_ROOT" "$BUILD"; do
	m=$(findmnt -n -o TARGET -T "$d")
	if [ "$m" != / ] && ! mountpoint -q "$F$m"; then
		mount --bind -o ro "$m" "$F$m" && BOUND=("$m" "${BOUND[@]}")
	fi
done
: > "$F/etc/apt/sources.list"
echo 'autoinstall_all_kernels="yes"' >> "$F/etc/dkms/framework.conf"
rm -f "$F/var/lib/man-db/auto-update"	# no man index rebuild: not what is tested
mkdir -p "$F/tmp/debs"
cp "${debs[@]}" "$F/tmp/debs/"

# --- 1. apt-get install ---
step "apt-get install in the throwaway root"
t=$(date +%s)
args=()
for f in "${debs[@]}"; do args+=("/tmp/debs/${f##*/}"); done
if in_root apt-get install -y --no-install-recommends "${args[@]}"; then
	tap_ok "apt-get install $(printf './%s ' "${PKGS[@]}")(the .debs): $(($(date +%s) - t)) s, DKMS builds included"
else
	tail -n 40 "$W/out" | tap_diag /dev/stdin
	tap_fail "apt-get install $(printf './%s ' "${PKGS[@]}")(the .debs)"
	tap_done
fi
grep -E '^(Building|Creating group|Sign|Loading|Installing to|Error|.*[Ff]ailed)' "$W/out" | tap_diag /dev/stdin

# --- 2. DKMS, per kernel ---
in_root dkms status vgpu
cp "$W/out" "$W/dkms"
tap_diag "$W/dkms"
for k in "${KERNELS[@]}"; do
	why=""
	grep -q "^vgpu/$VERSION, $k, [^:]*: installed" "$W/dkms" || why="dkms status: not installed for $k"
	in_root modinfo -k "$k" -n vgpu
	path=$(cat "$W/out")
	[[ $path == /lib/modules/$k/updates/dkms/vgpu.ko* ]] || why="${why:+$why; }modinfo -k $k -n vgpu: $path"
	in_root modinfo -k "$k" -F vermagic vgpu
	[[ $(cat "$W/out") == "$k "* ]] || why="${why:+$why; }vermagic '$(cat "$W/out")'"
	in_root modinfo -k "$k" -F signer vgpu
	signer=$(cat "$W/out")
	if [ -s "$F/var/lib/dkms/mok.pub" ] && [ "$signer" != "DKMS module signing key" ]; then
		why="${why:+$why; }not signed with /var/lib/dkms/mok.pub's key (signer '$signer')"
	fi
	if [ -z "$why" ]; then
		tap_ok "DKMS built and installed vgpu/$VERSION for $k: $path, signed by '${signer:-nobody}'"
	else
		tap_fail "DKMS built and installed vgpu/$VERSION for $k # $why"
	fi
done

# --- 3. the group, the users, a program built with pkg-config ---
in_root getent group vgpu
grp=$(cat "$W/out")
gid=$(echo "$grp" | cut -d: -f3)
if [ -n "$gid" ] && [ "$gid" -lt 1000 ]; then
	tap_ok "system group vgpu made by the package (gid $gid)"
else
	tap_fail "system group vgpu made by the package # getent: '$grp'"
fi
in_root useradd -m -G vgpu "$MEMBER" && in_root useradd -m "$OUTSIDER" ||
	tap_diag "$W/out"
install -d -m 0755 -o "$(chroot "$F" id -u "$MEMBER")" "$F${PROG%/*}"
cp tests/packages/books.c "$F${PROG%/*}/books.c"
step "a libvgpu program built by $MEMBER with pkg-config"
if chroot "$F" id -nG "$MEMBER" | grep -qw vgpu &&
   as_user "$MEMBER" sh -c "cd ${PROG%/*} && cc -O2 -Wall -Werror -o $PROG books.c \$(pkg-config --cflags --libs libvgpu) && ldd $PROG" &&
   grep -Eq "libvgpu.so.0 => (/usr)?/lib/[^ ]*/libvgpu.so.0" "$W/out"; then
	tap_ok "$MEMBER (group vgpu) builds a libvgpu program with pkg-config --cflags --libs libvgpu; it links the packaged libvgpu.so.0"
else
	tap_fail "$MEMBER builds a libvgpu program with pkg-config --cflags --libs libvgpu" "$W/out"
fi

# --- 4. the LD_PRELOAD layer, the exporter unit ---
if [ "${#PKGS[@]}" = 5 ]; then
	if as_user "$MEMBER" vgpu-run --in-process --guest pkgtest -- sh -c 'echo "$LD_PRELOAD"' &&
	   grep -qx '/usr/lib/vgpu/libvgpu-preload.so' "$W/out"; then
		tap_ok "vgpu-preload: vgpu-run runs a command with /usr/lib/vgpu/libvgpu-preload.so preloaded"
	else
		tap_fail "vgpu-preload: vgpu-run preloads /usr/lib/vgpu/libvgpu-preload.so" "$W/out"
	fi
else
	tap_skip "vgpu-preload: vgpu-run preloads the packaged library" \
		"make deb built no vgpu-preload (no CUDA headers at build time, see scripts/deb.sh)"
fi
if [ -L "$F/etc/systemd/system/multi-user.target.wants/vgpu-exporter.service" ] &&
   MANPATH=$F/usr/share/man systemd-analyze verify --root="$F" vgpu-exporter.service >"$W/out" 2>&1 && [ ! -s "$W/out" ]; then
	tap_ok "vgpu-exporter.service enabled by the package; systemd-analyze verify of the installed unit is clean"
else
	tap_fail "vgpu-exporter.service enabled and verified" "$W/out"
fi

# --- 5. a VM per kernel on the throwaway root ---
in_root dpkg -L "${PKGS[@]}"
grep -v '^/\.$' "$W/out" | sort > "$W/files"
umount_chroot
for k in "${KERNELS[@]}"; do
	step "VM $k on the throwaway root"
	t=$(date +%s)
	tap_sub "in a VM of $k: modprobe, udev rule, vgpuctl, a member charges, an outsider is refused" \
		env VGPU_VM_ROOT="$F" VGPU_VM_TIMEOUT="${VGPU_PKG_VM_TIMEOUT:-600}" VGPU_PKG_MEMBER="$MEMBER" \
		VGPU_PKG_OUTSIDER="$OUTSIDER" VGPU_PKG_PROG="$PROG" bash scripts/vm-run.sh "$k" tests/packages/in-vm.sh
	step "VM $k: $(($(date +%s) - t)) s"
done

# --- 6. apt-get purge ---
step "apt-get purge"
mount_chroot || tap_diag /dev/null
t=$(date +%s)
if in_root apt-get purge -y "${PKGS[@]}"; then
	why=""
	in_root dkms status
	[ ! -s "$W/out" ] || why="dkms status: $(cat "$W/out")"
	left=$(cd "$F" && ls -d lib/modules/*/updates/dkms/vgpu.ko* usr/src/vgpu-* var/lib/dkms/vgpu 2>/dev/null)
	[ -z "$left" ] || why="${why:+$why; }left: $(echo $left)"
	for k in "${KERNELS[@]}"; do
		! in_root modinfo -k "$k" -n vgpu || why="${why:+$why; }modinfo -k $k still finds $(cat "$W/out")"
	done
	while read -r f; do
		[ -d "$F$f" ] || [ ! -e "$F$f" ] || why="${why:+$why; }$f left"
	done < "$W/files"
	if [ -z "$why" ]; then
		tap_ok "apt-get purge ${PKGS[*]}: $(($(date +%s) - t)) s; no module in any kernel's tree, no DKMS tree, none of the $(wc -l < "$W/files") packaged paths left"
	else
		tap_fail "apt-get purge removes everything # $why"
	fi
else
	tail -n 20 "$W/out" | tap_diag /dev/stdin
	tap_fail "apt-get purge ${PKGS[*]}"
fi
step "done"
tap_done
