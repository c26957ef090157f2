// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vgpu_bench.c - the libvgpu side of bench/gpu (raw_cuda.c is the baseline).
 * Prints "key value" lines:
 *
 *   vgpu.launch_us           per-launch time of VGPU_LAUNCH_ASYNC launches of
 *                            the tiny kernel on one stream, in batches of 256
 *                            each followed by a synchronize (cache-hit module,
 *                            in-process ledger with limits)
 *   vgpu.submit_us           the time spent in vgpu_launch alone, per launch
 *   vgpu.compile_cold_ms     vgpu_module_compile with VGPU_COMPILE_NO_CACHE
 *   vgpu.compile_hit_ms      the same source again with the cache (memory hit)
 *   vgpu.compile_disk_hit_ms a new session, same cache directory (disk hit)
 *   vgpu.h2d_pageable_GBs    vgpu_buffer_write of 256 MiB from malloc() memory
 *   vgpu.h2d_pinned_GBs      the same from vgpu_host_alloc() memory
 *   vgpu.d2h_pageable_GBs    vgpu_buffer_read of 256 MiB into malloc() memory
 *
 * Argument 1: repetitions (default 5). Further arguments: staging settings to
 * sweep (VGPU_CUDA_STAGING values, e.g. "8,4096,4096"); each gets a
 * vgpu.h2d_pageable_GBs[setting] line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgpu/libvgpu.h"
#include "bench_common.h"

#define DIE(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)

static vgpu_session *open_cuda(const char *cache_dir)
{
	struct vgpu_session_opts o = { .size = sizeof(o) };
	vgpu_session *s;
	int ret;

	o.flags = VGPU_SESSION_NO_DEVICE_LEDGER | VGPU_SESSION_LIMITS;
	o.guest = "bench";
	o.backend = VGPU_BACKEND_CUDA;
	o.mem_limit = 16ull << 30;	/* quota accounted, never reached */
	o.pinned_limit = 2ull << 30;
	o.context_limit = 8;
	o.cache_dir = cache_dir;
	ret = vgpu_session_open(&s, &o);
	if (ret)
		DIE("session_open(cuda): %s", strerror(-ret));
	if (vgpu_session_backend(s) != VGPU_BACKEND_CUDA)
		DIE("not on CUDA");
	return s;
}

static double h2d(vgpu_session *s, vgpu_buffer *b, void *src, size_t sz, int reps)
{
	double *bw = calloc(reps, sizeof(*bw)), r;
	int ret = vgpu_buffer_write(b, 0, src, sz);

	if (ret)
		DIE("write: %s", vgpu_last_error(s));
	for (int i = 0; i < reps; i++) {
		double t0 = bench_now();

		ret = vgpu_buffer_write(b, 0, src, sz);
		if (ret)
			DIE("write: %s", vgpu_last_error(s));
		bw[i] = sz / (bench_now() - t0) / 1e9;
	}
	r = bench_median(bw, reps);
	free(bw);
	return r;
}

