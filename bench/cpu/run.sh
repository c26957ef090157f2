#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# CPU benchmarks of libvgpu: ratios against baselines measured in the same
# run on the same machine (never pass/fail on time):
#   bench_vec     CPU backend vs hand-written OpenMP C: saxpy, vadd, reduction
#   bench_matmul  tiled matmul (__shared__ + __syncthreads) vs PoCL (OpenCL)
#   bench_cache   compile-cache hit vs cold compile
#   corpus        the kernel corpus (tests/corpus, 30 kernels) vs a hand-written
#                 OpenMP version of each: ratios, geometric mean, minimum, the
#                 barrier-in-loop kernels, cold compile vs cache hit
# Env: BUILD (default <repo>/build), BENCH_REPS, BENCH_LOG2N (24),
#      BENCH_MM_N (512), BENCH_CACHE_SOURCES (5), BENCH_ONLY (vec|matmul|cache|corpus),
#      BENCH_CORPUS (names of corpus kernels, default all), BENCH_ROUNDS (corpus:
#      sweeps over all kernels, each kernel the median of its rounds; 1).
# Exit status: 0 when every benchmark ran and computed right answers; a ratio
# below its target is printed as such and does not change the status.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
out=$build/bench/cpu
lib=$build/libvgpu
mkdir -p "$out"

# (incremental: a no-op when build/libvgpu is up to date)
make -s -C "$root" lib BUILD="$build" >"$out/lib.log" 2>&1 ||
	{ sed 's/^/# /' "$out/lib.log" | tail -20; echo "bench/cpu: libvgpu does not build"; exit 2; }

cflags="-Wall -Wextra -Werror -O2 -I$root/libvgpu/include"
ldvgpu="-L$lib -Wl,-rpath,$lib -lvgpu"
build_one() { # name, extra objects and libs...
	local name=$1; shift
	gcc $cflags "$here/$name.c" "$@" -o "$out/$name" 2>"$out/$name.log" ||
		{ sed 's/^/# /' "$out/$name.log" | tail -20; echo "bench/cpu: $name does not build"; return 1; }
}
gcc -O3 -fopenmp -march=native -Wall -Wextra -Werror -c "$here/omp.c" -o "$out/omp.o" || exit 2
build_one bench_vec "$out/omp.o" -fopenmp $ldvgpu -lm || exit 2
mm_skip=
build_one bench_matmul $ldvgpu -lOpenCL -lm ||
	mm_skip="OpenCL headers or loader missing (apt-get install pocl-opencl-icd ocl-icd-opencl-dev opencl-headers)"
build_one bench_cache $ldvgpu || exit 2
make -s -C "$root/tests/corpus" BUILD="$build" >"$out/corpus.log" 2>&1 ||
	{ sed 's/^/# /' "$out/corpus.log" | tail -20; echo "bench/cpu: tests/corpus does not build"; exit 2; }
ln -sf "$build/corpus/corpus" "$out/corpus"

# Kernels compiled by the benchmarks go to a scratch cache, not ~/.cache.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-bench-cpu.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export VGPU_CACHE_DIR=$scratch/cache VGPU_BACKEND=cpu
# Both runtimes' threads wait for the next loop or launch the same way:
# spinning about 200 us, then sleeping. libgomp's default (300000 spins,
# ~6 ms on the EPYC VM) would steal the cores from libvgpu's pool while
# libvgpu's half of a repeat runs; a passive OpenMP (no spin) would pay a
# wake-up per parallel region that libvgpu's launches do not (nw_wavefront's
# 255 loops: 2.4x its time). 10000 spins of libgomp's pause loop: ~200 us
# on the EPYC VM (20 ns a pause).
export GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-10000} VGPU_SPIN_US=${VGPU_SPIN_US:-200}
export POCL_CACHE_DIR=$scratch/pocl

echo "# bench/cpu on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews ratios: both sides of a ratio run interleaved to share it)"
status=0
results=()
run() { # name, timeout, arguments
	local name=$1 t=$2 rc
	shift 2
	timeout "$t" "$out/$name" "$@" >"$out/$name.out" 2>&1
	rc=$?
	cat "$out/$name.out"
	if [ $rc -eq 3 ]; then
		echo "# $name: skipped (no PoCL platform)"
	elif [ $rc -ne 0 ]; then
		echo "# $name: exit status $rc$([ $rc -eq 124 ] && echo ' (timed out)')"
		status=1
	fi
	results+=("$(grep -E '^(saxpy|vadd|reduction|reduction-chunked|launch|matmul|barrier|cache|corpus)[: ]' "$out/$name.out")")
}
only=${BENCH_ONLY:-}
[ -z "$only" ] || [ "$only" = vec ] && run bench_vec 600
if [ -z "$only" ] || [ "$only" = matmul ]; then
	if [ -n "$mm_skip" ]; then echo "# bench_matmul: skipped: $mm_skip"; else run bench_matmul 600; fi
fi
[ -z "$only" ] || [ "$only" = cache ] && run bench_cache 600
# shellcheck disable=SC2086
[ -z "$only" ] || [ "$only" = corpus ] && run corpus 3000 --bench ${BENCH_CORPUS:-}

echo "# bench/cpu summary (ratio = baseline time / libvgpu time; cache: hit time / compile time); load average now $(cut -d' ' -f1-3 /proc/loadavg)"
for r in "${results[@]}"; do
	[ -n "$r" ] && printf '%s\n' "$r" | sed 's/^/bench\/cpu: /'
done
exit $status
