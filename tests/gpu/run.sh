#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/gpu/run.sh - libvgpu on a real GPU (`make check-gpu`).
#
# Builds libvgpu and the GPU test and benchmark programs with this machine's
# compiler, runs tests/gpu/test_gpu (TAP: the kernel corpus on CUDA compared
# with the CPU backend, copies, modules, launch errors, timeouts, quota and
# ledger-vs-device accounting, HIP "no device") and the kernel corpus
# (tests/corpus) on CUDA against its plain C references, then the benchmarks of
# bench/gpu (libvgpu against raw CUDA baselines of the same run), and prints
# a table last. Logs go to $OUT (the device tool's folder) or build/gpu/out.
#
#   tests/gpu/run.sh            tests and benchmarks
#   tests/gpu/run.sh --tests    tests only
#   tests/gpu/run.sh --bench    benchmarks only
#
# Without a GPU the tests skip with the reason libvgpu gives and the script
# exits 0; the raw baselines need cuda.h and libcuda (CUDA_HOME, default
# /usr/local/cuda) and are skipped without them.
#
# The in-process ledger is used: vgpu.ko cannot be loaded on the GPU machine
# (its kernel enforces module signatures), the kernel ledger is tested in the
# VM suites.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUTDIR=${OUT:-$BUILD/gpu/out}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
GB=$BUILD/gpu
CC=${CC:-gcc}
mode=all
case "${1:-}" in
--tests) mode=tests ;;
--bench) mode=bench ;;
"") ;;
*) echo "usage: $0 [--tests|--bench]" >&2; exit 2 ;;
esac
mkdir -p "$GB" "$OUTDIR"
SUMMARY=$OUTDIR/summary.txt
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

# ---------------------------------------------------------------- machine
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(uname -srm), $(nproc) CPUs"
	grep -m1 'model name' /proc/cpuinfo 2>/dev/null
	if command -v nvidia-smi >/dev/null 2>&1; then
		nvidia-smi --query-gpu=name,driver_version,memory.total,pci.bus_id --format=csv,noheader 2>&1
		nvidia-smi 2>/dev/null | grep -m1 'CUDA Version'
	else
		echo "nvidia-smi: not present"
	fi
	[ -x "$CUDA_HOME/bin/nvcc" ] && "$CUDA_HOME/bin/nvcc" --version | tail -2
	$CC --version | head -1
	ls -1 /usr/lib/x86_64-linux-gnu/libamdhip64.so* /opt/rocm/lib/libamdhip64.so* 2>/dev/null
} >"$OUTDIR/machine.txt" 2>&1
sed 's/^/# /' "$OUTDIR/machine.txt"

# ---------------------------------------------------------------- build
if ! make -s -C "$ROOT" lib BUILD="$BUILD" >"$OUTDIR/build.log" 2>&1; then
	# another compiler may warn where ours did not: retry without -Werror, say so
	if make -s -C "$ROOT/libvgpu" ROOT="$ROOT" BUILD="$BUILD/libvgpu" \
		XCFLAGS="-std=gnu11 -Wall -Wextra -fPIC -fvisibility=hidden -Iinclude -Isrc -I$ROOT -I$ROOT/include/uapi" \
		lib >>"$OUTDIR/build.log" 2>&1; then
		say "# note: libvgpu built only without -Werror on this machine; warnings in build.log:"
		grep -i 'warning' "$OUTDIR/build.log" | head -20 | sed 's/^/#   /' | tee -a "$SUMMARY"
	else
		cat "$OUTDIR/build.log"
		say "not ok - building libvgpu failed (log above)"
		exit 1
	fi
fi
export VGPU_CACHE_DIR=${VGPU_CACHE_DIR:-$(mktemp -d /tmp/vgpu-gpu-cache.XXXXXX)}
LIBDIR=$BUILD/libvgpu
SO=$(ls "$LIBDIR"/libvgpu.so 2>/dev/null || ls "$LIBDIR"/libvgpu.so.* 2>/dev/null | head -1)
if [ -z "$SO" ]; then
	say "not ok - libvgpu.so not found under $LIBDIR"
	exit 1
