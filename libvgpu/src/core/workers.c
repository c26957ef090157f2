// SPDX-License-Identifier: LGPL-2.1-or-later
/* The worker pool (workers.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/workers.h"

struct vgpu_worker_thread {
	struct vgpu_workers *pool;
	unsigned int idx;
	pthread_t th;
};

struct vgpu_workers {
	pthread_mutex_t m;
	pthread_cond_t go, done;
	uint64_t gen;			/* bumped for each job */
	bool stop;
	unsigned int n;			/* workers, the caller included */
	unsigned int started;		/* threads running: 1 .. started */
	unsigned int want;		/* workers of the current job */
	unsigned int running;		/* helper threads still in it */
	vgpu_work_fn *fn, *start;
	void *arg, *start_arg;
	struct vgpu_worker_thread t[];	/* [1 .. n - 1] */
};

static void *worker_main(void *p)
{
	struct vgpu_worker_thread *t = p;
	struct vgpu_workers *w = t->pool;
	uint64_t seen = 0;

	if (w->start)
		w->start(w->start_arg, t->idx);
	pthread_mutex_lock(&w->m);
	for (;;) {
		while (!w->stop && w->gen == seen)
			pthread_cond_wait(&w->go, &w->m);
		if (w->stop)
			break;
		seen = w->gen;
		if (t->idx >= w->want)
			continue;
		pthread_mutex_unlock(&w->m);
		w->fn(w->arg, t->idx);
		pthread_mutex_lock(&w->m);
		if (--w->running == 0)
			pthread_cond_signal(&w->done);
	}
	pthread_mutex_unlock(&w->m);
	return NULL;
}

void vgpu_workers_destroy(struct vgpu_workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->m);
	w->stop = true;
	pthread_cond_broadcast(&w->go);
	pthread_mutex_unlock(&w->m);
	for (unsigned int i = 1; i <= w->started; i++)
		pthread_join(w->t[i].th, NULL);
	pthread_mutex_destroy(&w->m);
	pthread_cond_destroy(&w->go);
	pthread_cond_destroy(&w->done);
	free(w);
}

int vgpu_workers_create(struct vgpu_workers **pool, unsigned int n, vgpu_work_fn *start,
			void *start_arg)
{
	struct vgpu_workers *w;
	int err;

	*pool = NULL;
	if (!n)
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
		w->want = n;
		w->running = n - 1;
		w->gen++;
		pthread_cond_broadcast(&w->go);
		pthread_mutex_unlock(&w->m);
	}
	fn(arg, 0);
	if (n > 1) {
		pthread_mutex_lock(&w->m);
		while (w->running)
			pthread_cond_wait(&w->done, &w->m);
		pthread_mutex_unlock(&w->m);
	}
}
