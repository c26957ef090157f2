#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the kernel-side VM suites on a debug kernel with KASAN,
# lockdep, kmemleak, DEBUG_ATOMIC_SLEEP and fault injection:
#   vm/10-selftests  the kselftests, the race tests among them
#   vm/12-rmmod-busy, vm/15-tracepoints
#   vm/40-fuzz       the fuzzer, then its leak checks and a kmemleak scan
#   vm/45-failnth    the fail-nth sweep over every ioctl and netlink
#                    operation, the books checked after each step, then a
#                    kmemleak scan
# plus vm/load and vm/unload (insmod, rmmod, the kernel-log check of every
# suite). Any KASAN, lockdep, kmemleak or WARNING report fails the run (the
# dmesg check of scripts/in-vm.sh, the kmemleak scans of the suites). The
# host suites and the Debian packages do not depend on the kernel and are
# not run here (make check runs them).
#
# The kernel is built once per machine by scripts/debug-kernel.sh and cached
# in /var/cache/vgpu-debug-kernel (README.md gives the cost).
#
# Env: as scripts/check.sh; VGPU_VM_SUITES (default: the suites above; "all":
# every VM suite), VGPU_FUZZ_SECONDS (default 120 here).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
fail() {	# before check.sh runs: one failure, the standard last line
	echo "check-debug: $*"
	echo "vgpu: 0 passed, 1 failed, 0 skipped"
	exit 1
}
bash scripts/deps.sh >/dev/null || fail "scripts/deps.sh failed"
out=$(bash scripts/debug-kernel.sh) || fail "no debug kernel (scripts/debug-kernel.sh failed)"
KDIR=$(sed -n 's/^KDIR=//p' <<<"$out")
KIMG=$(sed -n 's/^KIMG=//p' <<<"$out")
KRELEASE=$(sed -n 's/^KRELEASE=//p' <<<"$out")
echo "check-debug: kernel $KRELEASE ($KIMG)"
export VGPU_KERNELS=$KRELEASE VGPU_KDIR=$KDIR VGPU_VM_KERNEL=$KIMG
export VGPU_FUZZ_SECONDS=${VGPU_FUZZ_SECONDS:-120}
VGPU_VM_SUITES=${VGPU_VM_SUITES:-10-selftests 12-rmmod-busy 15-tracepoints 40-fuzz 45-failnth}
if [ "$VGPU_VM_SUITES" = all ]; then
	unset VGPU_VM_SUITES
else
	export VGPU_VM_SUITES
	echo "check-debug: VM suites $VGPU_VM_SUITES"
fi
export VGPU_CHECK_HOST=0
# udev is too slow there for virtme-init's wait: see scripts/vm-init-ports.sh
export VGPU_VM_INIT=${VGPU_VM_INIT:-$ROOT/scripts/vm-init-ports.sh}
# everything is slower under KASAN and lockdep (README.md: the boot alone took
# 22 min, the fuzzer and the sweep 6.5 min each, at load 9-14)
export VGPU_SUITE_TIMEOUT=${VGPU_SUITE_TIMEOUT:-2400} VGPU_VM_TIMEOUT=${VGPU_VM_TIMEOUT:-7200}
export VGPU_VM_MEMORY=${VGPU_VM_MEMORY:-3G}
exec bash scripts/check.sh
