// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * launch_path.c - what libvgpu's launch path costs the host, without a GPU:
 * libvgpu's CUDA backend over the CUDA driver's TEST DOUBLE
 * (tests/preload/fakecuda.c, built as build/preload/tests/libcuda.so.1),
 * whose launch does next to nothing. The same number of asynchronous
 * launches of one kernel, each batch of 256 then synchronized, straight
 * into the double (cuLaunchKernel from it) and through vgpu_launch with
 * accounting off and on (a 100 % cap, in-process), the arms rotated round by
 * round. Printed: each arm's median ns per launch and libvgpu's own ns per
 * launch (the difference to the straight call). A real driver's launch
 * costs 3-4 us on the H200 machine (bench/gpu/launch_cost): there 1 % is
 * 30-40 ns.
 *
 *   make preload    (or tests/suites/host/25-preload: builds the double)
 *   cc -O2 -Ilibvgpu/include -Ibench/gpu bench/gpu/launch_path.c -o launch_path \
 *       -Lbuild/libvgpu -lvgpu -Wl,-rpath,$PWD/build/libvgpu -ldl
 *   VGPU_CUDA_LIBRARY=$PWD/build/preload/tests/libcuda.so.1 FAKECUDA_KERNEL_US=0 \
 *       VGPU_CUDA_NO_NVML=1 ./launch_path [ROUNDS]
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu/libvgpu.h"
#include "bench_common.h"
#include "bench_vgpu.h"

#define LAUNCHES 200000

static const char ptx[] = ".version 6.0\n.target sm_50\n.address_size 64\n"
			  ".visible .entry tiny(.param .u64 p, .param .u32 n)\n{\n\tret;\n}\n";

typedef int (*launch_t)(void *f, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
			unsigned, void *, void **, void **);
typedef int (*sync_t)(void *);
typedef int (*ctx_create_t)(void **ctx, unsigned int flags, int dev);
typedef int (*ctx_set_t)(void *ctx);
typedef int (*mod_load_t)(void **mod, const void *image);
typedef int (*get_fn_t)(void **fn, void *mod, const char *name);

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 9;
	const char *lib = getenv("VGPU_CUDA_LIBRARY");
	void *h = lib ? dlopen(lib, RTLD_NOW | RTLD_LOCAL) : NULL;
	launch_t raw_launch;
	sync_t raw_sync;
	ctx_create_t ctx_create;
	ctx_set_t ctx_set;
	mod_load_t mod_load;
	get_fn_t get_fn;
	void *raw_ctx, *raw_mod, *raw_fn;
	struct bench_vg off, on;
	double t[3][64], own_off[64], own_on[64];
	unsigned long long d = 0x700000000000ull;
	int n = 1;
	void *params[] = { &d, &n };

	if (!h)
		BENCH_DIE("VGPU_CUDA_LIBRARY must name the CUDA driver's test double");
	raw_launch = (launch_t)dlsym(h, "cuLaunchKernel");
	raw_sync = (sync_t)dlsym(h, "cuStreamSynchronize");
	ctx_create = (ctx_create_t)dlsym(h, "cuCtxCreate_v2");
	ctx_set = (ctx_set_t)dlsym(h, "cuCtxSetCurrent");
	mod_load = (mod_load_t)dlsym(h, "cuModuleLoadData");
	get_fn = (get_fn_t)dlsym(h, "cuModuleGetFunction");
	if (!raw_launch || !raw_sync || !ctx_create || !ctx_set || !mod_load || !get_fn)
		BENCH_DIE("%s lacks cuLaunchKernel, cuCtxCreate_v2, ...", lib);
	/* the straight arm's context and function (the double's functions
	 * belong to the context they were got in) */
	if (ctx_create(&raw_ctx, 0, 0) || mod_load(&raw_mod, ptx) || get_fn(&raw_fn, raw_mod, "tiny"))
		BENCH_DIE("the double made no context, module or function");
	if (rounds < 1 || rounds > 64)
		rounds = 9;
	bench_vg_open(&off, "lp-off", 0, ptx, sizeof(ptx));
	bench_vg_open(&on, "lp-on", 100, ptx, sizeof(ptx));
	for (int r = -1; r < rounds; r++) {	/* round -1: warm-up */
		for (int i = 0; i < 3; i++) {
			int a = (r + 3 + i) % 3;
			struct bench_vg *v = a == 1 ? &off : &on;
			double t0 = bench_now();

			for (int b = 0; b < LAUNCHES / BENCH_LAUNCHES; b++) {
				if (a == 0) {
					ctx_set(raw_ctx);
					for (int j = 0; j < BENCH_LAUNCHES; j++)
						if (raw_launch(raw_fn, 1, 1, 1, 32, 1, 1, 0, NULL, params, NULL))
							BENCH_DIE("raw launch failed");
					raw_sync(NULL);
				} else {
					bench_vg_batch(v, n);
				}
			}
			if (r >= 0)
				t[a][r] = (bench_now() - t0) / (LAUNCHES / BENCH_LAUNCHES * BENCH_LAUNCHES) * 1e9;
		}
		if (r >= 0) {
			own_off[r] = t[1][r] - t[0][r];
			own_on[r] = t[2][r] - t[0][r];
		}
	}
	printf("launch_path.raw_ns %.1f\nlaunch_path.off_ns %.1f\nlaunch_path.on_ns %.1f\n",
	       bench_median(t[0], rounds), bench_median(t[1], rounds), bench_median(t[2], rounds));
	printf("launch_path.libvgpu_off_ns %.1f\nlaunch_path.libvgpu_on_ns %.1f\n",
	       bench_median(own_off, rounds), bench_median(own_on, rounds));
	vgpu_session_close(off.s);
	vgpu_session_close(on.s);
	return 0;
}
