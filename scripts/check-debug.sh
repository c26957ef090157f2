#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the VM suites (selftests with the race tests, the
# fuzzer, the fail-nth sweep over every ioctl and netlink operation) on a
# debug kernel with KASAN, lockdep, kmemleak, DEBUG_ATOMIC_SLEEP and fault
# injection. Any KASAN, lockdep or kmemleak report fails the run (the dmesg
# checks of scripts/in-vm.sh and of the suites, and the kmemleak scan of
# vm/40-fuzz).
#
# The kernel is built once per machine by scripts/debug-kernel.sh and cached
# in /var/cache/vgpu-debug-kernel: on 2 shared cores that build takes hours
# (README.md), which is why `make check` does not do this.
#
# Env: as scripts/check.sh; VGPU_FUZZ_SECONDS (default 120 here).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/deps.sh >/dev/null
out=$(bash scripts/debug-kernel.sh)
KDIR=$(sed -n 's/^KDIR=//p' <<<"$out")
KIMG=$(sed -n 's/^KIMG=//p' <<<"$out")
KRELEASE=$(sed -n 's/^KRELEASE=//p' <<<"$out")
echo "check-debug: kernel $KRELEASE ($KIMG)"
export VGPU_KERNELS=$KRELEASE VGPU_KDIR=$KDIR VGPU_VM_KERNEL=$KIMG
export VGPU_FUZZ_SECONDS=${VGPU_FUZZ_SECONDS:-120}
# everything is slower under KASAN and lockdep
export VGPU_SUITE_TIMEOUT=${VGPU_SUITE_TIMEOUT:-1200} VGPU_VM_TIMEOUT=${VGPU_VM_TIMEOUT:-5400}
export VGPU_VM_MEMORY=${VGPU_VM_MEMORY:-4G}
exec bash scripts/check.sh
