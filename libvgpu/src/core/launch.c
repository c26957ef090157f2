// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: launches, with the fallback policy (GPU, else the CPU copy
 * of the module) and the statistics they count.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "core/internal.h"

/* ---- launch ------------------------------------------------------------------ */

/* The CPU function for @k: its own when the module is on the CPU, else from
 * a CPU build of the module's source (made once, cached like any compile). */
static int cpu_fn(vgpu_session *s, vgpu_kernel *k, void **fn)
{
	vgpu_module *m = k->mod;
	struct vgpu_bk *cpu = vgpu_cpu_bk(s);
	void *img = NULL;
	size_t ilen = 0;
	int ret;

	if (!cpu)
		return -ENOMEM;
	if (m->bk == cpu) {
		*fn = k->fn;
		return 0;
	}
	if (k->cpufn) {
		*fn = k->cpufn;
		return 0;
	}
	if (!m->src)
		return vgpu_seterr(s, -ENODEV, "kernel %s: module was loaded from an image; no source to run it on the CPU",
				   k->name);
	if (!m->cpumod) {
		ret = vgpu_module_build(s, m, cpu, true, &m->cpumod, &m->cpusig, &img, &ilen);
		free(img);
		if (ret)
			return ret;
		vgpu_module_globals_to_cpu(m);	/* what the host wrote, as the GPU has it now */
	}
	vgpu_bk_clearerr();
	ret = cpu->ops->function_get(cpu->ctx, m->cpumod, k->name, &k->cpufn);
	if (ret)
		return vgpu_seterr(s, ret, "cpu: %s", vgpu_bk_err(cpu));
	*fn = k->cpufn;
	return 0;
}

struct stage {
	vgpu_buffer *b;
	void *host;
};

/* One launch on its way: what the steps below share. */
struct launch {
	vgpu_session *s;
	vgpu_kernel *k;
	const struct vgpu_arg *args;
	unsigned int n;
	struct vgpu_argpack pk;		/* the argument values the backend reads */
	struct vgpu_bk_launch L;
	uint64_t t0;			/* start, for the statistics (0: not timed) */
	struct stage stage[VGPU_MAX_PARAMS];	/* GPU buffers copied for a CPU run */
	int nstage;
};

/* The backend's launch description from the caller's configuration. */
static int launch_config(struct launch *x, const struct vgpu_launch_cfg *c)
{
	struct vgpu_bk_launch *L = &x->L;
	uint64_t threads;

	memset(L, 0, sizeof(*L));
	L->grid[0] = c->grid.x ? c->grid.x : 1;
	L->grid[1] = c->grid.y ? c->grid.y : 1;
	L->grid[2] = c->grid.z ? c->grid.z : 1;
	L->block[0] = c->block.x ? c->block.x : 1;
	L->block[1] = c->block.y ? c->block.y : 1;
	L->block[2] = c->block.z ? c->block.z : 1;
	L->shared_bytes = c->shared_bytes;
	L->timeout_ns = c->timeout_ms > 0 ? (int64_t)c->timeout_ms * 1000000 : 0;
	L->args = x->pk.ptrs;
	L->arg_sizes = x->pk.sizes;
	L->nr_args = (int)x->n;
	threads = (uint64_t)L->block[0] * L->block[1] * L->block[2];
	if (threads > 1024)
		return vgpu_seterr(x->s, -EINVAL, "block of %llu threads (at most 1024)",
				   (unsigned long long)threads);
	return 0;
}

/*
 * On the session's GPU. Return: 0 done; a negative errno; 1 it failed and
 * the policy sends it to the CPU (counted).
 */
