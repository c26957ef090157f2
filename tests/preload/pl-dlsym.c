// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pl-dlsym: the driver reached the way a CUDA runtime reaches it - dlopen of
 * libcuda.so.1, dlsym of cuGetProcAddress, every entry point asked for at a
 * CUDA version - under libvgpu-preload over the test-double driver. Checks
 * each breakage class of LD_PRELOAD interposers: dlsym finding the
 * interposer itself, RTLD_NEXT relative to the caller, cuGetProcAddress
 * answering with the ABI of the version asked for (legacy 32-bit variants,
 * per-thread-stream variants), and entry points of versions newer than the
 * build's header passing through untouched.
 *   pl-dlsym        the checks (guest limits as for pl-direct)
 *   pl-dlsym off    VGPU_PRELOAD=off, or no VGPU_GUEST: nothing is wrapped
 */
#define _GNU_SOURCE
#define __CUDA_API_VERSION_INTERNAL 1
#include <cuda.h>

#include "pltest.h"

typedef CUresult (*gpa_v2_t)(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *);

static void *lookup(gpa_v2_t gpa, const char *sym, int ver, cuuint64_t flags)
{
	void *p = NULL;

	return gpa(sym, &p, ver, flags, NULL) == CUDA_SUCCESS ? p : NULL;
}

static int off_mode(void *h)
{
	gpa_v2_t gpa = (gpa_v2_t)dlsym(h, "cuGetProcAddress_v2");
	void *p = dlsym(h, "cuMemAlloc_v2");

	printf("TAP version 13\n");
	tap_ok(p && !in_preload(p), "VGPU_PRELOAD=off: dlsym gives the driver's cuMemAlloc_v2 (%s)", lib_of(p));
	tap_ok(gpa && !in_preload((void *)gpa), "VGPU_PRELOAD=off: cuGetProcAddress_v2 is the driver's");
	p = gpa ? lookup(gpa, "cuMemAlloc", 13000, 0) : NULL;
	tap_ok(p && !in_preload(p), "VGPU_PRELOAD=off: cuGetProcAddress answers are the driver's");
	return tap_done();
}

