// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Batch scheduling: route work items by size to the GPU or the CPU. Each
 * route keeps an exponentially weighted least-squares fit t = a + b * size of
 * its measured times; the threshold is where the two lines cross. Every
 * explore_every-th item goes the other way so both fits stay current.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

#define DECAY		0.9
#define THRESH_MAX	(1ull << 40)

VGPU_EXPORT int vgpu_batch_create(vgpu_session *s, const struct vgpu_batch_opts *opts,
				  vgpu_batch **out)
{
	struct vgpu_batch_opts o;
	vgpu_batch *b;

	if (!s || s->magic != VGPU_MAGIC_SESSION || !out)
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	if (opts) {
		if (opts->size < sizeof(o))
			return vgpu_seterr(s, -EINVAL, "batch options: size too small");
		memcpy(&o, opts, sizeof(o));
		if (o.flags & ~VGPU_BATCH_FIXED)
			return vgpu_seterr(s, -EINVAL, "batch options: unknown flags %#x", o.flags);
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->magic = VGPU_MAGIC_BATCH;
	b->sess = s;
	b->flags = o.flags;
	b->threshold = o.threshold ? o.threshold : 65536;
	b->explore_every = o.explore_every ? o.explore_every : 16;
	pthread_mutex_lock(&s->lock);
	vgpu_list_add(&s->batches, &b->node);
	s->st.batch_threshold = b->threshold;
	pthread_mutex_unlock(&s->lock);
	*out = b;
	return 0;
}

#define CHECK_BATCH(b) do { if (!(b) || (b)->magic != VGPU_MAGIC_BATCH) return -EINVAL; } while (0)

VGPU_EXPORT int vgpu_batch_destroy(vgpu_batch *b)
{
	vgpu_session *s;

	if (!b)
		return 0;
	CHECK_BATCH(b);
	s = b->sess;
	pthread_mutex_lock(&s->lock);
	vgpu_list_del(&b->node);
	b->magic = 0;
	pthread_mutex_unlock(&s->lock);
	free(b);
	return 0;
}

VGPU_EXPORT int vgpu_batch_route(vgpu_batch *b, uint64_t size)
{
	int route;

	CHECK_BATCH(b);
	pthread_mutex_lock(&b->sess->lock);
	route = size >= b->threshold ? VGPU_ROUTE_GPU : VGPU_ROUTE_CPU;
	if (!(b->flags & VGPU_BATCH_FIXED) && ++b->decisions % b->explore_every == 0)
		route = !route;
	pthread_mutex_unlock(&b->sess->lock);
	return route;
}

static bool fit(const vgpu_batch *b, int r, double *a, double *k)
{
	double s0 = b->fit[r].s0, sx = b->fit[r].sx, sy = b->fit[r].sy;
	double sxx = b->fit[r].sxx, sxy = b->fit[r].sxy, den = s0 * sxx - sx * sx;

	if (b->fit[r].n < 2 || b->fit[r].xmax <= b->fit[r].xmin || den <= 1e-12 * s0 * sxx)
		return false;
	*k = (s0 * sxy - sx * sy) / den;
	*a = (sy - *k * sx) / s0;
	if (*k < 0)
		*k = 0;
	if (*a < 0)
		*a = 0;
	return true;
}

static void adapt(vgpu_batch *b)
{
	double ag, kg, ac, kc, x;

	if ((b->flags & VGPU_BATCH_FIXED) || !fit(b, VGPU_ROUTE_GPU, &ag, &kg) ||
	    !fit(b, VGPU_ROUTE_CPU, &ac, &kc))
		return;
	if (kc > kg) {		/* the GPU scales better: cross at x */
		x = (ag - ac) / (kc - kg);
		b->threshold = x <= 1 ? 1 : x >= (double)THRESH_MAX ? THRESH_MAX : (uint64_t)ceil(x);
	} else {		/* the CPU is as good per item: it wins unless it starts slower */
		b->threshold = ag < ac ? 1 : THRESH_MAX;
	}
	b->sess->st.batch_threshold = b->threshold;
}

VGPU_EXPORT int vgpu_batch_record(vgpu_batch *b, int route, uint64_t size, uint64_t ns)
{
	double x = (double)size, y = (double)ns;

	CHECK_BATCH(b);
	if (route != VGPU_ROUTE_GPU && route != VGPU_ROUTE_CPU)
		return vgpu_seterr(b->sess, -EINVAL, "batch: unknown route %d", route);
	pthread_mutex_lock(&b->sess->lock);
	{
		typeof(b->fit[0]) *f = &b->fit[route];

		f->s0 = f->s0 * DECAY + 1;
		f->sx = f->sx * DECAY + x;
		f->sy = f->sy * DECAY + y;
		f->sxx = f->sxx * DECAY + x * x;
		f->sxy = f->sxy * DECAY + x * y;
		if (!f->n || x < f->xmin)
			f->xmin = x;
		if (!f->n || x > f->xmax)
			f->xmax = x;
		f->n++;
	}
	adapt(b);
	pthread_mutex_unlock(&b->sess->lock);
	return 0;
}

VGPU_EXPORT int vgpu_batch_threshold(vgpu_batch *b, uint64_t *t)
{
	CHECK_BATCH(b);
	if (!t)
		return -EINVAL;
	pthread_mutex_lock(&b->sess->lock);
	*t = b->threshold;
	pthread_mutex_unlock(&b->sess->lock);
	return 0;
}

VGPU_EXPORT int vgpu_batch_launch(vgpu_batch *b, uint64_t size, vgpu_kernel *k,
				  const struct vgpu_launch_cfg *cfg, const struct vgpu_arg *args,
				  unsigned int nr_args)
{
	struct vgpu_launch_cfg c;
	uint64_t t0;
	int route, ret;

	CHECK_BATCH(b);
	if (!cfg || cfg->size < sizeof(c))
		return vgpu_seterr(b->sess, -EINVAL, "batch: missing or short launch configuration");
	memcpy(&c, cfg, sizeof(c));
	route = vgpu_batch_route(b, size);
	if (route == VGPU_ROUTE_CPU)
		c.flags |= VGPU_LAUNCH_CPU;
	c.flags &= ~(uint32_t)VGPU_LAUNCH_ASYNC;
	t0 = vgpu_now_ns();
	ret = vgpu_launch(k, &c, args, nr_args);
	if (ret)
		return ret;
	vgpu_batch_record(b, route, size, vgpu_now_ns() - t0);
	pthread_mutex_lock(&b->sess->lock);
	if (route == VGPU_ROUTE_GPU)
		b->sess->st.batch_gpu++;
	else
		b->sess->st.batch_cpu++;
	pthread_mutex_unlock(&b->sess->lock);
	return route;
}
