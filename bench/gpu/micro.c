// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * micro.c - costs of the pieces a libvgpu launch adds on top of
 * cuLaunchKernel, measured on the machine at hand (ns per call):
 * clock_gettime(CLOCK_MONOTONIC), an empty vsnprintf into a thread-local
 * buffer, a pthread mutex lock+unlock, cuCtxGetCurrent. Built and run by
 * tests/gpu/run.sh next to the benchmarks (needs libcuda.so.1 at run time).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "bench_common.h"

#define N 2000000

static __thread char tl[512];

static void __attribute__((noinline)) seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tl, sizeof(tl), fmt, ap);
	va_end(ap);
}

int main(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct timespec ts;
	volatile long sink = 0;
	double t0;
	void *lib = dlopen("libcuda.so.1", RTLD_NOW);
	int (*init)(unsigned) = lib ? (int (*)(unsigned))dlsym(lib, "cuInit") : NULL;
	int (*get)(void **) = lib ? (int (*)(void **))dlsym(lib, "cuCtxGetCurrent") : NULL;
	void *c;

	t0 = bench_now();
	for (int i = 0; i < N; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		sink += ts.tv_nsec;
	}
	printf("micro.clock_gettime_ns %.1f\n", (bench_now() - t0) / N * 1e9);
	t0 = bench_now();
	for (int i = 0; i < N; i++)
		seterr("%s", "");
	printf("micro.seterr_empty_ns %.1f\n", (bench_now() - t0) / N * 1e9);
	t0 = bench_now();
	for (int i = 0; i < N; i++) {
		pthread_mutex_lock(&m);
		sink++;
		pthread_mutex_unlock(&m);
	}
	printf("micro.mutex_ns %.1f\n", (bench_now() - t0) / N * 1e9);
	if (init && get && init(0) == 0) {
		t0 = bench_now();
		for (int i = 0; i < N; i++) {
			get(&c);
			sink += (long)c;
		}
		printf("micro.cuCtxGetCurrent_ns %.1f\n", (bench_now() - t0) / N * 1e9);
	}
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	char cs[64] = "?";

	if (f) {
		if (fscanf(f, "%63s", cs) != 1)
			cs[0] = '?';
		fclose(f);
	}
	printf("# clocksource %s\n", cs);
	return (int)(sink & 0);
}
