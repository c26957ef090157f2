#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (bench/run.sh): load the module, run the kernel
# benchmarks built in $BUILD/bench/kernel, unload. Args: REPS for bench_pin.
set -uo pipefail
: "${BUILD:?}" "${KVER:?}"
echo "# bench vm: kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)," \
     "THP $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
insmod "$BUILD/kmod/$KVER/vgpu.ko" || { echo "bench: insmod $BUILD/kmod/$KVER/vgpu.ko failed"; exit 1; }
rc=0
"$BUILD/bench/kernel/bench_charge" || rc=1
"$BUILD/bench/kernel/bench_pin" "${1:-5}" || rc=1
rmmod vgpu || { echo "bench: rmmod vgpu failed"; rc=1; }
if dmesg | grep -aEq 'BUG:|WARNING:|Call Trace'; then
	dmesg | tail -n 60
	echo "bench: kernel log has BUG/WARNING lines"
	rc=1
fi
exit $rc
