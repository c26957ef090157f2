#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/packages/in-vm.sh: inside a VM whose root filesystem is the throwaway
# root into which tests/packages/run.sh installed the Debian packages with
# apt-get (DKMS built vgpu.ko there for this kernel). Runs as root with
# VGPU_ROOT and KVER set and VGPU_PKG_MEMBER / VGPU_PKG_OUTSIDER / VGPU_PKG_PROG naming the
# test users (one in group vgpu, one not) and the libvgpu program that the
# member built with pkg-config. Prints TAP:
#   - systemd-udevd (started here: virtme-ng's own resolves no group names)
#     and "modprobe vgpu" load the DKMS build from updates/dkms;
#   - the packaged udev rule gives /dev/vgpu root:vgpu 0660;
#   - the packaged vgpuctl makes a guest owned by the member;
#   - the member charges device memory through /dev/vgpu with the program,
#     and vgpuctl shows the charge on the guest's books;
#   - the outsider gets EACCES from /dev/vgpu;
#   - "modprobe -r vgpu" unloads it; no BUG/WARNING in the kernel log.
set -u
: "${VGPU_ROOT:?}" "${KVER:?}" "${VGPU_PKG_MEMBER:?}" "${VGPU_PKG_OUTSIDER:?}" "${VGPU_PKG_PROG:?}"
cd "$VGPU_ROOT" || exit 2
. tests/suites/lib/tap.sh

