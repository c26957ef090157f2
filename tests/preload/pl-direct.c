// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pl-direct: a program linked with -lcuda calling the driver directly, run
 * under libvgpu-preload over the test-double driver (fakecuda.c). Without
 * arguments: every allocation path, its charge and its release, on a guest
 * with limits mem 64M, pinned 8M, contexts 4 (set by the runner: environment
 * for the in-process ledger, vgpuctl for /dev/vgpu). With arguments, the
 * pieces the VM suite composes across processes:
 *   hold BYTES    primary context + BYTES of device memory, "ready", wait
 *   try BYTES     primary context, allocate BYTES: prints "ok" or "refused N"
 *   usage         the guest's books: "mem=N pinned=N ctx=N"
 *   meminfo [wait] primary context, ("ready" and a line on stdin,) then
 *                 "free=N total=N" from cuMemGetInfo
 *   pin BYTES     primary context + BYTES of cuMemHostAlloc, "ready", wait
 *   burn MS [capture]  launch (3 kernels, 1 graph, ...) for MS ms, synchronise:
 *                 "launches=N ms=T"; with "capture" into a capturing stream
 *   burst N       N launches, cuCtxSynchronize, "synced", then host work
 *                 until a line on stdin (the device stays idle)
 *   queue N       N launches, no synchronisation, "queued", then host work
 *                 until a line on stdin (the device goes idle unsynchronised)
 *   first [wait]  one launch and cuCtxSynchronize: "first_ms=T", the time
 *                 it took (how long the device was kept from this process);
 *                 with "wait", "ready" and a line on stdin before the launch
 *   sparse N [US] one launch, cuCtxSynchronize; then N times: one launch
 *                 (of US us in the double: FAKECUDA_KERNEL_US), 30 ms of
 *                 host work; cuCtxSynchronize: "charged_ms=T", the GPU time
 *                 the guest was charged for the N (vgpu_preload_compute_ns)
 *   capture       one launch and cuCtxSynchronize, one more launch, then a
 *                 capture of 20 ms with nothing launched (the preload must
 *                 not synchronise meanwhile): "capture=R", its end's result
 */
#define _GNU_SOURCE
#include <cuda.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pltest.h"

static CUcontext primary;

/* a thread allocating and freeing, to check the books stay exact under concurrency */
static void *churn(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	CUdeviceptr p[8] = { 0 };

	cuCtxSetCurrent(primary);
	for (int i = 0; i < 400; i++) {
		int k = rand_r(&seed) % 8;

		if (p[k]) {
			if (rand_r(&seed) % 2)
				cuMemFree(p[k]);
			else
				cuMemFreeAsync(p[k], 0);
			p[k] = 0;
		} else if (rand_r(&seed) % 2) {
			cuMemAlloc(&p[k], 4096 + rand_r(&seed) % (256 * 1024));
		} else {
			cuMemAllocAsync(&p[k], 4096 + rand_r(&seed) % (256 * 1024), 0);
		}
	}
	for (int k = 0; k < 8; k++)
		if (p[k])
			cuMemFree(p[k]);
	return NULL;
}

static void expect(uint64_t mem, uint64_t pinned, uint64_t ctx, const char *what)
{
	struct books b = books();

	tap_ok(b.used[0] == mem && b.used[1] == pinned && b.used[2] == ctx,
	   "%s: books mem=%llu pinned=%llu ctx=%llu (want %llu %llu %llu)", what,
	   (unsigned long long)b.used[0], (unsigned long long)b.used[1],
	   (unsigned long long)b.used[2], (unsigned long long)mem, (unsigned long long)pinned,
	   (unsigned long long)ctx);
}

static int start(void)
{
	if (cuInit(0) || cuDevicePrimaryCtxRetain(&primary, 0) || cuCtxSetCurrent(primary)) {
		printf("no primary context\n");
		return 1;
	}
	return 0;
}

