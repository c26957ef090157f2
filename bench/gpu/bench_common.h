/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench_common.h - what the raw and the libvgpu GPU benchmarks share. */
#ifndef VGPU_BENCH_GPU_COMMON_H
#define VGPU_BENCH_GPU_COMMON_H

#include <stdlib.h>
#include <time.h>

/* The launch benchmark's kernel: typed arguments, does (almost) nothing. */
#define BENCH_KERNEL_SRC \
	"extern \"C\" __global__ void tiny(float *p, int n)\n" \
	"{\n" \
	"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n" \
	"	if (i >= n)\n" \
	"		p[0] = 1.0f;\n" \
	"}\n"

/* compute_share's and compute_probe's kernel: a calibrated spin of n steps a thread */
#define BENCH_SPIN_SRC \
	"extern \"C\" __global__ void spin(float *p, int n)\n" \
	"{\n" \
	"	float x = (float)threadIdx.x;\n" \
	"	for (int i = 0; i < n; i++)\n" \
	"		x = x * 0.9999f + 0.0001f;\n" \
	"	if (x == 12345.0f)\n" \
	"		p[0] = x;\n" \
	"}\n"

#define BENCH_LAUNCHES   256	/* per batch: below the launch queue's depth */
#define BENCH_BATCHES    100	/* batches per repetition, each then synchronized */
#define BENCH_H2D_BYTES  ((size_t)256 << 20)

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double bench_median(double *v, int n)
{
	qsort(v, n, sizeof(*v), bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
