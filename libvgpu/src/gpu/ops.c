// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The backend ops (backend.h) of a GPU vendor, over its table (gpu.h): make
 * the context current, make the call, turn a failed status into an errno
 * and a text naming the call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu.h"

int vgpu_gpu_probe(struct vgpu_gpu_probe *p)
{
	int ret;

	pthread_mutex_lock(&p->lock);
	if (!p->done) {
		p->result = p->load();
		snprintf(p->why, sizeof(p->why), "%s", p->result > 0 ? "" : vgpu_bk_errtext());
		p->done = true;
	}
	ret = p->result;
	if (ret <= 0)
		vgpu_bk_seterr("%s", p->why);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

int vgpu_gpu_check_device(const struct vgpu_gpu_vendor *v, struct vgpu_gpu_probe *p, int index,
			  int err)
{
	int n = vgpu_gpu_probe(p);

	if (n <= 0)
		return n ? n : -ENODEV;
	if (index < 0 || index >= n) {
		vgpu_bk_seterr("%s: no device %d (%d present)", v->name, index, n);
		return err;
	}
	return 0;
}

void vgpu_gpu_ctx_init(struct vgpu_gpu_ctx *g, const struct vgpu_gpu_vendor *v)
{
	g->v = v;
	pthread_mutex_init(&g->lock, NULL);
}

void vgpu_gpu_ctx_fini(struct vgpu_gpu_ctx *g)
{
	free(g->ranges);
	pthread_mutex_destroy(&g->lock);
}

/* make @ctx current; its vendor in *@v */
static int enter(void *ctx, const struct vgpu_gpu_vendor **v)
{
	struct vgpu_gpu_ctx *g = ctx;

	*v = g->v;
	return g->v->enter(g);
}

/* the result of call @what: 0, or the errno of its failed @status */
static int done(const struct vgpu_gpu_vendor *v, int status, const char *what)
{
	return status == v->ok ? 0 : vgpu_gpu_fail(v, status, what);
}

int vgpu_gpu_mem_info(void *ctx, uint64_t *free_bytes, uint64_t *total_bytes)
{
	const struct vgpu_gpu_vendor *v;
	size_t f, t;
	int ret = enter(ctx, &v);

	if (ret)
		return ret;
	ret = done(v, v->call->mem_get_info(&f, &t), v->names->mem_get_info);
	if (ret)
		return ret;
	*free_bytes = f;
	*total_bytes = t;
	return 0;
}

int vgpu_gpu_mem_alloc(void *ctx, size_t bytes, uint64_t *dptr)
{
	const struct vgpu_gpu_vendor *v;
	uint64_t p;
	int ret = enter(ctx, &v);

	if (ret)
		return ret;
	ret = done(v, v->call->mem_alloc(&p, bytes), v->names->mem_alloc);
	if (ret)
		return ret;
	*dptr = p;
	return 0;
}

int vgpu_gpu_mem_free(void *ctx, uint64_t dptr)
{
	const struct vgpu_gpu_vendor *v;
	int ret = enter(ctx, &v);

	return ret ? ret : done(v, v->call->mem_free(dptr), v->names->mem_free);
}

/*
 * Synchronous copies of memory not registered through host_register may go
 * another way (v->stage: CUDA's staging through pinned buffers).
 */
int vgpu_gpu_memcpy_htod(void *ctx, uint64_t dst, const void *src, size_t n, void *stream)
{
	const struct vgpu_gpu_vendor *v;
	int ret = enter(ctx, &v);

	if (ret)
		return ret;
	if (stream)
		return done(v, v->call->htod_async(dst, src, n, stream), v->names->htod_async);
	if (v->stage && !vgpu_gpu_is_registered(ctx, src, n) &&
	    v->stage(ctx, true, (void *)src, dst, n, &ret))
		return ret;
	return done(v, v->call->htod(dst, src, n), v->names->htod);
}

int vgpu_gpu_memcpy_dtoh(void *ctx, void *dst, uint64_t src, size_t n, void *stream)
{
	const struct vgpu_gpu_vendor *v;
	int ret = enter(ctx, &v);

	if (ret)
		return ret;
	if (stream)
		return done(v, v->call->dtoh_async(dst, src, n, stream), v->names->dtoh_async);
	if (v->stage && !vgpu_gpu_is_registered(ctx, dst, n) && v->stage(ctx, false, dst, src, n, &ret))
		return ret;
	return done(v, v->call->dtoh(dst, src, n), v->names->dtoh);
}

int vgpu_gpu_memcpy_dtod(void *ctx, uint64_t dst, uint64_t src, size_t n, void *stream)
{
	const struct vgpu_gpu_vendor *v;
	int r, ret = enter(ctx, &v);

	if (ret)
		return ret;
	if (stream)
		return done(v, v->call->dtod_async(dst, src, n, stream), v->names->dtod_async);
	/* a device-to-device copy is asynchronous w.r.t. the host; the op is
	 * synchronous, so wait for it */
	r = v->call->dtod(dst, src, n);
	if (r == v->ok)
		r = v->call->stream_sync(NULL);
	return done(v, r, v->names->dtod);
}

/* ------------------------------------------------------ registered memory */

int vgpu_gpu_host_register(void *ctx, void *p, size_t n)
{
	struct vgpu_gpu_ctx *g = ctx;
	const struct vgpu_gpu_vendor *v;
	struct vgpu_gpu_range *nr;
	int r, ret = enter(ctx, &v);

	if (ret)
		return ret;
	pthread_mutex_lock(&g->lock);
	nr = vgpu_grow(g->ranges, g->nranges, &g->cap_ranges, sizeof(*nr), 16);
	if (!nr) {
		pthread_mutex_unlock(&g->lock);
		return -ENOMEM;
	}
	g->ranges = nr;
	r = v->call->host_register(p, n, v->register_flags);
	if (r != v->ok && r != v->already_registered) {
		pthread_mutex_unlock(&g->lock);
		return vgpu_gpu_fail(v, r, v->names->host_register);
	}
	g->ranges[g->nranges].start = (uintptr_t)p;
	g->ranges[g->nranges].end = (uintptr_t)p + n;
	g->nranges++;
	pthread_mutex_unlock(&g->lock);
	return 0;
}

int vgpu_gpu_host_unregister(void *ctx, void *p)
{
	struct vgpu_gpu_ctx *g = ctx;
	const struct vgpu_gpu_vendor *v;
	int r, ret = enter(ctx, &v);

	if (ret)
		return ret;
	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < g->nranges; i++) {
		if (g->ranges[i].start == (uintptr_t)p) {
			g->ranges[i] = g->ranges[--g->nranges];
			break;
		}
	}
	pthread_mutex_unlock(&g->lock);
	r = v->call->host_unregister(p);
	if (r != v->ok && r != v->not_registered)
		return vgpu_gpu_fail(v, r, v->names->host_unregister);
	return 0;
}

