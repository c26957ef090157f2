/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_vgpu.h - what the libvgpu launch benchmarks (launch_cost.c,
 * launch_path.c) share: a CUDA session with the tiny kernel, and a batch of
 * its launches. Include after bench_common.h and vgpu/libvgpu.h; exits the
 * program on any failure.
 */
#ifndef VGPU_BENCH_GPU_VGPU_H
#define VGPU_BENCH_GPU_VGPU_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu/libvgpu.h"

#define BENCH_DIE(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)

/* a session of one guest: the kernel "tiny" (BENCH_KERNEL_SRC's), a 1 MiB
 * buffer, a stream */
struct bench_vg {
	vgpu_session *s;
	vgpu_kernel *k;
	vgpu_buffer *d;
	vgpu_stream *st;
};

/*
 * bench_vg_open - @guest's CUDA session, in-process ledger, a cap of @cap %
 * of the GPU's time (0: none, nothing leased); "tiny" from the PTX @ptx (a
 * foreign image) or, when NULL, compiled from BENCH_KERNEL_SRC
 */
static inline void bench_vg_open(struct bench_vg *v, const char *guest, unsigned int cap,
				 const char *ptx, size_t ptx_len)
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
	if (ret)
		BENCH_DIE("%s: session_open(cuda): %s", guest, strerror(-ret));
	if (vgpu_session_backend(v->s) != VGPU_BACKEND_CUDA)
		BENCH_DIE("%s: not on CUDA", guest);
	ret = cap ? vgpu_ledger_set_compute(v->s, cap, 100000, 0) : 0;
	ret = ret ?: ptx ? vgpu_module_load(v->s, ptx, ptx_len, VGPU_IMAGE_PTX, &m) :
			   vgpu_module_compile(v->s, BENCH_KERNEL_SRC, 0, NULL, &m);
	ret = ret ?: vgpu_kernel_get(m, "tiny", &v->k);
	ret = ret ?: vgpu_buffer_alloc(v->s, 1 << 20, &v->d);
	ret = ret ?: vgpu_stream_create(v->s, &v->st);
	if (ret)
		BENCH_DIE("%s: setup: %s", guest, vgpu_last_error(v->s));
}

/* bench_vg_batch - BENCH_LAUNCHES asynchronous launches of "tiny" (n = @n)
 * on the session's stream, then that stream synchronized. Returns the
 * seconds spent in the launch calls (before the synchronisation). */
static inline double bench_vg_batch(struct bench_vg *v, int n)
{
	struct vgpu_launch_cfg c = { .size = sizeof(c), .flags = VGPU_LAUNCH_ASYNC };
	struct vgpu_arg a[] = { vgpu_arg_buf(v->d), vgpu_arg_i32(n) };

	c.grid = (struct vgpu_dim3){ 1, 1, 1 };
	c.block = (struct vgpu_dim3){ 32, 1, 1 };
	c.stream = v->st;
	double t0 = bench_now(), host;

	for (int i = 0; i < BENCH_LAUNCHES; i++)
		if (vgpu_launch(v->k, &c, a, 2))
			BENCH_DIE("launch: %s", vgpu_last_error(v->s));
	host = bench_now() - t0;
	if (vgpu_stream_sync(v->st, -1))
		BENCH_DIE("sync: %s", vgpu_last_error(v->s));
	return host;
}

#endif
