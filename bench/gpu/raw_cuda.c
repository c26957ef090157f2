// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * raw_cuda.c - the baselines of bench/gpu, written straight against the CUDA
 * driver API and NVRTC (cuda.h, nvrtc.h; linked with -lcuda -lnvrtc). Built
 * on the GPU machine only, by bench/gpu/run.sh. Prints "key value" lines.
 *
 *   launch  per-launch time of many asynchronous cuLaunchKernel calls of the
 *           same tiny kernel libvgpu's bench launches (then one synchronize)
 *   h2d     cuMemcpyHtoD of 256 MiB from pinned memory (cuMemAllocHost),
 *           and from pageable memory for reference
 *   nvrtc   one cold NVRTC compile of the bench kernel, for reference
 */
#include <cuda.h>
#include <nvrtc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"

#define CK(x) do { CUresult r_ = (x); if (r_ != CUDA_SUCCESS) { const char *s_ = "?"; \
	cuGetErrorString(r_, &s_); fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, s_); exit(2); } } while (0)
#define NK(x) do { nvrtcResult r_ = (x); if (r_ != NVRTC_SUCCESS) { \
	fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, nvrtcGetErrorString(r_)); exit(2); } } while (0)

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	CUdevice dev;
	CUcontext ctx;
	int major, minor;

	CK(cuInit(0));
	CK(cuDeviceGet(&dev, 0));
	CK(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
	CK(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
	CK(cuDevicePrimaryCtxRetain(&ctx, dev));
	CK(cuCtxSetCurrent(ctx));

	/* NVRTC: compile the bench kernel to a cubin for this device */
	char arch[64];
	snprintf(arch, sizeof(arch), "--gpu-architecture=sm_%d%d", major, minor);
	const char *opts[] = { arch, "-default-device" };
	double t0 = bench_now();
	nvrtcProgram prog;
	NK(nvrtcCreateProgram(&prog, BENCH_KERNEL_SRC, "bench.cu", 0, NULL, NULL));
	NK(nvrtcCompileProgram(prog, 2, opts));
	size_t cubin_sz;
	NK(nvrtcGetCUBINSize(prog, &cubin_sz));
	char *cubin = malloc(cubin_sz);
	NK(nvrtcGetCUBIN(prog, cubin));
	NK(nvrtcDestroyProgram(&prog));
	double t_nvrtc = bench_now() - t0;
	printf("raw.nvrtc_cold_ms %.3f\n", t_nvrtc * 1e3);

	CUmodule mod;
	CUfunction fn;
	CK(cuModuleLoadData(&mod, cubin));
	CK(cuModuleGetFunction(&fn, mod, "tiny"));
	free(cubin);

	CUstream st;
	CK(cuStreamCreate(&st, CU_STREAM_NON_BLOCKING));
	CUdeviceptr d;
	CK(cuMemAlloc(&d, 1 << 20));
	int n = 1 << 18;
	void *params[] = { &d, &n };

	/* launch: warm-up, then reps x BENCH_LAUNCHES launches */
	for (int i = 0; i < 1000; i++)
		CK(cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, st, params, NULL));
	CK(cuStreamSynchronize(st));
	/*
	 * Per repetition: BENCH_BATCHES batches of BENCH_LAUNCHES launches, each
	 * batch then synchronized (so the queue never fills and blocks the
	 * launch call). submit = time in the launch calls, total = with the
	 * synchronize, both per launch.
	 */
	double *per = calloc(reps, sizeof(*per)), *sub = calloc(reps, sizeof(*sub));
	for (int r = 0; r < reps; r++) {
		double ts = 0, tt = 0;

		for (int b = 0; b < BENCH_BATCHES; b++) {
			double t1, t2;

			t0 = bench_now();
			for (int i = 0; i < BENCH_LAUNCHES; i++)
				CK(cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, st, params, NULL));
			t1 = bench_now();
			CK(cuStreamSynchronize(st));
			t2 = bench_now();
			ts += t1 - t0;
			tt += t2 - t0;
		}
		sub[r] = ts / (BENCH_BATCHES * BENCH_LAUNCHES) * 1e6;
		per[r] = tt / (BENCH_BATCHES * BENCH_LAUNCHES) * 1e6;
	}
	printf("raw.launch_us %.4f\n", bench_median(per, reps));
	printf("raw.submit_us %.4f\n", bench_median(sub, reps));
	free(per);
	free(sub);

	/* h2d: 256 MiB from pinned and from pageable memory */
	size_t sz = BENCH_H2D_BYTES;
	CUdeviceptr big;
	void *pinned, *pageable;
	CK(cuMemAlloc(&big, sz));
	CK(cuMemAllocHost(&pinned, sz));
	pageable = malloc(sz);
	if (!pageable)
		return 2;
	memset(pinned, 1, sz);
	memset(pageable, 1, sz);
	double *bw = calloc(reps, sizeof(*bw));
	CK(cuMemcpyHtoD(big, pinned, sz));
	for (int r = 0; r < reps; r++) {
		t0 = bench_now();
		CK(cuMemcpyHtoD(big, pinned, sz));
		bw[r] = sz / (bench_now() - t0) / 1e9;
	}
	printf("raw.h2d_pinned_GBs %.3f\n", bench_median(bw, reps));
	CK(cuMemcpyHtoD(big, pageable, sz));
	for (int r = 0; r < reps; r++) {
		t0 = bench_now();
		CK(cuMemcpyHtoD(big, pageable, sz));
		bw[r] = sz / (bench_now() - t0) / 1e9;
	}
	printf("raw.h2d_pageable_GBs %.3f\n", bench_median(bw, reps));
	free(bw);
	free(pageable);
	CK(cuMemFreeHost(pinned));
	CK(cuMemFree(big));

	/* the baseline of the buffer pool: 1 MiB cuMemAlloc + cuMemFree, per pair */
	{
		double *pr = calloc(reps, sizeof(*pr));
		const int n = 2000;
		CUdeviceptr p1;

		for (int r = 0; r < reps; r++) {
			t0 = bench_now();
			for (int i = 0; i < n; i++) {
				CK(cuMemAlloc(&p1, 1 << 20));
				CK(cuMemFree(p1));
			}
			pr[r] = (bench_now() - t0) / n * 1e6;
		}
		printf("raw.alloc1m_us %.4f\n", bench_median(pr, reps));
		free(pr);
	}
	CK(cuMemFree(d));
	CK(cuStreamDestroy(st));
	CK(cuModuleUnload(mod));
	CK(cuDevicePrimaryCtxRelease(dev));
	return 0;
}
