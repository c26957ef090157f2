// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: backends (probe, open, close), sessions, devices. The rest
 * of the core: buffer.c, stream.c, module.c, launch.c, batch.c. Backends are
 * reached only through struct vgpu_backend_ops (backend.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "core/env.h"
#include "core/internal.h"

/* ---- backends -------------------------------------------------------------- */

static const struct vgpu_backend_ops *backend_ops(int kind)
{
	switch (kind) {
	case VGPU_BACKEND_CUDA:
		return &vgpu_backend_cuda;
	case VGPU_BACKEND_HIP:
		return &vgpu_backend_hip;
	case VGPU_BACKEND_CPU:
		return &vgpu_backend_cpu;
	default:
		return NULL;
	}
}

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static bool probed[VGPU_BACKEND_NR];
static int probe_ret[VGPU_BACKEND_NR];
static char probe_why[VGPU_BACKEND_NR][256];

/* Device count of a backend (>= 0) or -errno; *why says why not. */
static int probe(int kind, const char **why)
{
	const struct vgpu_backend_ops *ops = backend_ops(kind);
	int ret;

	pthread_mutex_lock(&probe_lock);
	if (!probed[kind]) {
		vgpu_bk_clearerr();
		probe_ret[kind] = ops->probe();
		if (probe_ret[kind] < 0)
			snprintf(probe_why[kind], sizeof(probe_why[kind]), "%s: %s",
				 ops->name, vgpu_bk_errtext()[0] ? vgpu_bk_errtext() :
				 strerror(-probe_ret[kind]));
		else if (probe_ret[kind] == 0)
			snprintf(probe_why[kind], sizeof(probe_why[kind]), "%s: no device",
				 ops->name);
		probed[kind] = true;
	}
	ret = probe_ret[kind];
	if (why)
		*why = probe_why[kind];
	pthread_mutex_unlock(&probe_lock);
	return ret;
}

VGPU_EXPORT int vgpu_lib_version(void)
{
	return (VGPU_LIB_VERSION_MAJOR << 16) | (VGPU_LIB_VERSION_MINOR << 8) | VGPU_LIB_VERSION_PATCH;
}

VGPU_EXPORT const char *vgpu_backend_name(int kind)
{
	static const char *const names[] = { "auto", "cuda", "hip", "cpu" };

	return kind >= 0 && kind < VGPU_BACKEND_NR ? names[kind] : "?";
}

void vgpu_count_fallback(vgpu_session *s, int reason, const char *fmt, ...)
{
	va_list ap;

	s->st.fallbacks[reason]++;
	va_start(ap, fmt);
	vsnprintf(s->fbtext[reason], sizeof(s->fbtext[reason]), fmt, ap);
	va_end(ap);
}

const char *vgpu_bk_err(struct vgpu_bk *bk)
{
	const char *t = NULL;

	if (bk && bk->ops && bk->ops->last_error)
		t = bk->ops->last_error(bk->ctx);
	if (!t || !*t)
		t = vgpu_bk_errtext();
	return t && *t ? t : "backend error";
}

/* ---- sessions -------------------------------------------------------------- */

/* The text of this thread's last failed vgpu_session_open() (vgpu_last_error(NULL)). */
static __thread char open_err[1024];

static int open_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int open_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(open_err, sizeof(open_err), fmt, ap);
	va_end(ap);
	return err;
}

/* Create a context on @bk; charge it when @charge. */
static int bk_open(vgpu_session *s, struct vgpu_bk *bk, const struct vgpu_backend_ops *ops,
		   bool charge)
{
	struct vgpu_bk_init init = { .device = ops->kind == VGPU_BACKEND_CPU ? 0 : s->device,
				     .cpu_threads = s->cpu_threads };
	uint64_t overhead = 0;
	int ret;

	memset(bk, 0, sizeof(*bk));
	vgpu_bk_clearerr();
	ret = ops->ctx_create(&init, &bk->ctx, &overhead);
	if (ret)
		return vgpu_seterr(s, ret, "%s: cannot create a context: %s", ops->name,
				   vgpu_bk_errtext()[0] ? vgpu_bk_errtext() : strerror(-ret));
	bk->ops = ops;
	if (charge) {
		ret = vgpu_ledger_ctx_create(s->ledger, init.device, overhead, &bk->ledger_ctx);
		if (ret) {
			ops->ctx_destroy(bk->ctx);
			memset(bk, 0, sizeof(*bk));
			if (ret == -EDQUOT)
				s->st.quota_refusals++;
			return vgpu_seterr(s, ret, "guest '%s': context (+%llu bytes) refused: %s",
					   s->guest, (unsigned long long)overhead, strerror(-ret));
		}
		bk->charged = true;
	}
	return 0;
}

