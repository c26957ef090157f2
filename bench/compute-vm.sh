#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/compute-vm.sh [KVER] - GPU time shares against vgpu.ko, in the VM.
#
# CPU-backend sessions (the CPU's run time is their device time) of guests
# with compute caps 10/90 and 30/70 made with vgpuctl, leases from the
# module: bench/gpu/compute_share cpu --kernel, in a TCG VM (2 vCPUs: each
# guest's thread has a vCPU), without the module's compute turns
# (VGPU_COMPUTE_TURNS=0) and with them. Then several processes at once (two of guest
# cs-g2, then one each of cs-g0 and cs-g2, 5 s): "overlap" lines hold what
# the module charged each guest against the device time its processes
# measured and reported (equal: nothing lost or counted twice). Builds what
# it needs on the host first and warms the compile cache there. Prints the
# lines of compute_share.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export BUILD=${BUILD:-$ROOT/build}
KVER=${1:-$(sort -V "$BUILD/kernels" | tail -n1)}
make -s module KVER="$KVER" >/dev/null
make -s lib tools >/dev/null
mkdir -p "$BUILD/bench/gpu"
cc -std=gnu11 -O2 -Wall -Wextra -Ilibvgpu/include -Ibench/gpu bench/gpu/compute_share.c \
	-o "$BUILD/bench/gpu/compute_share" -L"$BUILD/libvgpu" -lvgpu \
	-Wl,-rpath,"$BUILD/libvgpu" -lpthread -lm
export VGPU_CACHE_DIR=$BUILD/bench/compute-cache VGPU_CPU_MARCH=x86-64
"$BUILD/bench/gpu/compute_share" cpu --warm
cat > "$BUILD/bench/compute-in-vm.sh" <<'IN'
#!/bin/bash
set -u
insmod "$BUILD/kmod/$KVER/vgpu.ko" || exit 1
CTL=$BUILD/tools/vgpuctl
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -c /dev/vgpu ] && break; sleep 0.2; done
"$CTL" guest add cs-free && "$CTL" guest add cs-g0 compute 10 && "$CTL" guest add cs-g1 compute 90 &&
"$CTL" guest add cs-g2 compute 30 && "$CTL" guest add cs-g3 compute 70 || exit 1
echo "# vm: $(nproc) vCPUs, kernel $(uname -r)"
# without turns first (each guest's session on its own vCPU at once), then
# with the module's turns (libvgpu's default): the same shares, one VM
rc=0
for turns in 0 1; do
	echo "# VGPU_COMPUTE_TURNS=$turns (turn_min_us $(cat /sys/module/vgpu/parameters/turn_min_us))"
	VGPU_COMPUTE_TURNS=$turns VGPU_CPU_THREADS=1 timeout 600 "$BUILD/bench/gpu/compute_share" cpu --kernel || rc=1
done
# several processes leasing from the module at once: what it charged each
# guest against what the processes measured (and reported) themselves
consumed() { "$CTL" -j guest show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["resources"]["compute"]["current"])'; }
overlap() {	# overlap TITLE SECONDS GUEST...
	local title=$1 secs=$2 g out m before after; shift 2
	declare -A want=() b0=()
	for g in "$@"; do b0[$g]=$(consumed "$g"); want[$g]=0; done
	out=$(for g in "$@"; do VGPU_CPU_THREADS=1 "$BUILD/bench/gpu/compute_share" cpu --kernel --one "$g" "$secs" & done; wait)
	echo "$out" | sed 's/^/#   /'
	while read -r _ g _ _ _ m _; do want[$g]=$(( ${want[$g]} + m )); done <<< "$out"
	for g in $(printf '%s\n' "$@" | sort -u); do
		after=$(consumed "$g")
		echo "overlap $title guest $g charged_ns $(( after - ${b0[$g]} )) measured_ns ${want[$g]} share $(( (after - ${b0[$g]}) / (secs * 10000000) )) %"
	done
}
overlap "two-processes-one-guest" 5 cs-g2 cs-g2
overlap "two-guests" 5 cs-g0 cs-g2
for g in cs-free cs-g0 cs-g1 cs-g2 cs-g3; do "$CTL" guest show $g; "$CTL" guest del $g; done
rmmod vgpu
exit $rc
IN
chmod +x "$BUILD/bench/compute-in-vm.sh"
VGPU_VM_TIMEOUT=900 bash scripts/vm-run.sh "$KVER" "$BUILD/bench/compute-in-vm.sh"
