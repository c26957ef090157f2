// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The worker pool (src/core/workers.c) that the CPU backend's launches and
 * the CUDA backend's staged copies run on. Built by libvgpu/Makefile with
 * workers.c itself (hidden in libvgpu.so).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "common/tap.h"
#include "core/workers.h"

#define N 6

struct job {
	atomic_int calls[N];
	pthread_t who[N];
	atomic_long sum;
};

static atomic_int started[N];

static void start(void *arg, unsigned int i)
{
	(void)arg;
	if (i < N)
		atomic_fetch_add(&started[i], 1);
}

static void part(void *arg, unsigned int i)
{
	struct job *j = arg;

	atomic_fetch_add(&j->calls[i], 1);
	j->who[i] = pthread_self();
	for (long k = 0; k < 100000; k++)
		atomic_fetch_add_explicit(&j->sum, 1, memory_order_relaxed);
}

static int calls_are(struct job *j, unsigned int n)
{
	for (unsigned int i = 0; i < N; i++)
		if (atomic_load(&j->calls[i]) != (i < n))
			return 0;
	return 1;
}

int main(void)
{
	struct vgpu_workers *w;
	struct job j;
	int ok = 1, ret;

	ret = vgpu_workers_create(&w, N, start, NULL);
	tap_ok(ret == 0 && w && vgpu_workers_size(w) == N, "a pool of %d workers (%d)", N, ret);
	if (ret)
		return tap_done();
	memset(&j, 0, sizeof(j));
	vgpu_workers_run(w, N, part, &j);
	tap_ok(calls_are(&j, N) && atomic_load(&j.sum) == N * 100000L,
	       "a job runs once on each worker and returns when all are done");
	tap_ok(pthread_equal(j.who[0], pthread_self()) && !pthread_equal(j.who[1], pthread_self()),
	       "worker 0 is the calling thread, the others are not");
	memset(&j, 0, sizeof(j));
	vgpu_workers_run(w, 3, part, &j);
	tap_ok(calls_are(&j, 3), "a job of 3 workers leaves the others idle");
	memset(&j, 0, sizeof(j));
	vgpu_workers_run(w, 1, part, &j);
	tap_ok(calls_are(&j, 1) && pthread_equal(j.who[0], pthread_self()),
	       "a job of 1: the caller alone");
	memset(&j, 0, sizeof(j));
	vgpu_workers_run(w, 99, part, &j);
	tap_ok(calls_are(&j, N), "more workers than the pool has: capped");
	for (int r = 0; r < 200 && ok; r++) {
		memset(&j, 0, sizeof(j));
		vgpu_workers_run(w, N, part, &j);
		ok = calls_are(&j, N);
	}
	tap_ok(ok, "200 jobs in a row, each complete before the next");
	vgpu_workers_destroy(w);
	ok = atomic_load(&started[0]) == 0;
	for (int i = 1; i < N; i++)
		ok = ok && atomic_load(&started[i]) == 1;
	tap_ok(ok, "the start hook ran once on each thread, not on the caller");
	tap_ok(vgpu_workers_create(&w, 0, NULL, NULL) < 0 && !w, "a pool of 0 workers is refused");
	vgpu_workers_destroy(NULL);
	return tap_done();
}
