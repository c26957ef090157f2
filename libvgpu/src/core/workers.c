// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The worker pool (workers.h).
 *
 * Between jobs a worker first spins on the job word for a while
 * (VGPU_SPIN_US) and only then sleeps on the condition variable, and the
 * caller likewise spins before it sleeps waiting for the workers to finish:
 * a launch that follows another within that time, the common case of a
 * kernel launched in a host loop, then starts on every worker at once
 * instead of paying a futex wake-up per worker (tens of microseconds on a
 * VM whose idle vCPU halted) at its start and another at its end. This is
 * what OpenMP runtimes do between parallel regions (libgomp spins
 * GOMP_SPINCOUNT times). A pool of more workers than the cores we may run
 * on does not spin: a spinning worker would take the core from one with work.
 * (Each pool decides alone: the pools of several sessions of a process may
 * together spin on more threads than cores, each for at most its spin time
 * after a job of its own.)
 *
 * Locking: a job is published as one word, @job (a sequence number and
 * how many workers take part), bumped under @m after the job's function and
 * argument were written there (release); a worker that sees a new word
 * (acquire) and is one of its workers reads them, and no new job is
 * published before every worker of the current one has counted itself out of
 * @running. A worker sleeps only after counting itself in @sleepers under @m
 * and seeing @job unchanged there; a new job is broadcast under @m when any
 * sleeps. The last worker out of @running signals @done under @m when the
 * caller has said (@waiting, under @m) that it sleeps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/env.h"
#include "core/workers.h"

#define SPIN_US_DEFAULT 200
#define JOB_SHIFT 16			/* workers of a job: below 1 << JOB_SHIFT */

struct vgpu_worker_thread {
	struct vgpu_workers *pool;
	unsigned int idx;
	pthread_t th;
};

struct vgpu_workers {
	pthread_mutex_t m;
	pthread_cond_t go, done;
	/* (sequence << JOB_SHIFT) | workers of the current job; 0 workers: stop */
	_Atomic uint64_t job;
	unsigned int n;			/* workers, the caller included */
	unsigned int started;		/* threads running: 1 .. started */
	_Atomic uint64_t running;	/* helper threads still in the job */
	unsigned int sleepers;		/* helper threads asleep on @go (under @m) */
	bool waiting;			/* the caller asleep on @done (under @m) */
	uint64_t spin_ns;		/* how long to spin before sleeping */
	vgpu_work_fn *fn, *start;
	void *arg, *start_arg;
	struct vgpu_worker_thread t[];	/* [1 .. n - 1] */
};

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * Spin while (*@v == @old) == @eq and the clock (read every 64 pauses) is
 * before @end (0: no spin); the value last read.
 */
static uint64_t spin(_Atomic uint64_t *v, uint64_t old, bool eq, uint64_t end)
{
	uint64_t x = atomic_load_explicit(v, memory_order_acquire);

	for (unsigned int i = 0; (x == old) == eq && end; i++) {
		if (!(i & 63) && vgpu_now_ns() >= end)
			break;
		relax();
		x = atomic_load_explicit(v, memory_order_acquire);
	}
	return x;
}

/* the workers of job word @job (0: stop) */
static inline unsigned int job_workers(uint64_t job)
{
	return (unsigned int)(job & ((1u << JOB_SHIFT) - 1));
}

/* the end of a spin that starts now (0: none) */
static uint64_t spin_end(const struct vgpu_workers *w)
{
	return w->spin_ns ? vgpu_now_ns() + w->spin_ns : 0;
}

/*
 * A worker spins for the pool's spin time after a job it took part in (and
 * after it started), not after one it was left out of: a loop of launches of
 * a few blocks keeps only their workers spinning, the others sleep.
 */
