/* SPDX-License-Identifier: GPL-2.0 */
/* Shared helpers of the CPU benchmarks: clocks, medians, checked calls. */
#ifndef VGPU_BENCH_COMMON_H
#define VGPU_BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of n samples (sorts v). */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static inline int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

/* Fail loudly on a negative return (benchmarks are not library code). */
#define TRY(sess, call)                                                       \
	do {                                                                  \
		int r_ = (call);                                              \
		if (r_ < 0) {                                                 \
			fprintf(stderr, "%s:%d: %s = %d (%s)\n%s\n", __FILE__, \
				__LINE__, #call, r_, strerror(-r_),           \
				(sess) ? vgpu_last_error(sess) : "");         \
			exit(2);                                              \
		}                                                             \
	} while (0)

/* A verdict against a target ratio: informational, never a test result. */
static inline const char *verdict(double ratio, double target)
{
	return ratio >= target ? "meets target" : "BELOW target";
}

#endif
