#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (scripts/vm-run.sh KVER scripts/in-vm.sh), as root,
# from the repository root, with VGPU_ROOT, BUILD and KVER set.
#
# Loads $BUILD/kmod/$KVER/vgpu.ko, runs every executable tests/suites/vm/*
# in name order (each under VGPU_SUITE_TIMEOUT seconds, default 300), unloads
# the module and checks the kernel log. Every suite's output is framed by
#   === vgpu suite: vm/NAME ===
#   === vgpu suite end: vm/NAME rc=N ===
# lines, which scripts/check.sh uses to count each suite's TAP lines. The
# runner's own checks are two suites of their own: vm/load (insmod, the device
# node) and vm/unload (rmmod: a failure means a leaked reference; and the one
# kernel-log check of the tests: no BUG/WARNING/lockdep/leak lines during each
# suite, one result per suite, and after the unload). VGPU_VM_SUITES (names,
# e.g. "20-tools 25-ynl") runs only those suites. The last line is
# "=== vgpu vm done ===". Exits 0 when everything passed.
set -uo pipefail

: "${VGPU_ROOT:?}" "${BUILD:?}" "${KVER:?}"
cd "$VGPU_ROOT" || exit 2
TMO=${VGPU_SUITE_TIMEOUT:-300}
KO=$BUILD/kmod/$KVER/vgpu.ko
# Kernel log lines that fail the run (only lines logged after boot count).
# slub_debug reports start "BUG <cache> (<taint>): <what>".
DMESG_BAD='BUG:|BUG [^ ]+ \(|WARNING:|possible recursive locking|circular locking|INFO: task .* blocked|general protection|leak|Call Trace|Oops|UBSAN:|KASAN:|refcount_t:'

. tests/suites/lib/tap.sh
failed=0
begin() { echo "=== vgpu suite: $1 ==="; TAP_N=0; TAP_FAILED=0; }
end() { echo "=== vgpu suite end: $1 rc=$2 ==="; }
tap() {	# tap N ok|not-ok TEXT
	if [ "$2" = ok ]; then tap_ok "$3"; else tap_fail "$3"; failed=1; fi
}

# dmesg_since_last NAME: the kernel log lines since the last call, kept for
# vm/unload's verdict on NAME ("ok" or the offending lines)
dmesg_seen=0
DMESG_NAMES=()
DMESG_BADLINES=()
dmesg_since_last() {
	local log bad
	log=$(dmesg 2>/dev/null | tail -n +$((dmesg_seen + 1)))
	dmesg_seen=$((dmesg_seen + $(printf '%s' "$log" | grep -c '')))
	bad=$(printf '%s\n' "$log" | grep -aE -A 25 "$DMESG_BAD" | head -n 200)
	DMESG_NAMES+=("$1")
	DMESG_BADLINES+=("$bad")
}

echo "# vm: kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
mkdir -p /tmp/vgpu

# Keep the boot log apart: boot-time noise (TCG, firmware) is not ours.
dmesg > /tmp/vgpu/dmesg-boot.txt 2>&1
dmesg -C 2>/dev/null || true

mapfile -t suites < <(find tests/suites/vm -mindepth 1 -maxdepth 1 -type f -perm -u+x 2>/dev/null | sort)
if [ -n "${VGPU_VM_SUITES:-}" ]; then
	mapfile -t suites < <(printf '%s\n' "${suites[@]}" | grep -E "/($(echo $VGPU_VM_SUITES | tr ' ' '|'))\$")
fi

begin vm/load
echo "1..3"
loaded=0
if [ ! -f "$KO" ]; then
	tap 1 not-ok "insmod vgpu.ko # $KO does not exist"
elif out=$(insmod "$KO" 2>&1); then
	loaded=1
	tap 1 ok "insmod vgpu.ko"
else
	echo "# insmod $KO failed: $out"
	dmesg | tail -n 20 | sed 's/^/# dmesg: /'
	tap 1 not-ok "insmod vgpu.ko"
fi
if [ $loaded = 1 ]; then
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -c /dev/vgpu ] && break
		sleep 0.2
	done
	if [ -c /dev/vgpu ]; then
		tap 2 ok "/dev/vgpu exists"
	else
		tap 2 not-ok "/dev/vgpu exists # no character device /dev/vgpu after insmod"
	fi
else
	tap 2 not-ok "/dev/vgpu exists # module not loaded"
fi
# vm-run.sh boots with slub_debug=FZP,vgpu_obj: reads of freed objects
# return poison, writes to them are reported
if [ $loaded = 1 ] && [ "$(cat /sys/kernel/slab/vgpu_obj/poison 2>/dev/null)" = 1 ]; then
	tap 3 ok "slab cache vgpu_obj is poisoned"
else
	echo "# /sys/kernel/slab/vgpu_obj/poison: $(cat /sys/kernel/slab/vgpu_obj/poison 2>&1)"
	tap 3 not-ok "slab cache vgpu_obj is poisoned"
fi
end vm/load $failed
dmesg_since_last "vm/load (insmod)"

for s in "${suites[@]}"; do
	name=vm/${s##*/}
	begin "$name"
	if [ $loaded = 0 ]; then
		echo "# not run: the module did not load"
		end "$name" 1
		failed=1
		continue
	fi
	t0=$(date +%s)
	timeout --kill-after=10 "$TMO" "$s" </dev/null 2>&1
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "# $name timed out after ${TMO}s"
	elif [ $rc -gt 128 ]; then
		echo "# $name killed by signal $((rc - 128))"
	fi
	echo "# $name: rc=$rc, $(($(date +%s) - t0)) s"
	[ $rc = 0 ] || failed=1
	end "$name" $rc
	dmesg_since_last "$name"
done

begin vm/unload
ufail=$failed
failed=0
if [ $loaded = 1 ]; then
	if out=$(rmmod vgpu 2>&1); then
		tap 1 ok "rmmod vgpu"
	else
		echo "# rmmod failed (a leaked reference or a process still holding /dev/vgpu): $out"
		lsmod 2>/dev/null | grep -w vgpu | sed 's/^/# lsmod: /'
		tap 1 not-ok "rmmod vgpu"
	fi
else
	tap 1 not-ok "rmmod vgpu # module not loaded"
fi
dmesg_since_last "rmmod"
for i in "${!DMESG_NAMES[@]}"; do
	what="dmesg: no BUG/WARNING/lockdep/leak/Call Trace lines during ${DMESG_NAMES[$i]}"
	if [ -n "${DMESG_BADLINES[$i]}" ]; then
		printf '%s\n' "${DMESG_BADLINES[$i]}" | sed 's/^/# dmesg: /'
		tap - not-ok "$what"
	else
		tap - ok "$what"
	fi
done
dmesg > /tmp/vgpu/dmesg.txt 2>&1
echo "1..$TAP_N"
end vm/unload $failed
[ $ufail = 0 ] || failed=1

echo "--- kernel log since the module was loaded ---"
sed 's/^/# /' /tmp/vgpu/dmesg.txt
echo "=== vgpu vm done ==="
exit $failed