static void *worker_main(void *p)
{
	struct vgpu_worker_thread *t = p;
	struct vgpu_workers *w = t->pool;
	uint64_t seen = 0, job, end;

	if (w->start)
		w->start(w->start_arg, t->idx);
	for (end = spin_end(w);; seen = job) {
		job = spin(&w->job, seen, true, end);
		if (job == seen) {
			pthread_mutex_lock(&w->m);
			w->sleepers++;
			while ((job = atomic_load_explicit(&w->job, memory_order_acquire)) == seen)
				pthread_cond_wait(&w->go, &w->m);
			w->sleepers--;
			pthread_mutex_unlock(&w->m);
		}
		if (!job_workers(job))
			break;
		if (t->idx >= job_workers(job))
			continue;
		w->fn(w->arg, t->idx);
		if (atomic_fetch_sub_explicit(&w->running, 1, memory_order_acq_rel) == 1) {
			pthread_mutex_lock(&w->m);
			if (w->waiting)
				pthread_cond_signal(&w->done);
			pthread_mutex_unlock(&w->m);
		}
		end = spin_end(w);
	}
	return NULL;
}

/* a new job word of @n workers (0: stop), waking the workers that sleep; under @m */
static void publish(struct vgpu_workers *w, unsigned int n)
{
	uint64_t seq = (atomic_load_explicit(&w->job, memory_order_relaxed) >> JOB_SHIFT) + 1;

	atomic_store_explicit(&w->job, seq << JOB_SHIFT | n, memory_order_release);
	if (w->sleepers)
		pthread_cond_broadcast(&w->go);
}

void vgpu_workers_destroy(struct vgpu_workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->m);
	publish(w, 0);
	pthread_mutex_unlock(&w->m);
	for (unsigned int i = 1; i <= w->started; i++)
		pthread_join(w->t[i].th, NULL);
	pthread_mutex_destroy(&w->m);
	pthread_cond_destroy(&w->go);
	pthread_cond_destroy(&w->done);
	free(w);
}

unsigned int vgpu_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		n = CPU_COUNT(&set);
	return n > 0 ? (unsigned int)n : 1;
}

int vgpu_workers_create(struct vgpu_workers **pool, unsigned int n, vgpu_work_fn *start,
			void *start_arg)
{
	struct vgpu_workers *w;
	uint64_t us = SPIN_US_DEFAULT;
	int err;

	*pool = NULL;
	if (!n || n >= 1u << JOB_SHIFT)
		return -EINVAL;
	w = calloc(1, sizeof(*w) + n * sizeof(w->t[0]));
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->m, NULL);
	pthread_cond_init(&w->go, NULL);
	pthread_cond_init(&w->done, NULL);
	w->n = n;
	w->start = start;
	w->start_arg = start_arg;
	if (vgpu_env_uint("VGPU_SPIN_US", 0, 100000, &us))
		us = SPIN_US_DEFAULT;
	w->spin_ns = n <= vgpu_cores() ? us * 1000 : 0;
	for (unsigned int i = 1; i < n; i++) {
		w->t[i].pool = w;
		w->t[i].idx = i;
		err = pthread_create(&w->t[i].th, NULL, worker_main, &w->t[i]);
		if (err) {
			vgpu_workers_destroy(w);
			return -err;
		}
		w->started = i;
	}
	*pool = w;
	return 0;
}

unsigned int vgpu_workers_size(const struct vgpu_workers *w)
{
	return w->n;
}

void vgpu_workers_run(struct vgpu_workers *w, unsigned int n, vgpu_work_fn *fn, void *arg)
{
	if (n > w->n)
		n = w->n;
	if (n > 1) {
		pthread_mutex_lock(&w->m);
		w->fn = fn;
		w->arg = arg;
		atomic_store_explicit(&w->running, n - 1, memory_order_relaxed);
		publish(w, n);
		pthread_mutex_unlock(&w->m);
	}
	fn(arg, 0);
	if (n > 1 && spin(&w->running, 0, false, spin_end(w))) {
		pthread_mutex_lock(&w->m);
		w->waiting = true;
		while (atomic_load_explicit(&w->running, memory_order_acquire))
			pthread_cond_wait(&w->done, &w->m);
		w->waiting = false;
		pthread_mutex_unlock(&w->m);
	}
}