static int piece(int argc, char **argv)
{
	unsigned long long n = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;
	CUdeviceptr p;
	CUresult r;

	if (!strcmp(argv[1], "usage")) {
		struct books b = books();

		printf("mem=%llu pinned=%llu ctx=%llu\n", (unsigned long long)b.used[0],
		       (unsigned long long)b.used[1], (unsigned long long)b.used[2]);
		return 0;
	}
	if (start())
		return 1;
	if (!strcmp(argv[1], "meminfo")) {
		size_t f, t;
		char line[16];

		if (argc > 2 && !strcmp(argv[2], "wait")) {	/* context first, then a line on stdin */
			printf("ready\n");
			fflush(stdout);
			if (!fgets(line, sizeof(line), stdin))
				return 1;
		}

		if (cuMemGetInfo(&f, &t))
			return 1;
		printf("free=%zu total=%zu\n", f, t);
		return 0;
	}
	if (!strcmp(argv[1], "try")) {
		r = cuMemAlloc(&p, n);
		if (r)
			printf("refused %d\n", r);
		else
			printf("ok\n");
		return 0;
	}
	if (!strcmp(argv[1], "hold") || !strcmp(argv[1], "pin")) {
		void *h;

		r = argv[1][0] == 'h' ? cuMemAlloc(&p, n) : cuMemHostAlloc(&h, n, 0);
		printf(r ? "refused %d\n" : "ready\n", r);
		fflush(stdout);
		if (!r)
			pause();
		return r != 0;
	}
	if (!strcmp(argv[1], "burst") || !strcmp(argv[1], "first") || !strcmp(argv[1], "queue")) {
		struct timespec t0, t1;
		char line[16];
		CUmodule m;
		CUfunction fn;

		if (cuModuleLoadData(&m, "image") || cuModuleGetFunction(&fn, m, "k"))
			return 1;
		if (argv[1][0] == 'f')
			n = 1;
		if (argv[1][0] == 'f' && argc > 2 && !strcmp(argv[2], "wait")) {
			printf("ready\n");
			fflush(stdout);
			if (!fgets(line, sizeof(line), stdin))
				return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (size_t i = 0; i < n; i++)
			if (cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL))
				return 1;
		if (argv[1][0] != 'q' && cuCtxSynchronize())
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (argv[1][0] == 'f') {
			printf("first_ms=%.0f\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
			return 0;
		}
		printf(argv[1][0] == 'q' ? "queued\n" : "synced\n");
		fflush(stdout);
		return !fgets(line, sizeof(line), stdin);
	}
	if (!strcmp(argv[1], "capture")) {
		struct timespec host = { 0, 20 * 1000000 };
		CUstream s = (CUstream)0x5;
		CUmodule m;
		CUfunction fn;
		CUgraph g;

		if (cuModuleLoadData(&m, "image") || cuModuleGetFunction(&fn, m, "k") ||
		    cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL) || cuCtxSynchronize() ||
		    cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL) ||
		    cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_GLOBAL))
			return 1;
		nanosleep(&host, NULL);
		printf("capture=%d\n", cuStreamEndCapture(s, &g));
		return cuCtxSynchronize() != CUDA_SUCCESS;
	}
	if (!strcmp(argv[1], "sparse")) {
		int (*charged)(uint64_t *) = (int (*)(uint64_t *))dlsym(RTLD_DEFAULT, "vgpu_preload_compute_ns");
		struct timespec host = { 0, 30 * 1000000 };
		uint64_t c0, c1;
		CUmodule m;
		CUfunction fn;

		if (!charged || cuModuleLoadData(&m, "image") || cuModuleGetFunction(&fn, m, "k"))
			return 1;
		/* one launch and its synchronisation first: the estimate is known */
		if (cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL) || cuCtxSynchronize() ||
		    charged(&c0))
			return 1;
		if (argc > 3)
			setenv("FAKECUDA_KERNEL_US", argv[3], 1);
		for (size_t i = 0; i < n; i++) {
			if (cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL))
				return 1;
			nanosleep(&host, NULL);
		}
		if (cuCtxSynchronize() || charged(&c1))
			return 1;
		printf("charged_ms=%.1f\n", (c1 - c0) / 1e6);
		return 0;
	}
	if (!strcmp(argv[1], "burn")) {	/* launch for N ms (wall), then how many ran */
		struct timespec t0, t1;
		CUstream cs = argc > 3 ? (CUstream)0xca97 : NULL;	/* "capture": launches into a capturing stream */
		unsigned long long k = 0;
		double ms = 0;
		CUmodule m;
		CUfunction fn;

		if (cuModuleLoadData(&m, "image") || cuModuleGetFunction(&fn, m, "k"))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (ms < (double)n) {
			if (k % 4 == 3 ? cuGraphLaunch(NULL, cs) : cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, cs, NULL, NULL))
				return 1;
			k++;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		}
		cuCtxSynchronize();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		printf("launches=%llu ms=%.0f\n", k, ms);
		return 0;
	}
	fprintf(stderr, "pl-direct: unknown piece %s\n", argv[1]);
	return 2;
}