static int launch_gpu(struct launch *x, const struct vgpu_launch_cfg *c)
{
	vgpu_session *s = x->s;
	struct vgpu_bk_launch *L = &x->L;
	bool window;
	int ret;

	for (unsigned int i = 0; i < x->n; i++) {
		const struct vgpu_arg *a = &x->args[i];

		ret = vgpu_args_set(&x->pk, i, a, a->type == VGPU_ARG_BUFFER ?
				    a->v.b.buf->dptr + a->v.b.offset : 0);
		if (ret) {
			vgpu_args_release(&x->pk);
			return ret;
		}
	}
	L->stream = c->stream ? c->stream->bks : NULL;
	L->async = c->flags & VGPU_LAUNCH_ASYNC;
	/* the device-wide sync after it ends the async window open, if any */
	window = !L->async && !L->stream && s->cp.async_since;
	s->st.launches_gpu++;
	vgpu_bk_clearerr();
	if (L->async)
		vgpu_compute_open(s);
	ret = s->gpu.ops->launch(s->gpu.ctx, x->k->fn, L);
	vgpu_args_release(&x->pk);	/* the driver copied the values */
	s->async_pending |= L->async;
	if (!ret && !L->async)
		ret = L->stream ? s->gpu.ops->stream_sync(s->gpu.ctx, L->stream, -1) :
				  vgpu_compute_sync(s, -1);
	if (!ret) {
		s->st.launches_gpu_ok++;
		if (L->async) {
			vgpu_compute_async(s, x->t0);
		} else {
			s->st.launch_ns += vgpu_now_ns() - x->t0;
			if (!window)
				vgpu_compute_spent(s, vgpu_now_ns() - x->t0);
		}
		return 0;
	}
	if (ret == -EINVAL || ret == -ETIME || !(s->fallback & VGPU_FALLBACK_LAUNCH)) {
		s->st.launch_errors++;
		return vgpu_seterr(s, ret, "%s: launch of %s failed: %s", s->gpu.ops->name,
				   x->k->name, vgpu_bk_err(&s->gpu));
	}
	vgpu_count_fallback(s, VGPU_FB_LAUNCH, "%s: launch of %s failed: %.160s", s->gpu.ops->name,
			    x->k->name, vgpu_bk_err(&s->gpu));
	return 1;
}

/* A host copy of GPU buffer @b for a CPU run, made once per launch. */
static int stage(struct launch *x, vgpu_buffer *b, void **host)
{
	int ret;

	for (int j = 0; j < x->nstage; j++)
		if (x->stage[j].b == b) {
			*host = x->stage[j].host;
			return 0;
		}
	*host = malloc(b->size);
	if (!*host)
		return -ENOMEM;
	x->stage[x->nstage].b = b;
	x->stage[x->nstage++].host = *host;
	ret = b->bk->ops->memcpy_dtoh(b->bk->ctx, *host, b->dptr, b->size, NULL);
	if (ret)
		vgpu_seterr(x->s, ret, "staging for the CPU: %s", vgpu_bk_err(b->bk));
	return ret;
}

/* Copy the staged buffers back (when @ret is 0) and free them; the result. */
static int unstage(struct launch *x, int ret)
{
	for (int j = 0; j < x->nstage; j++) {
		vgpu_buffer *b = x->stage[j].b;

		if (!ret) {
			ret = b->bk->ops->memcpy_htod(b->bk->ctx, b->dptr, x->stage[j].host, b->size,
						      NULL);
			if (ret)
				vgpu_seterr(x->s, ret, "unstaging from the CPU: %s", vgpu_bk_err(b->bk));
		}
		free(x->stage[j].host);
	}
	x->nstage = 0;
	return ret;
}