fi
LINK=(-L"$LIBDIR" -l:"$(basename "$SO")" -Wl,-rpath,"$LIBDIR" -ldl -lm -lpthread)
CFLAGS=(-std=gnu11 -O2 -Wall -Wextra -I"$ROOT/libvgpu/include")

$CC "${CFLAGS[@]}" -I"$ROOT" -I"$ROOT/tests/gpu" "$ROOT/tests/gpu/test_gpu.c" -o "$GB/test_gpu" "${LINK[@]}" \
	>>"$OUTDIR/build.log" 2>&1 || { cat "$OUTDIR/build.log"; say "not ok - building test_gpu failed"; exit 1; }
$CC "${CFLAGS[@]}" -I"$ROOT/bench/gpu" "$ROOT/bench/gpu/vgpu_bench.c" -o "$GB/vgpu_bench" "${LINK[@]}" \
	>>"$OUTDIR/build.log" 2>&1 || { cat "$OUTDIR/build.log"; say "not ok - building vgpu_bench failed"; exit 1; }
$CC -O2 -Wall -I"$ROOT/bench/gpu" "$ROOT/bench/gpu/micro.c" -o "$GB/micro" -ldl -lpthread >>"$OUTDIR/build.log" 2>&1
have_raw=0
if [ -f "$CUDA_HOME/include/cuda.h" ] && [ -f "$CUDA_HOME/include/nvrtc.h" ]; then
	# link against the toolkit's libcuda stub; the driver's libcuda.so.1 is loaded at run time
	if $CC -O2 -Wall -I"$CUDA_HOME/include" -I"$ROOT/bench/gpu" "$ROOT/bench/gpu/raw_cuda.c" \
		-o "$GB/raw_cuda" -L"$CUDA_HOME/lib64/stubs" -L"$CUDA_HOME/lib64" -lcuda -lnvrtc \
		-Wl,-rpath,"$CUDA_HOME/lib64" >>"$OUTDIR/build.log" 2>&1; then
		have_raw=1
	fi
fi

rc=0
# ---------------------------------------------------------------- tests
if [ $mode != bench ]; then
	timeout 600 "$GB/test_gpu" 2>&1 | tee "$OUTDIR/test.log"
	trc=${PIPESTATUS[0]}
	[ "$trc" = 0 ] || rc=1
	pass=$(grep -c '^ok .*' "$OUTDIR/test.log" | tr -d ' ')
	skipn=$(grep -c '^ok .*# SKIP' "$OUTDIR/test.log" | tr -d ' ')
	failn=$(grep -c '^not ok' "$OUTDIR/test.log" | tr -d ' ')
	say ""
	say "== tests (tests/gpu/test_gpu, exit $trc) =="
	grep -E '^(not )?ok ' "$OUTDIR/test.log" | sed -E 's/^(not ok|ok) [0-9]+ /\1  /' |
		awk '{ s=$0; if (length(s) > 150) s = substr(s, 1, 147) "..."; print s }' | tee -a "$SUMMARY"
	say "gpu tests: $((pass - skipn)) passed, $failn failed, $skipn skipped"

	# the kernel corpus (tests/corpus) on CUDA, against the same plain C
	# references as on the CPU backend
	if ! nvidia-smi >/dev/null 2>&1; then
		say "corpus on cuda: SKIP (no NVIDIA GPU)"
	elif ! make -s -C "$ROOT/tests/corpus" BUILD="$BUILD" >>"$OUTDIR/build.log" 2>&1; then
		say "not ok - building tests/corpus failed (build.log)"
		rc=1
	else
		VGPU_BACKEND=cuda timeout 900 "$BUILD/corpus/corpus" --test 2>&1 | tee "$OUTDIR/corpus.log"
		crc=${PIPESTATUS[0]}
		[ "$crc" = 0 ] || rc=1
		say ""
		say "== corpus on cuda (tests/corpus, exit $crc) =="
		grep -E '^(not )?ok ' "$OUTDIR/corpus.log" | sed -E 's/^(not ok|ok) [0-9]+ /\1  /' | tee -a "$SUMMARY"
		say "corpus on cuda: $(grep -c '^ok' "$OUTDIR/corpus.log") passed, $(grep -c '^not ok' "$OUTDIR/corpus.log") failed"
	fi
