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

#define DIE(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)
#define LAUNCHES 200000

static const char ptx[] = ".version 6.0\n.target sm_50\n.address_size 64\n"
			  ".visible .entry tiny(.param .u64 p, .param .u32 n)\n{\n\tret;\n}\n";

typedef int (*launch_t)(void *f, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
			unsigned, void *, void **, void **);
typedef int (*sync_t)(void *);

struct vg {
	vgpu_session *s;
	vgpu_kernel *k;
	vgpu_buffer *d;
	vgpu_stream *st;
};

static void vg_open(struct vg *v, const char *guest, unsigned cap)
{
	struct vgpu_session_opts o = { .size = sizeof(o) };
	vgpu_module *m;
	int ret;

	o.flags = VGPU_SESSION_NO_DEVICE_LEDGER | VGPU_SESSION_LIMITS;
	o.guest = guest;
	o.backend = VGPU_BACKEND_CUDA;
	o.mem_limit = 1ull << 30;
	o.pinned_limit = 1ull << 30;
	o.context_limit = 8;
	ret = vgpu_session_open(&v->s, &o);
	if (ret || vgpu_session_backend(v->s) != VGPU_BACKEND_CUDA)
		DIE("%s: no CUDA session (VGPU_CUDA_LIBRARY set to the double?): %d", guest, ret);
	ret = cap ? vgpu_ledger_set_compute(v->s, cap, 100000, 0) : 0;
	ret = ret ?: vgpu_module_load(v->s, ptx, sizeof(ptx), VGPU_IMAGE_PTX, &m);
	ret = ret ?: vgpu_kernel_get(m, "tiny", &v->k);
	ret = ret ?: vgpu_buffer_alloc(v->s, 4096, &v->d);
	ret = ret ?: vgpu_stream_create(v->s, &v->st);
	if (ret)
		DIE("%s: setup: %s", guest, vgpu_last_error(v->s));
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 9;
	const char *lib = getenv("VGPU_CUDA_LIBRARY");
	void *h = lib ? dlopen(lib, RTLD_NOW | RTLD_LOCAL) : NULL;
	launch_t raw_launch;
	sync_t raw_sync;
	struct vg off, on;
	double t[3][64], own_off[64], own_on[64];
	unsigned long long d = 0x700000000000ull;
	int n = 1;
	void *params[] = { &d, &n };

	if (!h)
		DIE("VGPU_CUDA_LIBRARY must name the CUDA driver's test double");
	raw_launch = (launch_t)dlsym(h, "cuLaunchKernel");
	raw_sync = (sync_t)dlsym(h, "cuStreamSynchronize");
	if (!raw_launch || !raw_sync)
		DIE("%s lacks cuLaunchKernel", lib);
	if (rounds < 1 || rounds > 64)
		rounds = 9;
	vg_open(&off, "lp-off", 0);
	vg_open(&on, "lp-on", 100);
	for (int r = -1; r < rounds; r++) {	/* round -1: warm-up */
		for (int i = 0; i < 3; i++) {
			int a = (r + 3 + i) % 3;
			struct vg *v = a == 1 ? &off : &on;
			struct vgpu_launch_cfg c = { .size = sizeof(c), .flags = VGPU_LAUNCH_ASYNC };
			struct vgpu_arg args[2];
			double t0 = bench_now();

			c.grid = (struct vgpu_dim3){ 1, 1, 1 };
			c.block = (struct vgpu_dim3){ 32, 1, 1 };
			for (int b = 0; b < LAUNCHES / 256; b++) {
				if (a == 0) {
					for (int j = 0; j < 256; j++)
						if (raw_launch((void *)1, 1, 1, 1, 32, 1, 1, 0, NULL, params, NULL))
							DIE("raw launch failed");
					raw_sync(NULL);
					continue;
				}
				c.stream = v->st;
				args[0] = vgpu_arg_buf(v->d);
				args[1] = vgpu_arg_i32(n);
				for (int j = 0; j < 256; j++)
					if (vgpu_launch(v->k, &c, args, 2))
						DIE("launch: %s", vgpu_last_error(v->s));
				if (vgpu_stream_sync(v->st, -1))
					DIE("sync: %s", vgpu_last_error(v->s));
			}
			if (r >= 0)
				t[a][r] = (bench_now() - t0) / (LAUNCHES / 256 * 256) * 1e9;
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
