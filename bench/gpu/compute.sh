#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/gpu/compute.sh [OUTDIR] - GPU time shares and the cost of accounting,
# on the GPU machine, one run: builds libvgpu, bench/gpu/compute_share and
# launch_cost there, then runs launch_cost (the launch cost of raw
# cuLaunchKernel and of libvgpu with accounting off and on, interleaved in one
# process) and compute_share cuda (shares of 2/4/8 guests in one process, in-process
# ledger: vgpu.ko cannot load on that machine). Documentation/benchmarks.md
# has the figures.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-${OUT:-/tmp/vgpu-compute}}
BUILD=${BUILD:-/tmp/vgpu-compute-build}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
CC=${CC:-cc}
GB=$BUILD/bench/gpu
mkdir -p "$OUT" "$GB"
export VGPU_CACHE_DIR=${VGPU_CACHE_DIR:-$(mktemp -d /tmp/vgpu-compute-cache.XXXXXX)}

{
	date -u '+date: %Y-%m-%d %H:%M UTC'
	nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
	echo "$(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
} | tee "$OUT/machine.txt"
make -s -C "$ROOT" lib BUILD="$BUILD" >"$OUT/build.log" 2>&1 ||
	make -s -C "$ROOT/libvgpu" ROOT="$ROOT" BUILD="$BUILD/libvgpu" \
		XCFLAGS="-std=gnu11 -Wall -Wextra -fPIC -fvisibility=hidden -Iinclude -Isrc -I$ROOT/include/uapi" \
		lib >>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
LINK=(-L"$BUILD/libvgpu" -lvgpu -Wl,-rpath,"$BUILD/libvgpu" -ldl -lm -lpthread)
CF=(-std=gnu11 -O2 -Wall -Wextra -I"$ROOT/libvgpu/include" -I"$ROOT/bench/gpu")
$CC "${CF[@]}" "$ROOT/bench/gpu/compute_share.c" -o "$GB/compute_share" "${LINK[@]}" >>"$OUT/build.log" 2>&1 ||
	{ tail -30 "$OUT/build.log"; exit 1; }
# COMPUTE_SHARES_ONLY=1: only compute_share (skips launch_cost)
if [ -z "${COMPUTE_SHARES_ONLY:-}" ]; then
	$CC "${CF[@]}" -I"$CUDA_HOME/include" "$ROOT/bench/gpu/launch_cost.c" -o "$GB/launch_cost" \
		-L"$CUDA_HOME/lib64/stubs" -L"$CUDA_HOME/lib64" -lcuda -lnvrtc -Wl,-rpath,"$CUDA_HOME/lib64" \
		"${LINK[@]}" >>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
	echo "== launch_cost (raw cuLaunchKernel, libvgpu accounting off and on, interleaved) ==" |
		tee -a "$OUT/compute.log"
	timeout 200 "$GB/launch_cost" "${LAUNCH_COST_ROUNDS:-15}" 2>&1 | tee -a "$OUT/compute.log"
fi
# COMPUTE_PROBE=1: first compute_probe (the turn-taking mechanism, raw CUDA)
if [ -n "${COMPUTE_PROBE:-}" ]; then
	$CC -O2 -Wall -I"$CUDA_HOME/include" -I"$ROOT/bench/gpu" "$ROOT/bench/gpu/compute_probe.c" \
		-o "$GB/compute_probe" -L"$CUDA_HOME/lib64/stubs" -L"$CUDA_HOME/lib64" -lcuda -lnvrtc \
		-lm -lpthread -ldl -Wl,-rpath,"$CUDA_HOME/lib64" >>"$OUT/build.log" 2>&1 ||
		{ tail -30 "$OUT/build.log"; exit 1; }
	echo "== compute_probe ==" | tee -a "$OUT/compute.log"
	timeout 120 "$GB/compute_probe" 2>&1 | tee -a "$OUT/compute.log"
fi
echo "== compute_share cuda ==" | tee -a "$OUT/compute.log"
shift 2>/dev/null; timeout 400 "$GB/compute_share" cuda "$@" 2>&1 | tee -a "$OUT/compute.log"