fi

# ---------------------------------------------------------------- benchmarks
if [ $mode != tests ]; then
	BL=$OUTDIR/bench.log
	: >"$BL"
	if [ $have_raw = 0 ]; then
		say "benchmarks: SKIP (no $CUDA_HOME/include/cuda.h for the raw baselines)"
	elif ! nvidia-smi >/dev/null 2>&1; then
		say "benchmarks: SKIP (no NVIDIA GPU)"
	else
		sweep=${VGPU_GPU_BENCH_SWEEP:-"4,2048,4096 8,2048,4096 12,1024,4096 12,4096,4096 16,2048,4096"}
		for round in 1 2 3 4 5; do
			echo "round $round" >>"$BL"
			timeout 300 "$GB/raw_cuda" 9 2>&1 | sed "s/^/r$round /" >>"$BL"
			if [ $round = 1 ]; then
				# shellcheck disable=SC2086
				timeout 300 "$GB/vgpu_bench" 9 $sweep 2>&1 | sed "s/^/r$round /" >>"$BL"
			else
				timeout 300 "$GB/vgpu_bench" 9 2>&1 | sed "s/^/r$round /" >>"$BL"
			fi
		done
		say ""
		say "== benchmarks (bench/gpu; median of 5 interleaved rounds, each the median of 9) =="
		awk '
		function med(k,   n, i, j, t, a) {
			n = cnt[k]; if (!n) return -1
			for (i = 1; i <= n; i++) a[i] = v[k, i]
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		$1 ~ /^r[0-9]$/ && NF == 3 && $3 ~ /^[0-9.]+$/ { k = $2; cnt[k]++; v[k, cnt[k]] = $3 }
		END {
			rl = med("raw.launch_us"); vl = med("vgpu.launch_us")
			cc = med("vgpu.compile_cold_ms"); ch = med("vgpu.compile_hit_ms"); cd = med("vgpu.compile_disk_hit_ms")
			rp = med("raw.h2d_pinned_GBs"); rq = med("raw.h2d_pageable_GBs"); vp = med("vgpu.h2d_pageable_GBs")
			vq = med("vgpu.h2d_pinned_GBs"); vd = med("vgpu.d2h_pageable_GBs"); rn = med("raw.nvrtc_cold_ms")
			printf "%-58s %12s %12s %9s  %s\n", "measure", "libvgpu", "baseline", "ratio", "target"
			rs = med("raw.submit_us"); vs = med("vgpu.submit_us")
			if (rs > 0 && vs > 0) {
				ok = (vs / rs <= 1.10 && vs - rs <= 0.5)
				printf "%-58s %9.3f us %9.3f us %8.3fx  <=1.10x, <=0.5us extra (%+.3f us): %s\n", \
					"launch: time in the launch call (vs raw cuLaunchKernel)", vs, rs, vs / rs, vs - rs, ok ? "MET" : "MISSED"
			}
			if (rl > 0 && vl > 0) {
				ok = (vl / rl <= 1.10 && vl - rl <= 0.5)
				printf "%-58s %9.3f us %9.3f us %8.3fx  <=1.10x, <=0.5us extra (%+.3f us): %s\n", \
					"launch: per launch incl. sync every 256 (vs raw)", vl, rl, vl / rl, vl - rl, ok ? "MET" : "MISSED"
			}
			if (cc > 0 && ch >= 0) {
				ok = (ch / cc <= 0.01)
				printf "%-58s %9.4f ms %9.3f ms %8.4f%%  <=1%%: %s\n", \
					"compile: cache hit (memory) vs cold NVRTC compile", ch, cc, 100 * ch / cc, ok ? "MET" : "MISSED"
				if (cd >= 0)
					printf "%-58s %9.4f ms %9.3f ms %8.4f%%  (info)\n", "compile: cache hit (disk, new session) vs cold", cd, cc, 100 * cd / cc
				if (rn > 0)
					printf "%-58s %9.3f ms %9.3f ms %8.3fx  (info)\n", "compile: cold through libvgpu vs raw NVRTC alone", cc, rn, cc / rn
			}
			if (rp > 0 && vp > 0) {
				ok = (vp / rp >= 0.7)
				printf "%-58s %7.2f GB/s %7.2f GB/s %8.3fx  >=0.7x: %s\n", \
					"H2D 256 MiB: libvgpu from pageable vs raw from pinned", vp, rp, vp / rp, ok ? "MET" : "MISSED"
			}
			mx = 0; for (i = 1; i <= cnt["raw.h2d_pinned_GBs"]; i++) if (v["raw.h2d_pinned_GBs", i] > mx) mx = v["raw.h2d_pinned_GBs", i]
			if (mx > 0 && vp > 0) {
				ok = (vp / mx >= 0.7)
				printf "%-58s %7.2f GB/s %7.2f GB/s %8.3fx  >=0.7x: %s (against the best raw round)\n", \
					"H2D 256 MiB: libvgpu pageable vs BEST raw pinned round", vp, mx, vp / mx, ok ? "MET" : "MISSED"
			}
			ra = med("raw.alloc1m_us"); pa = med("vgpu.alloc1m_pool_us"); na = med("vgpu.alloc1m_nopool_us")
			if (ra > 0 && pa > 0) {
				ok = (ra / pa >= 10)
				printf "%-58s %9.3f us %9.3f us %8.1fx  >=10x faster: %s\n", \
					"pool: 1 MiB alloc+free pooled vs raw cuMemAlloc+cuMemFree", pa, ra, ra / pa, ok ? "MET" : "MISSED"
			}
			if (na > 0 && pa > 0)
				printf "%-58s %9.3f us %9.3f us %8.1fx  (info)\n", "pool: 1 MiB alloc+free through libvgpu, pooled vs unpooled", pa, na, na / pa
			if (rq > 0) printf "%-58s %7.2f GB/s %7.2f GB/s %8.3fx  (info)\n", "H2D 256 MiB: raw cuMemcpyHtoD from pageable vs pinned", rq, rp, rq / rp
			if (vq > 0) printf "%-58s %7.2f GB/s %7.2f GB/s %8.3fx  (info)\n", "H2D 256 MiB: libvgpu from vgpu_host_alloc memory vs raw pinned", vq, rp, vq / rp
			if (vd > 0) printf "%-58s %7.2f GB/s %12s %9s  (info)\n", "D2H 256 MiB: libvgpu into pageable", vd, "", ""
			for (k in cnt) if (k ~ /^vgpu.h2d_pageable_GBs\[/) {
				s = k; sub(/^vgpu.h2d_pageable_GBs/, "", s)
				printf "%-58s %7.2f GB/s %7.2f GB/s %8.3fx  (sweep)\n", "H2D pageable, VGPU_CUDA_STAGING=" s, med(k), rp, med(k) / rp
			}
		}' "$BL" | tee -a "$SUMMARY"
		grep -v '^r[0-9] [a-z0-9_.\[\],]* [0-9.]*$' "$BL" | grep -v '^round' | sed 's/^/# /'
		# what the pieces of a libvgpu launch cost on this machine
		[ -x "$GB/micro" ] && "$GB/micro" 2>&1 | tee -a "$SUMMARY"
	fi
fi
echo ""
echo "summary written to $SUMMARY"
exit $rc