int main(int argc, char **argv)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
	CUresult (*init)(unsigned int);
	CUresult (*retain)(CUcontext *, CUdevice);
	CUresult (*setcur)(CUcontext);
	CUresult (*release)(CUdevice);
	CUresult (*alloc2)(CUdeviceptr *, size_t);
	CUresult (*alloc1)(CUdeviceptr_v1 *, unsigned int);
	CUresult (*free2)(CUdeviceptr);
	CUresult (*ctx3)(CUcontext *, CUexecAffinityParam *, int, unsigned int, CUdevice);
	CUresult (*ctx4)(CUcontext *, CUctxCreateParams *, unsigned int, CUdevice);
	CUresult (*ctx2)(CUcontext *, unsigned int, CUdevice);
	CUresult (*destroy)(CUcontext);
	CUresult (*future)(size_t, unsigned long long, CUdeviceptr *);
	gpa_v2_t gpa;
	void *p, *q;
	CUcontext c, c2;
	CUdeviceptr d, d2;
	CUdeviceptr_v1 d1;
	struct books b;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!h) {
		printf("Bail out! dlopen libcuda.so.1: %s\n", dlerror());
		return 2;
	}
	if (argc > 1 && !strcmp(argv[1], "off"))
		return off_mode(h);
	printf("TAP version 13\n");

	/* dlsym through the driver's own handle */
	p = dlsym(h, "cuMemAlloc_v2");
	tap_ok(in_preload(p) && !strcmp(sym_of(p), "cuMemAlloc_v2"),
	   "dlsym(libcuda, cuMemAlloc_v2) gives the wrapper (%s:%s)", lib_of(p), sym_of(p));
	/* self-lookup: RTLD_DEFAULT finds the interposer first; it must be the wrapper, callable */
	q = dlsym(RTLD_DEFAULT, "cuMemAlloc_v2");
	tap_ok(q == p, "dlsym(RTLD_DEFAULT, cuMemAlloc_v2) finds the same wrapper, not a second one");
	/* RTLD_NEXT is relative to the caller (the executable): the preload comes next */
	q = dlsym(RTLD_NEXT, "cuMemAlloc_v2");
	tap_ok(q == p, "dlsym(RTLD_NEXT) from the program resolves relative to the program (%s)", lib_of(q));
	tap_ok(dlsym(h, "cuNoSuchEntryPoint") == NULL, "an unknown name is still unknown");

	gpa = (gpa_v2_t)dlsym(h, "cuGetProcAddress_v2");
	tap_ok(in_preload((void *)gpa), "dlsym(libcuda, cuGetProcAddress_v2) is wrapped");
	p = lookup(gpa, "cuGetProcAddress", 13000, 0);
	tap_ok(p == (void *)gpa, "cuGetProcAddress(cuGetProcAddress, 13000) is the v2 wrapper");
	p = lookup(gpa, "cuGetProcAddress", 11030, 0);
	tap_ok(in_preload(p) && !strcmp(sym_of(p), "cuGetProcAddress"), "at 11030 the v1 wrapper (%s)", sym_of(p));

	p = lookup(gpa, "cuDeviceGetCount", 13000, 0);
	tap_ok(p && !in_preload(p), "cuDeviceGetCount (not hooked) passes through to the driver");
	init = lookup(gpa, "cuInit", 13000, 0);
	tap_ok(in_preload((void *)init), "cuInit is wrapped (the device-wide baseline is taken before it)");
	retain = lookup(gpa, "cuDevicePrimaryCtxRetain", 13000, 0);
	setcur = lookup(gpa, "cuCtxSetCurrent", 13000, 0);
	release = lookup(gpa, "cuDevicePrimaryCtxRelease", 13000, 0);
	tap_ok(in_preload((void *)release) && !strcmp(sym_of((void *)release), "cuDevicePrimaryCtxRelease_v2"),
	   "cuDevicePrimaryCtxRelease at 13000: the _v2 wrapper");
	tap_ok(init && retain && setcur && !init(0) && !retain(&c, 0) && !setcur(c), "primary context through the runtime path");
	b = books();
	tap_ok(b.used[2] == 1 && b.used[0] == 3 * MiB, "counted: ctx=%llu mem=%llu",
	   (unsigned long long)b.used[2], (unsigned long long)b.used[0]);

	/* the ABI of the version asked for */
	alloc2 = lookup(gpa, "cuMemAlloc", 13000, 0);
	alloc1 = lookup(gpa, "cuMemAlloc", 3000, 0);
	tap_ok(in_preload((void *)alloc2) && !strcmp(sym_of((void *)alloc2), "cuMemAlloc_v2"),
	   "cuMemAlloc at 13000: the cuMemAlloc_v2 wrapper");
	tap_ok(in_preload((void *)alloc1) && !strcmp(sym_of((void *)alloc1), "cuMemAlloc"),
	   "cuMemAlloc at 3000: the 32-bit cuMemAlloc wrapper (%s)", sym_of((void *)alloc1));
	tap_ok(!alloc2(&d, 4 * MiB) && books().used[0] == 7 * MiB, "64-bit ABI call charged 4 MiB");
	d1 = 0;
	tap_ok(!alloc1(&d1, 2 * MiB) && d1 != 0 && books().used[0] == 9 * MiB,
	   "32-bit ABI call (unsigned int size, 32-bit pointer) charged 2 MiB");
	free2 = lookup(gpa, "cuMemFree", 13000, 0);
	tap_ok(!free2(d) && !free2(d1) && books().used[0] == 3 * MiB, "both freed through cuMemFree_v2");

	p = lookup(gpa, "cuMemAllocAsync", 13000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM);
	tap_ok(in_preload(p) && !strcmp(sym_of(p), "cuMemAllocAsync_ptsz"),
	   "per-thread default stream: the _ptsz wrapper (%s)", sym_of(p));
	p = lookup(gpa, "cuMemAllocAsync", 13000, CU_GET_PROC_ADDRESS_LEGACY_STREAM);
	tap_ok(in_preload(p) && !strcmp(sym_of(p), "cuMemAllocAsync"), "legacy stream: the plain wrapper");

	ctx2 = lookup(gpa, "cuCtxCreate", 3020, 0);
	ctx3 = lookup(gpa, "cuCtxCreate", 11040, 0);
	ctx4 = lookup(gpa, "cuCtxCreate", 12050, 0);
	destroy = lookup(gpa, "cuCtxDestroy", 13000, 0);
	tap_ok(!strcmp(sym_of((void *)ctx2), "cuCtxCreate_v2") && !strcmp(sym_of((void *)ctx3), "cuCtxCreate_v3") &&
	   !strcmp(sym_of((void *)ctx4), "cuCtxCreate_v4"), "cuCtxCreate at 3020/11040/12050: _v2/_v3/_v4");
	tap_ok(!ctx3(&c2, NULL, 0, 0, 0) && books().used[2] == 2, "cuCtxCreate_v3 ABI (affinity params) counted");
	tap_ok(!destroy(c2) && books().used[2] == 1, "destroyed");
	tap_ok(!ctx2(&c2, 0, 0) && books().used[2] == 2 && !destroy(c2), "cuCtxCreate_v2 ABI counted and destroyed");
	setcur(c);

	/* a version newer than the header: the driver's answer, untouched */
	future = lookup(gpa, "cuMemAlloc", 99000, 0);
	tap_ok(future && !in_preload((void *)future), "cuMemAlloc at 99000 (unknown ABI) passes through (%s)",
	   lib_of((void *)future));
	tap_ok(future && !future(MiB, 0, &d2) && books().used[0] == 3 * MiB,
	   "calling it works, with its own ABI (and the books cannot see it: documented)");
	p = lookup(gpa, "cuFutureEntryPoint", 13000, 0);
	tap_ok(p == NULL, "an entry point the driver lacks stays missing");

	tap_ok(!release(0) && books().used[2] == 0 && books().used[0] == 0, "primary released: books empty");
	return tap_done();
}