static void bk_close(vgpu_session *s, struct vgpu_bk *bk)
{
	if (!bk->ops)
		return;
	bk->ops->ctx_destroy(bk->ctx);
	if (bk->charged)
		vgpu_ledger_ctx_destroy(s->ledger, bk->ledger_ctx);
	memset(bk, 0, sizeof(*bk));
}

/* The CPU backend of the session (its own backend, or the fallback one). */
struct vgpu_bk *vgpu_cpu_bk(vgpu_session *s)
{
	if (s->primary_is_cpu)
		return &s->gpu;
	if (!s->cpu.ops && bk_open(s, &s->cpu, &vgpu_backend_cpu, false))
		return NULL;
	return &s->cpu;
}

static int session_free(vgpu_session *s);

/* The options, checked, with the environment's overrides applied. */
static int open_opts(struct vgpu_session_opts *o, const struct vgpu_session_opts *opts)
{
	uint64_t dev;
	const char *e;
	int ret, kind;

	memset(o, 0, sizeof(*o));
	if (opts) {
		if (opts->size < sizeof(*o))
			return open_fail(-EINVAL, "opts->size %u: at least %zu", opts->size, sizeof(*o));
		memcpy(o, opts, sizeof(*o));
		if (o->flags & ~(VGPU_SESSION_NO_DEVICE_LEDGER | VGPU_SESSION_DEVICE_LEDGER |
				 VGPU_SESSION_LIMITS | VGPU_SESSION_NO_CACHE | VGPU_SESSION_NO_POOL))
			return open_fail(-EINVAL, "opts->flags %#x: unknown bits", o->flags);
		if ((o->flags & VGPU_SESSION_NO_DEVICE_LEDGER) && (o->flags & VGPU_SESSION_DEVICE_LEDGER))
			return open_fail(-EINVAL, "opts->flags: NO_DEVICE_LEDGER and DEVICE_LEDGER");
		if (o->backend >= VGPU_BACKEND_NR || (o->fallback & ~VGPU_FALLBACK_ALL))
			return open_fail(-EINVAL, "opts: unknown backend %u or fallback bits %#x",
					 o->backend, o->fallback);
	}
	ret = vgpu_env_check(open_err, sizeof(open_err));
	if (ret)
		return ret;
	if (!o->guest) {
		e = getenv("VGPU_GUEST");
		o->guest = e && *e ? e : "default";
	}
	if (!*o->guest || strlen(o->guest) >= 32)
		return open_fail(-EINVAL, "guest name '%s': 1 to 31 bytes", o->guest);
	if (!vgpu_env_word("VGPU_BACKEND", vgpu_env_backend_words, &kind))
		o->backend = (uint32_t)kind;
	vgpu_env_flags("VGPU_FALLBACK", vgpu_env_fallback_words, &o->fallback);
	if (!vgpu_env_uint("VGPU_DEVICE", 0, 0x7fffffff, &dev))
		o->device = (uint32_t)dev;
	return 0;
}

/* An empty session for @o (no ledger, no backend yet); NULL: no memory. */
static vgpu_session *session_new(const struct vgpu_session_opts *o)
{
	vgpu_session *s = calloc(1, sizeof(*s));
	bool pool = true;	/* VGPU_POOL was checked at open (core/env.c) */

	if (!s)
		return NULL;
	s->errcap = 1024;
	s->err = calloc(1, s->errcap);
	if (!s->err) {
		free(s);
		return NULL;
	}
	s->magic = VGPU_MAGIC_SESSION;
	pthread_mutex_init(&s->lock, NULL);
	vgpu_list_init(&s->buffers);
	vgpu_list_init(&s->streams);
	vgpu_list_init(&s->modules);
	vgpu_list_init(&s->pins);
	vgpu_list_init(&s->batches);
	snprintf(s->guest, sizeof(s->guest), "%s", o->guest);
	s->device = (int)o->device;
	s->cpu_threads = o->cpu_threads;
	s->fallback = o->fallback;
	s->cache_on = !(o->flags & VGPU_SESSION_NO_CACHE);
	vgpu_env_bool("VGPU_POOL", &pool);
	s->pool.on = !(o->flags & VGPU_SESSION_NO_POOL) && pool;
	return s;
}