/* On the CPU backend: GPU buffers go through host copies. */
static int launch_cpu(struct launch *x)
{
	vgpu_session *s = x->s;
	struct vgpu_bk *cpu;
	void *fn = NULL;
	uint64_t tc;
	int ret;

	ret = cpu_fn(s, x->k, &fn);
	if (ret)
		return ret;
	cpu = vgpu_cpu_bk(s);
	if (!s->primary_is_cpu)
		vgpu_compute_sync(s, -1);	/* GPU work first */
	for (unsigned int i = 0; i < x->n; i++) {
		const struct vgpu_arg *a = &x->args[i];
		uint64_t addr = 0;

		if (a->type == VGPU_ARG_BUFFER) {
			vgpu_buffer *b = a->v.b.buf;
			void *host;

			if (vgpu_is_cpu(s, b->bk)) {
				addr = b->dptr + a->v.b.offset;
			} else {
				ret = stage(x, b, &host);
				if (ret)
					goto out;
				addr = (uint64_t)(uintptr_t)host + a->v.b.offset;
			}
		}
		ret = vgpu_args_set(&x->pk, i, a, addr);
		if (ret)
			goto out;
	}
	x->L.stream = NULL;
	x->L.async = false;
	s->st.launches_cpu++;
	vgpu_bk_clearerr();
	tc = vgpu_now_ns();
	ret = cpu->ops->launch(cpu->ctx, fn, &x->L);
	tc = vgpu_now_ns() - tc;
	if (ret)
		vgpu_seterr(s, ret, "cpu: launch of %s: %s", x->k->name, vgpu_bk_err(cpu));
	/* the CPU session's device time; a GPU session's CPU time, apart */
	else if (s->primary_is_cpu)
		vgpu_compute_spent(s, tc);
	else
		vgpu_compute_fallback(s, tc);
out:
	vgpu_args_release(&x->pk);
	return unstage(x, ret);
}

VGPU_HOT static int launch_locked(vgpu_session *s, vgpu_kernel *k, const struct vgpu_launch_cfg *c,
			 const struct vgpu_arg *args, unsigned n)
{
	bool on_cpu, quota_cpu = false, want_cpu = c->flags & VGPU_LAUNCH_CPU;
	struct launch x;	/* not zeroed as a whole: ~4 KiB on every launch's path */
	int ret;

	x.s = s;
	x.k = k;
	x.args = args;
	x.n = n;
	x.nstage = 0;
	ret = launch_config(&x, c);
	if (ret)
		return ret;
	ret = vgpu_args_check(s, k, args, n, &want_cpu);
	if (ret)
		return ret;
	x.pk.bigmask = 0;	/* what vgpu_args_release frees */
	on_cpu = want_cpu || vgpu_is_cpu(s, k->mod->bk);
	s->st.launches++;
	/* on the session's device: spend its compute lease (wait or fall back) */
	if (!on_cpu || s->primary_is_cpu) {
		ret = vgpu_compute_begin(s, x.L.timeout_ns, &quota_cpu);
		if (ret) {
			s->st.launch_errors++;
			return ret;
		}
		on_cpu = on_cpu || quota_cpu;
	}
	/* asynchronous GPU launches are not timed (keep their path short) but
	 * the first of a lease's window: the window starts before it */
	x.t0 = on_cpu || !(c->flags & VGPU_LAUNCH_ASYNC) || (s->cp.on && !s->cp.async_since) ?
	       vgpu_now_ns() : 0;
	if (!on_cpu) {
		ret = launch_gpu(&x, c);
		if (ret <= 0)
			return ret;
		if (!x.t0)
			x.t0 = vgpu_now_ns();
	}
	ret = launch_cpu(&x);
	if (ret)
		s->st.launch_errors++;
	else
		s->st.launch_ns += vgpu_now_ns() - x.t0;
	return ret;
}

VGPU_EXPORT VGPU_HOT int vgpu_launch(vgpu_kernel *k, const struct vgpu_launch_cfg *cfg,
			    const struct vgpu_arg *args, unsigned int nr_args)
{
	struct vgpu_launch_cfg c;
	vgpu_session *s;
	int ret;

	if (!k || k->magic != VGPU_MAGIC_KERNEL)
		return -EINVAL;
	s = k->mod->sess;
	if (!cfg || cfg->size < sizeof(c))
		return vgpu_seterr(s, -EINVAL, "launch: missing or short configuration");
	memcpy(&c, cfg, sizeof(c));
	if (c.flags & ~(VGPU_LAUNCH_ASYNC | VGPU_LAUNCH_CPU))
		return vgpu_seterr(s, -EINVAL, "launch: unknown flags %#x", c.flags);
	if (nr_args && !args)
		return vgpu_seterr(s, -EINVAL, "launch: NULL arguments");
	CHECK_STREAM_OF(c.stream, s);
	pthread_mutex_lock(&s->lock);
	ret = launch_locked(s, k, &c, args, nr_args);
	pthread_mutex_unlock(&s->lock);
	return ret;
}
