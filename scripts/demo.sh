#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: vgpu's main job, from a fresh machine.
#
# Installs what is missing (scripts/deps.sh), builds the module for the newest
# kernel of build/kernels, libvgpu, the tools and the example, then boots that
# kernel in a VM (scripts/demo-in-vm.sh): two guests with different quotas run
# real kernels through libvgpu; the small one is refused at its memory quota,
# once failing cleanly and once falling back; both launch at once, taking
# the device in turns, and get their GPU time shares by their compute limits: 'vgpuctl guest
# list' shows the share the kernel measured for each meanwhile, and each
# prints the device time its sessions measured; the books are printed.
#
# Env: BUILD, VGPU_DEMO_KERNEL (a kernel of build/kernels).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export BUILD=${BUILD:-$ROOT/build}

echo ">>> installing what is missing (scripts/deps.sh)"
bash scripts/deps.sh > /dev/null
KVER=${VGPU_DEMO_KERNEL:-$(sort -V "$BUILD/kernels" | tail -n 1)}

echo ">>> building vgpu.ko for $KVER, libvgpu, tools, examples"
make -s module KVER="$KVER" > "$BUILD/demo-build.log" 2>&1 ||
	{ cat "$BUILD/demo-build.log"; exit 1; }
make -s -j"$(nproc)" lib tools examples >> "$BUILD/demo-build.log" 2>&1 ||
	{ tail -n 40 "$BUILD/demo-build.log"; exit 1; }

echo ">>> booting $KVER under QEMU (TCG) with vgpu.ko"
VGPU_VM_TIMEOUT=${VGPU_VM_TIMEOUT:-900} exec bash scripts/vm-run.sh "$KVER" scripts/demo-in-vm.sh