static double d2h(vgpu_session *s, vgpu_buffer *b, void *dst, size_t sz, int reps)
{
	double *bw = calloc(reps, sizeof(*bw)), r;
	int ret = vgpu_buffer_read(b, 0, dst, sz);

	if (ret)
		DIE("read: %s", vgpu_last_error(s));
	for (int i = 0; i < reps; i++) {
		double t0 = bench_now();

		ret = vgpu_buffer_read(b, 0, dst, sz);
		if (ret)
			DIE("read: %s", vgpu_last_error(s));
		bw[i] = sz / (bench_now() - t0) / 1e9;
	}
	r = bench_median(bw, reps);
	free(bw);
	return r;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	char cache_dir[] = "/tmp/vgpu-bench-cache-XXXXXX";
	struct vgpu_compile_opts nocache = { .size = sizeof(nocache), .flags = VGPU_COMPILE_NO_CACHE };
	vgpu_session *s;
	vgpu_module *m;
	vgpu_kernel *k;
	vgpu_buffer *d, *big;
	vgpu_stream *st;
	double *t = calloc(reps > 20 ? reps : 20, sizeof(double));
	double *sub = calloc(reps > 20 ? reps : 20, sizeof(double));
	size_t sz = BENCH_H2D_BYTES;
	void *pageable, *pinned;
	int ret;

	if (reps < 1)
		reps = 1;
	if (!mkdtemp(cache_dir))
		DIE("mkdtemp");
	s = open_cuda(cache_dir);

	/* compile: cold (no cache) vs hit */
	for (int i = 0; i < 3; i++) {
		double t0 = bench_now();

		ret = vgpu_module_compile(s, BENCH_KERNEL_SRC, 0, &nocache, &m);
		t[i] = bench_now() - t0;
		if (ret)
			DIE("compile: %s", vgpu_last_error(s));
		vgpu_module_unload(m);
	}
	printf("vgpu.compile_cold_ms %.3f\n", bench_median(t, 3) * 1e3);
	ret = vgpu_module_compile(s, BENCH_KERNEL_SRC, 0, NULL, &m);	/* fills the cache */
	if (ret)
		DIE("compile: %s", vgpu_last_error(s));
	vgpu_module_unload(m);
	for (int i = 0; i < 20; i++) {
		double t0 = bench_now();

		ret = vgpu_module_compile(s, BENCH_KERNEL_SRC, 0, NULL, &m);
		t[i] = bench_now() - t0;
		if (ret)
			DIE("compile: %s", vgpu_last_error(s));
		if (i < 19)
			vgpu_module_unload(m);
	}
	printf("vgpu.compile_hit_ms %.4f\n", bench_median(t, 20) * 1e3);
	{
		struct vgpu_stats sts = { .size = sizeof(sts) };

		vgpu_stats_get(s, &sts);
		printf("vgpu.cache_hits %llu\nvgpu.cache_misses %llu\n", (unsigned long long)sts.cache_hits,
		       (unsigned long long)sts.cache_misses);
	}
	{	/* disk hit: another session, same directory */
		vgpu_session *s2 = open_cuda(cache_dir);
		vgpu_module *m2;

		for (int i = 0; i < 1; i++) {
			double t0 = bench_now();

			ret = vgpu_module_compile(s2, BENCH_KERNEL_SRC, 0, NULL, &m2);
			t[i] = bench_now() - t0;
			if (ret)
				DIE("compile: %s", vgpu_last_error(s2));
			vgpu_module_unload(m2);
		}
		printf("vgpu.compile_disk_hit_ms %.4f\n", t[0] * 1e3);
		vgpu_session_close(s2);
	}

	/* launch overhead */
	ret = vgpu_kernel_get(m, "tiny", &k);
	ret = ret ?: vgpu_buffer_alloc(s, 1 << 20, &d);
	ret = ret ?: vgpu_stream_create(s, &st);
	if (ret)
		DIE("setup: %s", vgpu_last_error(s));
	{
		struct vgpu_launch_cfg c = { .size = sizeof(c), .flags = VGPU_LAUNCH_ASYNC };
		struct vgpu_arg a[] = { vgpu_arg_buf(d), vgpu_arg_i32(1 << 18) };

		c.grid = (struct vgpu_dim3){ 1, 1, 1 };
		c.block = (struct vgpu_dim3){ 32, 1, 1 };
		c.stream = st;
		for (int i = 0; i < 1000; i++)
			if ((ret = vgpu_launch(k, &c, a, 2)))
				DIE("launch: %s", vgpu_last_error(s));
		vgpu_stream_sync(st, -1);
		for (int r = 0; r < reps; r++) {
			double ts = 0, tt = 0;

			for (int bt = 0; bt < BENCH_BATCHES; bt++) {
				double t0 = bench_now(), t1, t2;

				for (int i = 0; i < BENCH_LAUNCHES; i++)
					if ((ret = vgpu_launch(k, &c, a, 2)))
						DIE("launch: %s", vgpu_last_error(s));
				t1 = bench_now();
				ret = vgpu_stream_sync(st, -1);
				if (ret)
					DIE("sync: %s", vgpu_last_error(s));
				t2 = bench_now();
				ts += t1 - t0;
				tt += t2 - t0;
			}
			t[r] = tt / (BENCH_BATCHES * BENCH_LAUNCHES) * 1e6;
			sub[r] = ts / (BENCH_BATCHES * BENCH_LAUNCHES) * 1e6;
		}
		printf("vgpu.submit_us %.4f\n", bench_median(sub, reps));
		printf("vgpu.launch_us %.4f\n", bench_median(t, reps));
	}

	/* copies, default staging */
	pageable = malloc(sz);
	if (!pageable)
		DIE("malloc");
	memset(pageable, 3, sz);
	ret = vgpu_buffer_alloc(s, sz, &big);
	if (ret)
		DIE("alloc: %s", vgpu_last_error(s));
	printf("vgpu.h2d_pageable_GBs %.3f\n", h2d(s, big, pageable, sz, reps));
	printf("vgpu.d2h_pageable_GBs %.3f\n", d2h(s, big, pageable, sz, reps));
	ret = vgpu_host_alloc(s, sz, &pinned);
	if (ret) {
		printf("# vgpu_host_alloc(256 MiB): %s\n", vgpu_last_error(s));
	} else {
		memset(pinned, 5, sz);
		printf("vgpu.h2d_pinned_GBs %.3f\n", h2d(s, big, pinned, sz, reps));
		vgpu_host_free(s, pinned);
	}
	vgpu_buffer_free(big);
	vgpu_buffer_free(d);
	vgpu_stream_destroy(st);
	vgpu_module_unload(m);
	vgpu_session_close(s);

	/* the buffer pool: 1 MiB vgpu_buffer_alloc + free, pooled and not */
	for (int pooled = 1; pooled >= 0; pooled--) {
		double *pr = calloc(reps, sizeof(*pr));
		const int n = 2000;
		vgpu_buffer *x;

		if (!pooled)
			setenv("VGPU_POOL", "0", 1);
		s = open_cuda(cache_dir);
		unsetenv("VGPU_POOL");
		for (int r = 0; r < reps; r++) {
			double t0 = bench_now();

			for (int i = 0; i < n; i++) {
				if (vgpu_buffer_alloc(s, 1 << 20, &x))
					DIE("alloc: %s", vgpu_last_error(s));
				vgpu_buffer_free(x);
			}
			pr[r] = (bench_now() - t0) / n * 1e6;
		}
		printf("vgpu.alloc1m_%s_us %.4f\n", pooled ? "pool" : "nopool", bench_median(pr, reps));
		vgpu_session_close(s);
		free(pr);
	}

	/* staging sweep: each setting in a fresh session (the pool reads it at creation) */
	for (int i = 2; i < argc; i++) {
		setenv("VGPU_CUDA_STAGING", argv[i], 1);
		s = open_cuda(cache_dir);
		ret = vgpu_buffer_alloc(s, sz, &big);
		if (ret)
			DIE("alloc: %s", vgpu_last_error(s));
		printf("vgpu.h2d_pageable_GBs[%s] %.3f\n", argv[i], h2d(s, big, pageable, sz, reps));
		vgpu_buffer_free(big);
		vgpu_session_close(s);
	}
	free(pageable);
	free(t);
	free(sub);
	return 0;
}
