/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A pool of worker threads that run one job at a time, the calling thread
 * taking part as worker 0: the CPU backend runs a launch's blocks on it, the
 * CUDA backend its staged copies. The job's own state (what to do next, its
 * errors) stays with the caller; the pool only starts the workers and waits.
 * Idle workers, and the caller waiting for them, spin VGPU_SPIN_US (default
 * 200 us; not in a pool of more workers than cores) before they sleep.
 */
#ifndef VGPU_WORKERS_H
#define VGPU_WORKERS_H

#include "backend.h"

struct vgpu_workers;

/* one worker's part of a job (@worker 0 is the calling thread) */
typedef void vgpu_work_fn(void *arg, unsigned int worker);

/*
 * vgpu_workers_create - a pool of @n workers: the caller and n - 1 threads
 * @start: run first on each thread (e.g. to make a context current); may be NULL
 * Return: 0, or a negative errno (no thread is left running).
 */
int vgpu_workers_create(struct vgpu_workers **pool, unsigned int n, vgpu_work_fn *start,
			void *start_arg) VGPU_INTERNAL;

/* vgpu_workers_size - the @n it was created with */
unsigned int vgpu_workers_size(const struct vgpu_workers *pool) VGPU_INTERNAL;

/*
 * vgpu_workers_run - run @fn(@arg, i) on workers 0 .. @n - 1 at once and
 * return when all are done (@n is capped at the pool's size; 0 or 1: the
 * caller alone). One job at a time: the caller serialises.
 */
void vgpu_workers_run(struct vgpu_workers *pool, unsigned int n, vgpu_work_fn *fn,
		      void *arg) VGPU_INTERNAL;

/* vgpu_cores - the cores this thread may run on (at least 1) */
unsigned int vgpu_cores(void) VGPU_INTERNAL;

/* vgpu_workers_destroy - stop and join the threads (NULL: nothing) */
void vgpu_workers_destroy(struct vgpu_workers *pool) VGPU_INTERNAL;

#endif /* VGPU_WORKERS_H */