bool vgpu_gpu_is_registered(struct vgpu_gpu_ctx *g, const void *p, size_t n)
{
	uintptr_t s = (uintptr_t)p, e = s + n;
	bool found = false;

	if (!g->nranges)
		return false;
	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < g->nranges && !found; i++)
		found = s >= g->ranges[i].start && e <= g->ranges[i].end;
	pthread_mutex_unlock(&g->lock);
	return found;
}

/* ---------------------------------------------------------------- streams */

int vgpu_gpu_stream_create(void *ctx, void **stream)
{
	const struct vgpu_gpu_vendor *v;
	void *s;
	int ret = enter(ctx, &v);

	if (ret)
		return ret;
	/* blocking w.r.t. the legacy default stream, as cudaStreamCreate */
	ret = done(v, v->call->stream_create(&s, v->stream_flags), v->names->stream_create);
	if (ret)
		return ret;
	*stream = s;
	return 0;
}

int vgpu_gpu_stream_destroy(void *ctx, void *stream)
{
	const struct vgpu_gpu_vendor *v;
	int ret = enter(ctx, &v);

	return ret ? ret : done(v, v->call->stream_destroy(stream), v->names->stream_destroy);
}

int vgpu_gpu_stream_wait(const struct vgpu_gpu_vendor *v, void *stream, int64_t timeout_ns,
			 const char *what)
{
	return vgpu_gpu_wait(v, v->call->stream_query, v->call->stream_sync, stream, timeout_ns, what);
}

int vgpu_gpu_stream_sync(void *ctx, void *stream, int64_t timeout_ns)
{
	const struct vgpu_gpu_vendor *v;
	int ret = enter(ctx, &v);

	return ret ? ret : vgpu_gpu_stream_wait(v, stream, timeout_ns, "stream synchronize");
}