/* Attach to the guest's books: /dev/vgpu, or in-process as @o says. */
static int session_ledger(vgpu_session *s, const struct vgpu_session_opts *o, char *why,
			  size_t len)
{
	struct vgpu_ledger_limits lim;
	int mode;

	memset(&lim, 0, sizeof(lim));
	if (o->flags & VGPU_SESSION_LIMITS) {
		lim.set = true;
		lim.limit[VGPU_LIB_RES_MEMORY] = o->mem_limit;
		lim.limit[VGPU_LIB_RES_PINNED] = o->pinned_limit;
		lim.limit[VGPU_LIB_RES_CONTEXTS] = o->context_limit;
	}
	mode = o->flags & VGPU_SESSION_NO_DEVICE_LEDGER ? 1 :
	       o->flags & VGPU_SESSION_DEVICE_LEDGER ? 2 : 0;
	return vgpu_ledger_open(&s->ledger, s->guest, mode, &lim, why, len);
}

/* The backend asked for (auto: CUDA, else HIP, else the CPU), or the CPU
 * where the fallback policy allows it; its context opened and charged. */
static int session_backend(vgpu_session *s, const struct vgpu_session_opts *o)
{
	uint32_t want = o->backend;
	const char *why = "";
	int ret;

	if (want == VGPU_BACKEND_AUTO) {
		const char *w1 = "", *w2 = "";

		if (probe(VGPU_BACKEND_CUDA, &w1) > 0)
			want = VGPU_BACKEND_CUDA;
		else if (probe(VGPU_BACKEND_HIP, &w2) > 0)
			want = VGPU_BACKEND_HIP;
		else {
			want = VGPU_BACKEND_CPU;
			vgpu_count_fallback(s, VGPU_FB_NO_GPU, "auto: %s; %s", w1, w2);
		}
	} else if (want != VGPU_BACKEND_CPU) {
		ret = probe((int)want, &why);
		if (ret <= 0 || (int)o->device >= ret) {
			if (!(s->fallback & VGPU_FALLBACK_NO_GPU)) {
				vgpu_seterr(s, 0, "%s%s", why,
					    ret > 0 ? ": no such device index" : "");
				return ret > 0 ? -ENOENT : -ENODEV;
			}
			vgpu_count_fallback(s, VGPU_FB_NO_GPU, "%s", ret > 0 ? "no such device index" : why);
			want = VGPU_BACKEND_CPU;
		}
	}
	s->primary_is_cpu = want == VGPU_BACKEND_CPU;
	ret = bk_open(s, &s->gpu, backend_ops((int)want), true);
	if (ret == -EDQUOT && !s->primary_is_cpu && (s->fallback & VGPU_FALLBACK_QUOTA)) {
		vgpu_count_fallback(s, VGPU_FB_QUOTA, "%s", s->err);
		s->primary_is_cpu = true;
		ret = bk_open(s, &s->gpu, &vgpu_backend_cpu, false);
	} else if (ret && !s->primary_is_cpu && ret != -EDQUOT &&
		   (s->fallback & VGPU_FALLBACK_NO_GPU)) {
		vgpu_count_fallback(s, VGPU_FB_NO_GPU, "%s", s->err);
		s->primary_is_cpu = true;
		ret = bk_open(s, &s->gpu, &vgpu_backend_cpu, true);
	}
	if (!ret)
		s->st.backend = (uint32_t)s->gpu.ops->kind;
	return ret;
}

VGPU_EXPORT int vgpu_session_open(vgpu_session **out, const struct vgpu_session_opts *opts)
{
	struct vgpu_session_opts o;
	char lwhy[256] = "";
	vgpu_session *s;
	int ret;

	open_err[0] = 0;
	if (!out)
		return open_fail(-EINVAL, "NULL session pointer");
	*out = NULL;
	ret = open_opts(&o, opts);
	if (ret)
		return ret;
	s = session_new(&o);
	if (!s)
		return open_fail(-ENOMEM, "no memory for a session");
	ret = session_ledger(s, &o, lwhy, sizeof(lwhy));
	if (!ret)
		ret = session_backend(s, &o);
	if (ret) {
		/* keep no session: its last error becomes the thread's open error */
		open_fail(ret, "%s", s->err[0] ? s->err : lwhy);
		session_free(s);
		return ret;
	}
	if (s->cache_on && vgpu_cache_open(&s->cache, o.cache_dir, o.cache_mem_bytes,
					   o.cache_disk_bytes))
		s->cache = NULL;	/* compile without a cache */
	vgpu_pool_register(s);
	*out = s;
	return 0;
}