GUEST=pkg-guest
TMP=$(mktemp -d /tmp/vgpu-pkg-vm.XXXXXX)
DMESG_BAD='BUG:|BUG [^ ]+ \(|WARNING:|possible recursive locking|circular locking|general protection|leak|Call Trace|Oops|UBSAN:|KASAN:|refcount_t:'
udevd_started=0
cleanup() {
	[ -e /sys/module/vgpu ] && { vgpuctl guest del "$GUEST" >/dev/null 2>&1; modprobe -r vgpu >/dev/null 2>&1; }
	[ $udevd_started = 0 ] || udevadm control --exit >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
out() { "$@" >"$TMP/out" 2>&1; }
# as USER CMD...: CMD as USER with USER's groups (setpriv: no PAM session)
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- \
		env -i PATH=/usr/bin:/bin HOME="$(getent passwd "$u" | cut -d: -f6)" LANG=C.UTF-8 "$@" >"$TMP/out" 2>&1
}
json() {	# json FILE EXPR: EXPR over the guest object g of vgpuctl -j guest show
	python3 -c 'import json,sys; g=json.load(open(sys.argv[1])); g=g[0] if isinstance(g,list) else g; print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

step() { echo "# $(cut -d' ' -f1 /proc/uptime) s since boot: $*"; }

tap_start
step "start"
dmesg -C 2>/dev/null
echo "# kernel $(uname -r); root: $(awk '$2 == "/" { print $1, $3 }' /proc/mounts)"

# --- udevd with group names resolved, then modprobe ---
# virtme-ng's (--resolve-names=never) goes first; under load (TCG on a busy
# host) it can take seconds to exit, and a new daemon started meanwhile finds
# its control socket taken: wait, then kill what is left, and try thrice.
udevadm control --exit >/dev/null 2>&1
for try in 1 2 3; do
	for _ in $(seq 1 150); do pgrep -x systemd-udevd >/dev/null || break; sleep 0.2; done
	pkill -KILL -x systemd-udevd 2>/dev/null && sleep 1
	if /lib/systemd/systemd-udevd --daemon >>"$TMP/udevd" 2>&1 &&
	   udevadm control --ping --timeout=30 >>"$TMP/udevd" 2>&1; then
		udevd_started=1
		break
	fi
	echo "# udevd start, try $try, failed" >>"$TMP/udevd"
	udevadm control --exit >/dev/null 2>&1
done
step "udevd started ($udevd_started)"
want=/lib/modules/$KVER/updates/dkms/vgpu.ko
path=$(modinfo -n vgpu 2>&1)
if out modprobe vgpu && [ -e /sys/module/vgpu ] && [[ $path == "$want"* ]] &&
   [ "$(cat /sys/module/vgpu/srcversion 2>/dev/null)" = "$(modinfo -F srcversion vgpu 2>/dev/null)" ]; then
	tap_ok "modprobe vgpu loads DKMS's build ($path, signer: $(modinfo -F signer vgpu))"
else
	echo "# modinfo -n vgpu: $path (want $want*)"
	tap_fail "modprobe vgpu loads DKMS's build" "$TMP/out"
fi

udevadm settle --timeout=30 >/dev/null 2>&1
mode=$(stat -c '%U:%G %a' /dev/vgpu 2>&1)
if [ $udevd_started = 0 ]; then
	tap_fail "/dev/vgpu root:vgpu 660 # systemd-udevd did not start" "$TMP/udevd"
elif [ "$mode" = "root:vgpu 660" ]; then
	tap_ok "/dev/vgpu is $mode (systemd-udevd applied the packaged 60-vgpu.rules)"
else
	udevadm test /sys/class/misc/vgpu >"$TMP/test" 2>&1
	tail -n 20 "$TMP/test" | tap_diag /dev/stdin
	tap_fail "/dev/vgpu root:vgpu 660 # got '$mode'"
fi

step "modprobe, udev done"
# --- the packaged vgpuctl ---
uid=$(id -u "$VGPU_PKG_MEMBER")
if [ "$(readlink -f "$(command -v vgpuctl)")" = /usr/sbin/vgpuctl ] &&
   out vgpuctl guest add "$GUEST" owner "$VGPU_PKG_MEMBER" mem 64M && out vgpuctl -j guest show "$GUEST" &&
   [ "$(json "$TMP/out" 'g["uid"], g["resources"]["memory"]["limit"]')" = "($uid, $((64 << 20)))" ]; then
	tap_ok "/usr/sbin/vgpuctl: guest $GUEST owned by $VGPU_PKG_MEMBER (uid $uid), mem 64M"
else
	echo "# vgpuctl is $(command -v vgpuctl)"
	tap_fail "/usr/sbin/vgpuctl makes guest $GUEST owned by $VGPU_PKG_MEMBER, mem 64M" "$TMP/out"
fi

# --- the group member charges through /dev/vgpu ---
if as "$VGPU_PKG_MEMBER" "$VGPU_PKG_PROG" "$GUEST" && grep -q "^ledger /dev/vgpu guest [0-9]* memory [1-9]" "$TMP/out"; then
	tap_diag "$TMP/out"
	out vgpuctl -j guest show "$GUEST"
	peak=$(json "$TMP/out" 'g["resources"]["memory"]["peak"]')
	if [ "$peak" -ge $((1 << 20)) ] 2>/dev/null; then
		tap_ok "$VGPU_PKG_MEMBER (group vgpu) charged 1 MiB to $GUEST through /dev/vgpu; vgpuctl: memory peak $peak"
	else
		tap_fail "$VGPU_PKG_MEMBER's charge is on $GUEST's books # memory peak '$peak'" "$TMP/out"
	fi
else
	tap_fail "$VGPU_PKG_MEMBER (group vgpu) charges $GUEST through /dev/vgpu" "$TMP/out"
fi

# --- the LD_PRELOAD layer on the kernel's books (vgpu-preload, when built) ---
if [ -x /usr/bin/vgpu-run ]; then
	if as "$VGPU_PKG_MEMBER" vgpu-run --device-ledger --guest "$GUEST" -- sh -c 'echo "$LD_PRELOAD"' &&
	   grep -qx /usr/lib/vgpu/libvgpu-preload.so "$TMP/out"; then
		tap_ok "$VGPU_PKG_MEMBER: the packaged vgpu-run opens $GUEST's books in /dev/vgpu and preloads libvgpu-preload.so"
	else
		tap_fail "$VGPU_PKG_MEMBER: vgpu-run --device-ledger --guest $GUEST" "$TMP/out"
	fi
else
	tap_skip "vgpu-run --device-ledger" "vgpu-preload is not installed (make deb built it without the CUDA headers)"
fi

# --- outside the group: refused by the node's mode ---
if as "$VGPU_PKG_OUTSIDER" "$VGPU_PKG_PROG" "$GUEST"; then
	tap_fail "$VGPU_PKG_OUTSIDER (not in group vgpu) is refused /dev/vgpu # it ran" "$TMP/out"
elif grep -q "Permission denied" "$TMP/out" && as "$VGPU_PKG_OUTSIDER" test ! -r /dev/vgpu -a ! -w /dev/vgpu; then
	tap_ok "$VGPU_PKG_OUTSIDER (not in group vgpu) is refused /dev/vgpu (EACCES)"
else
	tap_fail "$VGPU_PKG_OUTSIDER (not in group vgpu) is refused /dev/vgpu with EACCES" "$TMP/out"
fi

# --- unload ---
vgpuctl guest del "$GUEST" >/dev/null 2>&1
if out modprobe -r vgpu && [ ! -e /sys/module/vgpu ] && [ ! -e /dev/vgpu ]; then
	tap_ok "modprobe -r vgpu: unloaded, /dev/vgpu gone"
else
	tap_fail "modprobe -r vgpu" "$TMP/out"
fi

step "unloaded"
dmesg >"$TMP/dmesg" 2>&1
if grep -aEq "$DMESG_BAD" "$TMP/dmesg"; then
	grep -aE -A 25 "$DMESG_BAD" "$TMP/dmesg" | head -n 100 | tap_diag /dev/stdin
	tap_fail "kernel log: no BUG/WARNING/lockdep/leak lines"
else
	tap_ok "kernel log: no BUG/WARNING/lockdep/leak lines"
fi
tap_diag "$TMP/dmesg"
tap_done
