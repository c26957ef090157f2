// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The worker pool (src/core/workers.c) that the CPU backend's launches and
 * the CUDA backend's staged copies run on. Built by libvgpu/Makefile with
 * workers.c itself (hidden in libvgpu.so).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* worker 1 sleeps a while: the caller is done first and waits for it */
static void slow_part(void *arg, unsigned int i)
{
	struct job *j = arg;

	if (i == 1)
		usleep(2000);
	atomic_fetch_add(&j->calls[i], 1);
}

/* a part without work: the jobs follow each other as fast as they can */
static void part_quick(void *arg, unsigned int i)
{
	struct job *j = arg;

	atomic_fetch_add(&j->calls[i], 1);
}

static int calls_are(struct job *j, unsigned int n)
{
	for (unsigned int i = 0; i < N; i++)
		if (atomic_load(&j->calls[i]) != (i < n))
			return 0;
	return 1;
}

/* jobs of 1 and 2 workers alternating, host pauses of 0-300 us between them */
static int mixed(struct vgpu_workers *w, unsigned int seed)
{
	struct job j;

	for (int r = 0; r < 300; r++) {
		unsigned int n = 1 + (seed >> 7) % 2;

		seed = seed * 1103515245u + 12345u;
		memset(&j, 0, sizeof(j));
		vgpu_workers_run(w, n, part, &j);
		if (!calls_are(&j, n))
			return 0;
		if ((seed >> 9) % 3)
			usleep((seed >> 11) % 300);
	}
	return 1;
}

/* jobs of 1 to the pool's @n workers at random: workers left out of a job while others spin */
static int partial(struct vgpu_workers *w, unsigned int n, unsigned int seed)
{
	struct job j;

	for (int r = 0; r < 2000; r++) {
		unsigned int k = 1 + (seed >> 8) % n;

		seed = seed * 1103515245u + 12345u;
		memset(&j, 0, sizeof(j));
		vgpu_workers_run(w, k, part_quick, &j);
		if (!calls_are(&j, k))
			return 0;
	}
	return 1;
}

/* a pool of @n workers spinning @spin (a VGPU_SPIN_US value) between jobs */
static void spinning(unsigned int n, const char *spin)
{
	struct vgpu_workers *w;
	struct job j;
	int ok = 1;

	setenv("VGPU_SPIN_US", spin, 1);
	if (vgpu_workers_create(&w, n, NULL, NULL)) {
		tap_ok(0, "a pool of %u workers, VGPU_SPIN_US=%s", n, spin);
		return;
	}
	for (int r = 0; r < 200 && ok; r++) {
		memset(&j, 0, sizeof(j));
		vgpu_workers_run(w, n, part, &j);
		ok = calls_are(&j, n) && atomic_load(&j.sum) == (long)n * 100000L;
	}
	tap_ok(ok, "VGPU_SPIN_US=%s, %u workers: 200 jobs back to back, each complete", spin, n);
	tap_ok(mixed(w, 7), "VGPU_SPIN_US=%s: 300 jobs of 1 or 2 workers, pauses between", spin);
	tap_ok(partial(w, n, 11), "VGPU_SPIN_US=%s: 2000 jobs of 1 to %u workers in a row", spin, n);
	memset(&j, 0, sizeof(j));
	vgpu_workers_run(w, n, slow_part, &j);
	tap_ok(calls_are(&j, n), "VGPU_SPIN_US=%s: the caller waits for a worker that sleeps", spin);
	vgpu_workers_destroy(w);	/* its threads spin now, or sleep: joined either way */
	unsetenv("VGPU_SPIN_US");
}

int main(void)
{
	struct vgpu_workers *w;
	struct job j;
	int ok = 1, ret;

	alarm(120);	/* a lost wake-up hangs: fail instead */
	setenv("VGPU_SPIN_US", "0", 1);	/* the first pool's workers sleep between jobs */
	ret = vgpu_workers_create(&w, N, start, NULL);
	unsetenv("VGPU_SPIN_US");
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
	/* two workers spin where there are two cores; on one they sleep */
	if (vgpu_cores() < 2)
		tap_diag("one core: the pools below never spin (a pool larger than the cores does not)");
	spinning(2, "0");
	spinning(2, "100000");
	spinning(2, "20");
	spinning(N, "50");
	/* as many workers as cores (2 to N): spinning, jobs of a few of them */
	const unsigned int cores = vgpu_cores();

	spinning(cores < 2 ? 2 : cores > N ? N : cores, "1000");
	setenv("VGPU_SPIN_US", "lots", 1);
	ret = vgpu_workers_create(&w, 2, NULL, NULL);
	tap_ok(ret == 0, "a VGPU_SPIN_US that does not parse: the default (%d)", ret);
	if (!ret) {
		memset(&j, 0, sizeof(j));
		vgpu_workers_run(w, 2, part, &j);
		tap_ok(calls_are(&j, 2), "and its pool runs jobs");
		vgpu_workers_destroy(w);
	}
	unsetenv("VGPU_SPIN_US");
	vgpu_workers_destroy(NULL);
	return tap_done();
}
