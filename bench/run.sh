#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh [--all | --kernel KVER] [--reps N] [--kernel-only]
#
# The kernel benchmarks of vgpu, in a VM (they need the module): builds the
# module and bench/kernel/, boots the newest kernel of build/kernels (or each
# with --all, or KVER), runs bench_charge (charge+uncharge vs getpid) and
# bench_pin (pin+unpin 1 GiB vs io_uring buffer registration, 4 KiB and THP),
# and prints the ratios measured in that run. Logs: build/logs/bench-KVER.log.
# Then, unless --kernel-only, the host CPU benchmarks of libvgpu
# (bench/cpu/run.sh, when present). GPU benchmarks: make check-gpu.
# Numbers come from a TCG (emulated) VM: ratios are meaningful, absolute
# times are not those of real hardware.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export BUILD=${BUILD:-$ROOT/build}
reps=5
kernels=()
all=0
kernel_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--all) all=1 ;;
	--kernel) kernels+=("$2"); shift ;;
	--reps) reps=$2; shift ;;
	--kernel-only) kernel_only=1 ;;
	*) echo "usage: $0 [--all | --kernel KVER] [--reps N] [--kernel-only]" >&2; exit 2 ;;
	esac
	shift
done

bash scripts/deps.sh
if [ ${#kernels[@]} = 0 ]; then
	mapfile -t kernels < "$BUILD/kernels"
	[ $all = 1 ] || kernels=("$(printf '%s\n' "${kernels[@]}" | sort -V | tail -n1)")
fi
make -s -C bench/kernel ROOT="$ROOT" BUILD="$BUILD/bench/kernel"
mkdir -p "$BUILD/logs"
rc=0
summary=()
for k in "${kernels[@]}"; do
	echo "=== bench: module for $k ==="
	make -s module KVER="$k" > "$BUILD/logs/bench-module-$k.log" 2>&1 ||
		{ cat "$BUILD/logs/bench-module-$k.log"; exit 1; }
	echo "=== bench: VM $k ==="
	log=$BUILD/logs/bench-$k.log
	VGPU_VM_TIMEOUT=${VGPU_VM_TIMEOUT:-900} \
		bash scripts/vm-run.sh "$k" bench/kernel/in-vm.sh "$reps" 2>&1 | tee "$log" || rc=1
	while read -r l; do summary+=("$k: ${l#RESULT }"); done < <(grep '^RESULT ' "$log")
done
echo "=== kernel bench summary (ratios measured within each run) ==="
printf '  %s\n' "${summary[@]}"
if [ $kernel_only = 0 ] && [ -x bench/cpu/run.sh ]; then
	echo "=== bench: libvgpu CPU benchmarks (bench/cpu/run.sh) ==="
	bash bench/cpu/run.sh || rc=1
fi
exit $rc