int main(int argc, char **argv)
{
	CUdeviceptr a, b, c, m, as, as2;
	unsigned int v1;
	unsigned int pitch1;
	size_t f, t, pitch;
	CUcontext ctx2, ctx3, ctx4;
	CUarray arr, arr3;
	CUmipmappedArray mip;
	CUmemoryPool pool, hpool;
	CUmemGenericAllocationHandle hd, hh;
	CUmemAllocationProp prop;
	CUmemPoolProps pp;
	void *h1, *h2, *reg;
	struct books bk;
	uint64_t mem;

	if (argc > 1)
		return piece(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	bk = books();
	tap_ok(bk.limit[0] == 64 * MiB && bk.limit[1] == 8 * MiB && bk.limit[2] == 4,
	   "guest limits mem 64M pinned 8M contexts 4 (%s ledger)", bk.kernel ? "device" : "in-process");
	expect(0, 0, 0, "nothing before the first context");

	/* contexts: the primary one with the memory it took (3 MiB in the double) */
	tap_ok(!start(), "primary context retained");
	expect(3 * MiB, 0, 1, "primary context counted with its measured memory");

	/* device memory and the view of it */
	tap_ok(cuMemAlloc(&a, 10 * MiB) == CUDA_SUCCESS, "cuMemAlloc_v2 10 MiB");
	expect(13 * MiB, 0, 1, "after cuMemAlloc");
	f = t = 0;
	cuMemGetInfo(&f, &t);
	tap_ok(t == 64 * MiB && f == 51 * MiB, "cuMemGetInfo reports (limit - used, limit): free=%zu total=%zu", f, t);
	bk = books();
	tap_ok(cuMemAlloc(&b, 60 * MiB) == CUDA_ERROR_OUT_OF_MEMORY, "60 MiB past the limit: CUDA_ERROR_OUT_OF_MEMORY");
	tap_ok(books().hits[0] == bk.hits[0] + 1, "the refusal is counted as a limit hit");
	expect(13 * MiB, 0, 1, "a refusal charges nothing");
	tap_ok(cuMemAlloc(&b, 51 * MiB) == CUDA_SUCCESS, "exactly up to the limit: allowed");
	tap_ok(cuMemFree(b) == CUDA_SUCCESS, "freed");
	tap_ok(cuMemFree(b) != CUDA_SUCCESS, "a second free fails in the driver");
	expect(13 * MiB, 0, 1, "free gives back exactly once");

	tap_ok(((CUresult (*)(unsigned int *, unsigned int))dlsym(RTLD_DEFAULT, "cuMemAlloc"))(&v1, MiB) == 0,
	   "cuMemAlloc (v1, 32-bit) 1 MiB");
	expect(14 * MiB, 0, 1, "v1 allocation counted");
	tap_ok(((CUresult (*)(unsigned int))dlsym(RTLD_DEFAULT, "cuMemFree"))(v1) == 0, "cuMemFree (v1)");
	tap_ok(((CUresult (*)(unsigned int *, unsigned int *, unsigned int, unsigned int, unsigned int))
	    dlsym(RTLD_DEFAULT, "cuMemAllocPitch"))(&v1, &pitch1, 1000, 100, 4) == 0 && pitch1 == 1024,
	   "cuMemAllocPitch (v1): pitch 1024");
	expect(13 * MiB + 102400, 0, 1, "v1 pitch charged pitch x height");
	tap_ok(((CUresult (*)(unsigned int))dlsym(RTLD_DEFAULT, "cuMemFree"))(v1) == 0, "freed (v1)");

	tap_ok(cuMemAllocPitch(&c, &pitch, 1000, 100, 4) == 0 && pitch == 1024, "cuMemAllocPitch_v2");
	expect(13 * MiB + 102400, 0, 1, "pitch charged pitch x height, not width x height");
	tap_ok(cuMemFree(c) == 0, "pitch freed");
	tap_ok(cuMemAllocManaged(&m, 2 * MiB, CU_MEM_ATTACH_GLOBAL) == 0, "cuMemAllocManaged 2 MiB");
	expect(15 * MiB, 0, 1, "managed memory counted whole");
	tap_ok(cuMemFree(m) == 0, "managed freed");

	/* arrays and mipmapped arrays */
	{
		CUDA_ARRAY_DESCRIPTOR d = { .Width = 256, .Height = 256, .Format = CU_AD_FORMAT_FLOAT,
					    .NumChannels = 4 };
		CUDA_ARRAY3D_DESCRIPTOR d3 = { .Width = 64, .Height = 64, .Depth = 64,
					       .Format = CU_AD_FORMAT_UNSIGNED_INT8, .NumChannels = 1 };
		CUDA_ARRAY3D_DESCRIPTOR dm = { .Width = 512, .Height = 512, .Format = CU_AD_FORMAT_UNSIGNED_INT8,
					       .NumChannels = 4 };

		tap_ok(cuArrayCreate(&arr, &d) == 0, "cuArrayCreate_v2 256x256 float4");
		tap_ok(cuArray3DCreate(&arr3, &d3) == 0, "cuArray3DCreate_v2 64^3 u8");
		expect(14 * MiB + 256 * 1024, 0, 1, "arrays counted by their texels");
		tap_ok(cuMipmappedArrayCreate(&mip, &dm, 3) == 0, "cuMipmappedArrayCreate 512^2 rgba8, 3 levels");
		expect(14 * MiB + 256 * 1024 + (1024 + 256 + 64) * 1024, 0, 1, "every level counted");
		tap_ok(cuArrayDestroy(arr) == 0 && cuArrayDestroy(arr3) == 0 && cuMipmappedArrayDestroy(mip) == 0,
		   "arrays destroyed");
		expect(13 * MiB, 0, 1, "arrays released");
	}

	/* stream-ordered allocations and pools */
	tap_ok(cuMemAllocAsync(&as, 5 * MiB, 0) == 0, "cuMemAllocAsync 5 MiB");
	expect(18 * MiB, 0, 1, "async allocation counted at allocation");
	tap_ok(cuMemGetInfo(&f, &t) == 0, "cuMemGetInfo (measures the driver's memory)");
	expect(19 * MiB, 0, 1, "the pool's reserve above the allocation (2 MiB steps) is driver memory");
	tap_ok(cuMemFreeAsync(as, 0) == 0, "cuMemFreeAsync");
	expect(14 * MiB, 0, 1, "the allocation's charge is given back at the free");
	cuMemGetInfo(&f, &t);
	expect(19 * MiB, 0, 1, "memory the pool keeps after the free stays in the books");
	tap_ok(cuDeviceGetDefaultMemPool(&pool, 0) == 0 && cuMemPoolTrimTo(pool, 0) == 0, "cuMemPoolTrimTo 0");
	expect(13 * MiB, 0, 1, "a trim gives the pool's memory back");
	tap_ok(cuMemAllocAsync(&as2, MiB, 0) == 0 && cuMemFree(as2) == 0, "cuMemFree of a stream-ordered allocation");
	tap_ok(cuMemFreeAsync(as2, 0) != 0, "freeing it again fails in the driver");
	cuMemPoolTrimTo(pool, 0);
	expect(13 * MiB, 0, 1, "released once, not twice");
	tap_ok(cuMemAllocAsync(&as, 60 * MiB, 0) == CUDA_ERROR_OUT_OF_MEMORY, "cuMemAllocAsync past the limit refused");

	/* cuMemCreate: device location is device memory, host location pinned memory */
	memset(&prop, 0, sizeof(prop));
	prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
	prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	tap_ok(cuMemCreate(&hd, 4 * MiB, &prop, 0) == 0, "cuMemCreate device 4 MiB");
	prop.location.type = CU_MEM_LOCATION_TYPE_HOST;
	if (bk.kernel) {
		/* the module charges pinned memory only by pinning an address range */
		tap_ok(cuMemCreate(&hh, 2 * MiB, &prop, 0) == CUDA_ERROR_OUT_OF_MEMORY,
		   "cuMemCreate host 2 MiB: refused by the device ledger (no address to pin; documented)");
		expect(17 * MiB, 0, 1, "device location -> memory, the refused host one charges nothing");
		prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
		tap_ok(cuMemCreate(&hh, MiB, &prop, 0) == 0 && cuMemRelease(hh) == 0, "(device handle instead)");
	} else {
		tap_ok(cuMemCreate(&hh, 2 * MiB, &prop, 0) == 0, "cuMemCreate host 2 MiB");
		expect(17 * MiB, 2 * MiB, 1, "device location -> memory, host location -> pinned");
		prop.location.type = CU_MEM_LOCATION_TYPE_HOST_NUMA;
		tap_ok(cuMemCreate(&hh, 7 * MiB, &prop, 0) == CUDA_ERROR_OUT_OF_MEMORY,
		   "cuMemCreate host-NUMA past the pinned limit refused");
	}
	{
		CUdeviceptr va;
		CUmemGenericAllocationHandle again;

		tap_ok(cuMemAddressReserve(&va, 4 * MiB, 0, 0, 0) == 0 && cuMemMap(va, 4 * MiB, 0, hd, 0) == 0,
		   "mapped");
		tap_ok(cuMemRelease(hd) == 0, "released while mapped");
		expect(17 * MiB, bk.kernel ? 0 : 2 * MiB, 1, "still counted while mapped");
		tap_ok(cuMemRetainAllocationHandle(&again, (void *)va) == 0 && again == hd && cuMemRelease(again) == 0,
		   "retain + release of the handle");
		tap_ok(cuMemUnmap(va, 4 * MiB) == 0, "unmapped");
		expect(13 * MiB, bk.kernel ? 0 : 2 * MiB, 1, "gone with the last mapping");
		if (!bk.kernel)
			tap_ok(cuMemRelease(hh) == 0, "host handle released");
	}

	/* pinned host memory */
	reg = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	tap_ok(cuMemHostAlloc(&h1, MiB, 0) == 0 && cuMemAllocHost(&h2, MiB) == 0 &&
	   cuMemHostRegister(reg, MiB, 0) == 0, "cuMemHostAlloc, cuMemAllocHost_v2, cuMemHostRegister_v2");
	expect(13 * MiB, 3 * MiB, 1, "pinned host memory against the pinned quota");
	{
		void *h3;

		tap_ok(cuMemHostAlloc(&h3, 6 * MiB, 0) == CUDA_ERROR_OUT_OF_MEMORY, "past the pinned limit refused");
	}
	tap_ok(cuMemFreeHost(h1) == 0 && cuMemFreeHost(h2) == 0 && cuMemHostUnregister(reg) == 0, "freed");
	tap_ok(cuMemHostUnregister(reg) != 0, "unregistered twice fails in the driver");
	expect(13 * MiB, 0, 1, "pinned memory released once");
	munmap(reg, MiB);
	memset(&pp, 0, sizeof(pp));
	pp.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
	pp.location.type = CU_MEM_LOCATION_TYPE_HOST;
	tap_ok(cuMemPoolCreate(&hpool, &pp) == 0, "a pool in host memory");
	if (bk.kernel) {
		tap_ok(cuMemAllocFromPoolAsync(&as, MiB, hpool, 0) == CUDA_ERROR_OUT_OF_MEMORY,
		   "allocation from it: refused by the device ledger (no address to pin; documented)");
		tap_ok(cuMemPoolDestroy(hpool) == 0, "pool destroyed");
	} else {
		tap_ok(cuMemAllocFromPoolAsync(&as, MiB, hpool, 0) == 0, "allocation from it");
		expect(13 * MiB, MiB, 1, "... is pinned host memory");
		tap_ok(cuMemFreeAsync(as, 0) == 0 && cuMemPoolDestroy(hpool) == 0, "freed, pool destroyed");
	}

	/* explicit contexts and what goes with them */
	tap_ok(cuCtxCreate(&ctx2, NULL, 0, 0) == 0, "cuCtxCreate_v4");
	expect(16 * MiB, 0, 2, "context counted with its memory");
	tap_ok(cuMemAlloc(&a, MiB) == 0, "1 MiB in the new context");
	tap_ok(cuCtxCreate(&ctx3, NULL, 0, 0) == 0 && cuCtxCreate(&ctx4, NULL, 0, 0) == 0, "two more contexts");
	{
		CUcontext ctx5;

		tap_ok(cuCtxCreate(&ctx5, NULL, 0, 0) == CUDA_ERROR_OUT_OF_MEMORY, "a fifth context: refused");
	}
	tap_ok(cuCtxDestroy(ctx4) == 0 && cuCtxDestroy(ctx3) == 0, "destroyed");
	mem = books().used[0];
	tap_ok(cuCtxDestroy(ctx2) == 0, "destroying a context with a live allocation");
	tap_ok(books().used[0] == mem - 4 * MiB && books().used[2] == 1,
	   "its memory and its allocation are released with it");
	tap_ok(cuMemFree(a) != 0, "freeing that allocation afterwards fails in the driver");
	expect(13 * MiB, 0, 1, "and is not given back twice");

	/* eight threads allocating and freeing at once: the books end where they began */
	{
		pthread_t th[8];
		CUmemoryPool dp;

		for (int i = 0; i < 8; i++)
			pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1));
		for (int i = 0; i < 8; i++)
			pthread_join(th[i], NULL);
		cuDeviceGetDefaultMemPool(&dp, 0);
		cuMemPoolTrimTo(dp, 0);
		expect(13 * MiB, 0, 1, "8 threads x 400 allocations and frees: the books are exact");
	}

	/* NVML agrees */
	{
		struct { unsigned long long total, free, used; } nm;
		void *nv = dlopen("libnvidia-ml.so.1", RTLD_NOW);
		int (*init)(void) = nv ? (int (*)(void))dlsym(nv, "nvmlInit_v2") : NULL;
		int (*byidx)(unsigned, void **) = nv ? (int (*)(unsigned, void **))dlsym(nv, "nvmlDeviceGetHandleByIndex_v2") : NULL;
		int (*info)(void *, void *) = nv ? (int (*)(void *, void *))dlsym(nv, "nvmlDeviceGetMemoryInfo") : NULL;
		void *dev;

		tap_ok(init && byidx && info && !init() && !byidx(0, &dev) && !info(dev, &nm) &&
		   nm.total == 64 * MiB && nm.used == 13 * MiB && nm.free == 51 * MiB,
		   "nvmlDeviceGetMemoryInfo: total=%llu used=%llu free=%llu", nm.total, nm.used, nm.free);
	}

	/* the view never underflows and never passes the device */
	{
		void (*view)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t *, uint64_t *) =
			(void (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t *, uint64_t *))
			dlsym(RTLD_DEFAULT, "vgpu_preload_view");
		uint64_t vf = 1, vt = 1;

		view(1ull << 30, 1ull << 30, 70 * MiB, 64 * MiB, &vf, &vt);
		tap_ok(vf == 0 && vt == 64 * MiB, "used above the limit: free 0, not an underflow (%llu)",
		   (unsigned long long)vf);
		view(5 * MiB, 1ull << 30, 10 * MiB, 64 * MiB, &vf, &vt);
		tap_ok(vf == 5 * MiB, "free never above what the device has free");
		view(100 * MiB, 128 * MiB, 0, 1ull << 40, &vf, &vt);
		tap_ok(vt == 128 * MiB && vf == 100 * MiB, "total never above the device");
	}

	tap_ok(cuMemFree(a) != 0 || 1, "cleanup");
	tap_ok(cuDevicePrimaryCtxRelease(0) == 0, "primary context released");
	bk = books();
	tap_ok(bk.used[0] == 0 && bk.used[2] == 0, "the books are empty (mem=%llu ctx=%llu)",
	   (unsigned long long)bk.used[0], (unsigned long long)bk.used[2]);
	return tap_done();
}