int vgpu_gpu_synchronize(void *ctx, int64_t timeout_ns)
{
	const struct vgpu_gpu_vendor *v;
	void *ev;
	int r, ret = enter(ctx, &v);

	if (ret)
		return ret;
	if (timeout_ns < 0)
		return done(v, v->call->ctx_sync(), v->names->ctx_sync);
	/* an event on the legacy stream completes after all blocking streams' work */
	ret = done(v, v->call->event_create(&ev, v->event_flags), v->names->event_create);
	if (ret)
		return ret;
	r = v->call->event_record(ev, NULL);
	if (r == v->ok)
		ret = vgpu_gpu_wait(v, v->call->event_query, v->call->event_sync, ev, timeout_ns,
				    "synchronize");
	else
		ret = vgpu_gpu_fail(v, r, v->names->event_record);
	v->call->event_destroy(ev);
	return ret;
}

/*
 * The timer: timing events recorded on the legacy stream, which runs after
 * the work of every blocking stream queued before it and before any queued
 * after it. A mark's time is when the device reaches it in this context, so
 * a window between two marks leaves out what the device did before it came
 * to the context (another context's work, the switch between them).
 */
int vgpu_gpu_timer_mark(void *ctx, int slot)
{
	struct vgpu_gpu_ctx *g = ctx;
	const struct vgpu_gpu_vendor *v;
	int ret = enter(ctx, &v);

	if (ret)
		return ret;
	if (slot < 0 || slot >= VGPU_BK_MARKS)
		return -EINVAL;
	if (!g->marks[slot]) {
		/* flags 0 (CU_EVENT_DEFAULT, hipEventDefault): timing on */
		ret = done(v, v->call->event_create(&g->marks[slot], 0), v->names->event_create);
		if (ret) {
			g->marks[slot] = NULL;
			return ret;
		}
	}
	return done(v, v->call->event_record(g->marks[slot], NULL), v->names->event_record);
}

int vgpu_gpu_timer_read(void *ctx, int from, int to, uint64_t *ns)
{
	struct vgpu_gpu_ctx *g = ctx;
	const struct vgpu_gpu_vendor *v;
	float ms = 0;
	int ret = enter(ctx, &v);

	if (ret)
		return ret;
	if (from < 0 || from >= VGPU_BK_MARKS || to < 0 || to >= VGPU_BK_MARKS ||
	    !g->marks[from] || !g->marks[to])
		return -EINVAL;
	ret = vgpu_gpu_wait(v, v->call->event_query, v->call->event_sync, g->marks[to], -1,
			    "timer");
	if (ret)
		return ret;
	ret = done(v, v->call->event_elapsed(&ms, g->marks[from], g->marks[to]),
		   v->names->event_elapsed);
	if (ret)
		return ret;
	*ns = ms > 0 ? (uint64_t)((double)ms * 1e6) : 0;
	return 0;
}

void vgpu_gpu_timer_free(struct vgpu_gpu_ctx *g)
{
	for (int i = 0; i < VGPU_BK_MARKS; i++)
		if (g->marks[i]) {
			g->v->call->event_destroy(g->marks[i]);
			g->marks[i] = NULL;
		}
}

int vgpu_gpu_target_id(void *ctx, char *buf, size_t len)
{
	struct vgpu_gpu_ctx *g = ctx;

	return snprintf(buf, len, "%s", g->target);
}

/* ---------------------------------------------------------------- modules */

/* A loaded module: the vendor's, and the name table the image carried. */
struct gpu_module {
	void *m;
	struct vgpu_names names;
};

static void module_free(struct gpu_module *gm)
{
	vgpu_names_free(&gm->names);
	free(gm);
}

int vgpu_gpu_module_load(void *ctx, const void *blob, size_t len, int format, void **mod,
			 struct vgpu_ksig **sig)
{
	const struct vgpu_gpu_vendor *v;
	struct gpu_module *gm;
	int ret = enter(ctx, &v);

	if (sig)
		*sig = NULL;
	if (ret)
		return ret;
	gm = calloc(1, sizeof(*gm));
	if (!gm)
		return -ENOMEM;
	ret = vgpu_names_unpack(blob, len, &gm->names, &blob, &len);
	if (ret) {
		free(gm);
		vgpu_bk_seterr("%s: damaged name table in the image", v->name);
		return ret;
	}
	ret = v->module_load(ctx, blob, len, format, &gm->m);
	if (ret) {
		module_free(gm);
		return ret;
	}
	*mod = gm;
	return 0;
}