static int session_free(vgpu_session *s)
{
	vgpu_pool_unregister(s);	/* from now on no other session's refusal trims ours */
	vgpu_compute_close(s);
	while (s->batches.next != &s->batches) {
		vgpu_batch *b = vgpu_container_of(s->batches.next, vgpu_batch, node);

		vgpu_list_del(&b->node);
		b->magic = 0;
		free(b);
	}
	while (s->modules.next != &s->modules)
		vgpu_module_unload_locked(vgpu_container_of(s->modules.next, vgpu_module, node));
	while (s->streams.next != &s->streams) {
		vgpu_stream *st = vgpu_container_of(s->streams.next, vgpu_stream, node);

		if (st->bks)
			s->gpu.ops->stream_destroy(s->gpu.ctx, st->bks);
		vgpu_list_del(&st->node);
		st->magic = 0;
		free(st);
	}
	while (s->buffers.next != &s->buffers)
		vgpu_buffer_free_locked(vgpu_container_of(s->buffers.next, vgpu_buffer, node));
	vgpu_pool_destroy(s);		/* every block back to the device, uncharged */
	while (s->pins.next != &s->pins) {
		struct vgpu_pin_rec *p = vgpu_container_of(s->pins.next, struct vgpu_pin_rec, node);

		if (p->registered && s->gpu.ops->host_unregister)
			s->gpu.ops->host_unregister(s->gpu.ctx, p->ptr);
		vgpu_ledger_unpin(s->ledger, p->handle);
		vgpu_list_del(&p->node);
		munmap(p->ptr, p->len);
		free(p);
	}
	bk_close(s, &s->cpu);
	bk_close(s, &s->gpu);
	if (s->cache)
		vgpu_cache_close(s->cache);
	if (s->ledger)
		vgpu_ledger_close(s->ledger);
	pthread_mutex_destroy(&s->lock);
	s->magic = 0;
	free(s->err);
	free(s);
	return 0;
}

VGPU_EXPORT int vgpu_session_close(vgpu_session *s)
{
	if (!s)
		return 0;
	if (s->magic != VGPU_MAGIC_SESSION)
		return -EINVAL;
	return session_free(s);
}

VGPU_EXPORT int vgpu_session_backend(vgpu_session *s)
{
	CHECK_SESSION(s);
	return s->gpu.ops->kind;
}

VGPU_EXPORT const char *vgpu_last_error(vgpu_session *s)
{
	if (!s)
		return open_err;
	if (s->magic != VGPU_MAGIC_SESSION)
		return "invalid session";
	return s->err;
}

/* ---- devices ---------------------------------------------------------------- */

VGPU_EXPORT int vgpu_device_count(vgpu_session *s)
{
	int n;

	CHECK_SESSION(s);
	n = probe(s->gpu.ops->kind, NULL);
	return n > 0 ? n : 1;
}

VGPU_EXPORT int vgpu_device_props(vgpu_session *s, int index, struct vgpu_device_props *p)
{
	struct vgpu_bk_devprops d;
	struct vgpu_device_props out;
	int ret;

	CHECK_SESSION(s);
	if (!p || p->size < sizeof(*p))
		return -EINVAL;
	if (index < 0 || index >= vgpu_device_count(s))
		return vgpu_seterr(s, -ENOENT, "no device %d", index);
	memset(&d, 0, sizeof(d));
	pthread_mutex_lock(&s->lock);
	ret = s->gpu.ops->device_props(index, &d);
	if (ret)
		vgpu_seterr(s, ret, "device %d: %s", index, vgpu_bk_err(&s->gpu));
	pthread_mutex_unlock(&s->lock);
	if (ret)
		return ret;
	memset(&out, 0, sizeof(out));
	out.size = sizeof(out);
	out.backend = (uint32_t)s->gpu.ops->kind;
	out.index = (uint32_t)index;
	memcpy(out.name, d.name, sizeof(out.name));
	out.name[sizeof(out.name) - 1] = 0;
	out.total_mem = d.total_mem;
	out.cc_major = d.cc_major;
	out.cc_minor = d.cc_minor;
	out.multiprocessors = d.multiprocessors;
	out.max_threads_per_block = d.max_threads_per_block;
	out.max_shared_per_block = d.max_shared_per_block;
	out.warp_size = d.warp_size;
	memcpy(p, &out, sizeof(out));
	return 0;
}