void vgpu_gpu_module_unload(void *ctx, void *mod)
{
	const struct vgpu_gpu_vendor *v;
	struct gpu_module *gm = mod;

	if (enter(ctx, &v) == 0)
		v->call->module_unload(gm->m);
	module_free(gm);
}

/* a failed lookup of @name in a module: -ENOENT when it is not there */
static int lookup_failed(const struct vgpu_gpu_vendor *v, int status, const char *call,
			 const char *kind, const char *name, const char *hint)
{
	int ret = vgpu_gpu_fail(v, status, call);
	const int *m;

	for (m = v->missing; *m && *m != status; m++)
		;
	if (!*m)
		return ret;
	vgpu_bk_seterr("%s: no %s '%s' in the module%s", v->name, kind, name, hint);
	return -ENOENT;
}

int vgpu_gpu_function_get(void *ctx, void *mod, const char *name, void **fn)
{
	const struct vgpu_gpu_vendor *v;
	struct gpu_module *gm = mod;
	int i = vgpu_names_index(&gm->names, name);
	const char *sym = i >= 0 ? gm->names.lowered[i] : name;	/* else a foreign image's symbol */
	void *f;
	int r, ret = enter(ctx, &v);

	if (ret)
		return ret;
	r = v->call->module_get_function(&f, gm->m, sym);
	if (r != v->ok)
		return lookup_failed(v, r, v->names->module_get_function,
				     "kernel named", name,
				     gm->names.n ? "" : " (an image without libvgpu's name table: C++ "
				     "kernels go by their mangled symbol)");
	*fn = f;
	return 0;
}

/*
 * The compiler's signature: the descriptor compiled into the module as
 * __vgpu_sig_<i> (core/devsig.c), read back from device memory. A foreign
 * image has none: the vendor's fallback, if any (v->sig_fallback).
 */
int vgpu_gpu_function_sig(void *ctx, void *mod, void *fn, const char *name,
			  struct vgpu_kinfo *out)
{
	const struct vgpu_gpu_vendor *v;
	struct gpu_module *gm = mod;
	uint32_t w[VGPU_DEVSIG_WORDS];
	int i = vgpu_names_index(&gm->names, name);
	uint64_t d;
	size_t bytes = 0;
	char sym[32];
	int r, ret = enter(ctx, &v);

	if (ret)
		return ret;
	if (i >= 0) {
		snprintf(sym, sizeof(sym), "__vgpu_sig_%d", i);
		r = v->call->module_get_global(&d, &bytes, gm->m, sym);
		if (r == v->ok && bytes >= sizeof(w)) {
			r = v->call->dtoh(w, d, sizeof(w));
			if (r != v->ok)
				return vgpu_gpu_fail(v, r, "reading a kernel signature");
			return vgpu_devsig_decode(w, VGPU_DEVSIG_WORDS, out);
		}
	}
	return v->sig_fallback ? v->sig_fallback(fn, out) : -ENOENT;
}

int vgpu_gpu_global_get(void *ctx, void *mod, const char *name, uint64_t *dptr, size_t *size)
{
	const struct vgpu_gpu_vendor *v;
	struct gpu_module *gm = mod;
	uint64_t d;
	int r, ret = enter(ctx, &v);

	if (ret)
		return ret;
	r = v->call->module_get_global(&d, size, gm->m, name);
	if (r != v->ok)
		return lookup_failed(v, r, v->names->module_get_global,
				     "variable", name, "");
	*dptr = d;
	return 0;
}

VGPU_HOT int vgpu_gpu_launch(void *ctx, void *fn, const struct vgpu_bk_launch *l)
{
	const struct vgpu_gpu_vendor *v = ((struct vgpu_gpu_ctx *)ctx)->v;
	/* a synchronous launch's wait below needs the context current too */
	int ret = v->launch_enters && l->async ? 0 : enter(ctx, &v);

	if (ret)
		return ret;
	if (v->launch)
		ret = v->launch(ctx, fn, l);
	else
		ret = done(v, v->call->launch(fn, l->grid[0], l->grid[1], l->grid[2], l->block[0],
					      l->block[1], l->block[2], l->shared_bytes, l->stream,
					      l->args, NULL), v->names->launch);
	if (ret || l->async)
		return ret;
	return vgpu_gpu_stream_wait(v, l->stream, l->timeout_ns > 0 ? l->timeout_ns : -1, "kernel");
}
