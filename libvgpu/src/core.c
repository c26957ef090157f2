// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: sessions, devices, buffers, streams, modules, launches,
 * fallback policy, statistics. Backends are reached only through
 * struct vgpu_backend_ops (backend.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "internal.h"

/* ---- backends -------------------------------------------------------------- */

static const struct vgpu_backend_ops *backend_ops(int kind)
{
	switch (kind) {
	case VGPU_BACKEND_CUDA:
		return &vgpu_backend_cuda;	/* NULL when not built (weak) */
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
		if (!ops) {
			probe_ret[kind] = -ENODEV;
			snprintf(probe_why[kind], sizeof(probe_why[kind]),
				 "%s backend not built into this libvgpu", vgpu_backend_name(kind));
		} else {
			vgpu_bk_clearerr();
			probe_ret[kind] = ops->probe();
			if (probe_ret[kind] < 0)
				snprintf(probe_why[kind], sizeof(probe_why[kind]), "%s: %s",
					 ops->name, vgpu_bk_errtext()[0] ? vgpu_bk_errtext() :
					 strerror(-probe_ret[kind]));
			else if (probe_ret[kind] == 0)
				snprintf(probe_why[kind], sizeof(probe_why[kind]), "%s: no device",
					 ops->name);
		}
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

static const char *const fb_names[VGPU_FB_NR] = { "no_gpu", "compile", "launch", "quota" };

static void count_fallback(vgpu_session *s, int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void count_fallback(vgpu_session *s, int reason, const char *fmt, ...)
{
	va_list ap;

	s->st.fallbacks[reason]++;
	va_start(ap, fmt);
	vsnprintf(s->fbtext[reason], sizeof(s->fbtext[reason]), fmt, ap);
	va_end(ap);
}

static const char *bk_err(struct vgpu_bk *bk)
{
	const char *t = NULL;

	if (bk && bk->ops && bk->ops->last_error)
		t = bk->ops->last_error(bk->ctx);
	if (!t || !*t)
		t = vgpu_bk_errtext();
	return t && *t ? t : "backend error";
}

/* ---- sessions -------------------------------------------------------------- */

static int parse_backend(const char *v, uint32_t *kind)
{
	for (int k = 0; k < VGPU_BACKEND_NR; k++)
		if (!strcasecmp(v, vgpu_backend_name(k))) {
			*kind = (uint32_t)k;
			return 0;
		}
	return -EINVAL;
}

static int parse_fallback(const char *v, uint32_t *mask)
{
	char buf[256], *tok, *save = NULL;
	uint32_t m = 0;

	if (!strcasecmp(v, "all")) {
		*mask = VGPU_FALLBACK_ALL;
		return 0;
	}
	if (!strcasecmp(v, "none") || !*v) {
		*mask = 0;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(tok, "no-gpu") || !strcasecmp(tok, "no_gpu"))
			m |= VGPU_FALLBACK_NO_GPU;
		else if (!strcasecmp(tok, "compile"))
			m |= VGPU_FALLBACK_COMPILE;
		else if (!strcasecmp(tok, "launch"))
			m |= VGPU_FALLBACK_LAUNCH;
		else if (!strcasecmp(tok, "quota"))
			m |= VGPU_FALLBACK_QUOTA;
		else
			return -EINVAL;
	}
	*mask = m;
	return 0;
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
static struct vgpu_bk *cpu_bk(vgpu_session *s)
{
	if (s->primary_is_cpu)
		return &s->gpu;
	if (!s->cpu.ops && bk_open(s, &s->cpu, &vgpu_backend_cpu, false))
		return NULL;
	return &s->cpu;
}

static bool is_cpu(vgpu_session *s, struct vgpu_bk *bk)
{
	return bk == &s->cpu || (bk == &s->gpu && s->primary_is_cpu);
}

static int session_free(vgpu_session *s);

VGPU_EXPORT int vgpu_session_open(vgpu_session **out, const struct vgpu_session_opts *opts)
{
	struct vgpu_session_opts o;
	struct vgpu_ledger_limits lim;
	const char *e, *why = "";
	char lwhy[256];
	vgpu_session *s;
	uint32_t want;
	int ret, mode;

	if (!out)
		return -EINVAL;
	*out = NULL;
	memset(&o, 0, sizeof(o));
	if (opts) {
		if (opts->size < sizeof(o))
			return -EINVAL;
		memcpy(&o, opts, sizeof(o));
		if (o.flags & ~(VGPU_SESSION_NO_DEVICE_LEDGER | VGPU_SESSION_DEVICE_LEDGER |
				VGPU_SESSION_LIMITS | VGPU_SESSION_NO_CACHE))
			return -EINVAL;
		if ((o.flags & VGPU_SESSION_NO_DEVICE_LEDGER) && (o.flags & VGPU_SESSION_DEVICE_LEDGER))
			return -EINVAL;
		if (o.backend >= VGPU_BACKEND_NR || (o.fallback & ~VGPU_FALLBACK_ALL))
			return -EINVAL;
	}
	if (!o.guest) {
		e = getenv("VGPU_GUEST");
		o.guest = e && *e ? e : "default";
	}
	if (!*o.guest || strlen(o.guest) >= 32)
		return -EINVAL;
	if ((e = getenv("VGPU_BACKEND")) && *e && parse_backend(e, &o.backend))
		return -EINVAL;
	if ((e = getenv("VGPU_FALLBACK")) && parse_fallback(e, &o.fallback))
		return -EINVAL;
	if ((e = getenv("VGPU_DEVICE")) && *e)
		o.device = (uint32_t)atoi(e);

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->errcap = 1024;
	s->err = calloc(1, s->errcap);
	if (!s->err) {
		free(s);
		return -ENOMEM;
	}
	s->magic = VGPU_MAGIC_SESSION;
	pthread_mutex_init(&s->lock, NULL);
	vgpu_list_init(&s->buffers);
	vgpu_list_init(&s->streams);
	vgpu_list_init(&s->modules);
	vgpu_list_init(&s->pins);
	vgpu_list_init(&s->batches);
	snprintf(s->guest, sizeof(s->guest), "%s", o.guest);
	s->device = (int)o.device;
	s->cpu_threads = o.cpu_threads;
	s->fallback = o.fallback;

	memset(&lim, 0, sizeof(lim));
	if (o.flags & VGPU_SESSION_LIMITS) {
		lim.set = true;
		lim.limit[VGPU_LIB_RES_MEMORY] = o.mem_limit;
		lim.limit[VGPU_LIB_RES_PINNED] = o.pinned_limit;
		lim.limit[VGPU_LIB_RES_CONTEXTS] = o.context_limit;
	}
	mode = o.flags & VGPU_SESSION_NO_DEVICE_LEDGER ? 1 :
	       o.flags & VGPU_SESSION_DEVICE_LEDGER ? 2 : 0;
	ret = vgpu_ledger_open(&s->ledger, s->guest, mode, &lim, lwhy, sizeof(lwhy));
	if (ret)
		goto fail;

	/* pick the backend */
	want = o.backend;
	if (want == VGPU_BACKEND_AUTO) {
		const char *w1 = "", *w2 = "";

		if (probe(VGPU_BACKEND_CUDA, &w1) > 0)
			want = VGPU_BACKEND_CUDA;
		else if (probe(VGPU_BACKEND_HIP, &w2) > 0)
			want = VGPU_BACKEND_HIP;
		else {
			want = VGPU_BACKEND_CPU;
			count_fallback(s, VGPU_FB_NO_GPU, "auto: %s; %s", w1, w2);
		}
	} else if (want != VGPU_BACKEND_CPU) {
		ret = probe((int)want, &why);
		if (ret <= 0 || (int)o.device >= ret) {
			if (!(s->fallback & VGPU_FALLBACK_NO_GPU)) {
				vgpu_seterr(s, 0, "%s%s", why,
					    ret > 0 ? ": no such device index" : "");
				ret = ret > 0 ? -ENOENT : -ENODEV;
				goto fail;
			}
			count_fallback(s, VGPU_FB_NO_GPU, "%s", ret > 0 ? "no such device index" : why);
			want = VGPU_BACKEND_CPU;
		}
	}
	s->primary_is_cpu = want == VGPU_BACKEND_CPU;
	ret = bk_open(s, &s->gpu, backend_ops((int)want), true);
	if (ret == -EDQUOT && !s->primary_is_cpu && (s->fallback & VGPU_FALLBACK_QUOTA)) {
		count_fallback(s, VGPU_FB_QUOTA, "%s", s->err);
		s->primary_is_cpu = true;
		ret = bk_open(s, &s->gpu, &vgpu_backend_cpu, false);
	} else if (ret && !s->primary_is_cpu && ret != -EDQUOT &&
		   (s->fallback & VGPU_FALLBACK_NO_GPU)) {
		count_fallback(s, VGPU_FB_NO_GPU, "%s", s->err);
		s->primary_is_cpu = true;
		ret = bk_open(s, &s->gpu, &vgpu_backend_cpu, true);
	}
	if (ret)
		goto fail;
	s->st.backend = (uint32_t)s->gpu.ops->kind;

	s->cache_on = !(o.flags & VGPU_SESSION_NO_CACHE);
	if (s->cache_on && vgpu_cache_open(&s->cache, o.cache_dir, o.cache_mem_bytes,
					   o.cache_disk_bytes))
		s->cache = NULL;	/* compile without a cache */
	*out = s;
	return 0;
fail:
	{
		/* keep no session: the error text cannot be read after a failed
		 * open, so errors here are plain errnos */
		session_free(s);
	}
	return ret;
}

static int buffer_free_locked(vgpu_buffer *b);
static int module_unload_locked(vgpu_module *m);

static int session_free(vgpu_session *s)
{
	while (s->batches.next != &s->batches) {
		vgpu_batch *b = vgpu_container_of(s->batches.next, vgpu_batch, node);

		vgpu_list_del(&b->node);
		b->magic = 0;
		free(b);
	}
	while (s->modules.next != &s->modules)
		module_unload_locked(vgpu_container_of(s->modules.next, vgpu_module, node));
	while (s->streams.next != &s->streams) {
		vgpu_stream *st = vgpu_container_of(s->streams.next, vgpu_stream, node);

		if (st->bks)
			s->gpu.ops->stream_destroy(s->gpu.ctx, st->bks);
		vgpu_list_del(&st->node);
		st->magic = 0;
		free(st);
	}
	while (s->buffers.next != &s->buffers)
		buffer_free_locked(vgpu_container_of(s->buffers.next, vgpu_buffer, node));
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

#define CHECK_SESSION(s) do { if (!(s) || (s)->magic != VGPU_MAGIC_SESSION) return -EINVAL; } while (0)

VGPU_EXPORT int vgpu_session_backend(vgpu_session *s)
{
	CHECK_SESSION(s);
	return s->gpu.ops->kind;
}

VGPU_EXPORT const char *vgpu_last_error(vgpu_session *s)
{
	if (!s || s->magic != VGPU_MAGIC_SESSION)
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
		vgpu_seterr(s, ret, "device %d: %s", index, bk_err(&s->gpu));
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

/* ---- buffers ---------------------------------------------------------------- */

VGPU_EXPORT int vgpu_buffer_alloc(vgpu_session *s, size_t bytes, vgpu_buffer **out)
{
	struct vgpu_bk *bk = &s->gpu;
	vgpu_buffer *b;
	int ret;

	CHECK_SESSION(s);
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!bytes)
		return vgpu_seterr(s, -EINVAL, "buffer of 0 bytes");
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	ret = vgpu_ledger_mem_charge(s->ledger, is_cpu(s, bk) ? 0 : s->device, bytes, &b->charge);
	if (ret == -EDQUOT) {
		s->st.quota_refusals++;
		if (!(s->fallback & VGPU_FALLBACK_QUOTA)) {
			vgpu_seterr(s, ret, "guest '%s': memory quota refused %zu bytes", s->guest,
				    bytes);
			goto fail;
		}
		bk = cpu_bk(s);
		if (!bk) {
			ret = -ENOMEM;
			goto fail;
		}
		count_fallback(s, VGPU_FB_QUOTA, "memory quota refused %zu bytes: buffer in host memory",
			       bytes);
	} else if (ret) {
		vgpu_seterr(s, ret, "ledger: memory charge of %zu bytes: %s", bytes, strerror(-ret));
		goto fail;
	} else {
		b->charged = true;
	}
	vgpu_bk_clearerr();
	ret = bk->ops->mem_alloc(bk->ctx, bytes, &b->dptr);
	if (ret) {
		vgpu_seterr(s, ret, "%s: alloc %zu bytes: %s", bk->ops->name, bytes, bk_err(bk));
		if (b->charged)
			vgpu_ledger_mem_uncharge(s->ledger, b->charge);
		goto fail;
	}
	b->magic = VGPU_MAGIC_BUFFER;
	b->sess = s;
	b->bk = bk;
	b->size = bytes;
	b->on_host = is_cpu(s, bk);
	vgpu_list_add(&s->buffers, &b->node);
	if (b->charged) {
		s->st.mem_used += bytes;
		if (s->st.mem_used > s->st.mem_peak)
			s->st.mem_peak = s->st.mem_used;
	}
	pthread_mutex_unlock(&s->lock);
	*out = b;
	return 0;
fail:
	pthread_mutex_unlock(&s->lock);
	free(b);
	return ret;
}

static int buffer_free_locked(vgpu_buffer *b)
{
	vgpu_session *s = b->sess;

	b->bk->ops->mem_free(b->bk->ctx, b->dptr);
	if (b->charged) {
		vgpu_ledger_mem_uncharge(s->ledger, b->charge);
		s->st.mem_used -= b->size;
	}
	vgpu_list_del(&b->node);
	b->magic = 0;
	free(b);
	return 0;
}

#define CHECK_BUF(b) do { if (!(b) || (b)->magic != VGPU_MAGIC_BUFFER) return -EINVAL; } while (0)

VGPU_EXPORT int vgpu_buffer_free(vgpu_buffer *b)
{
	vgpu_session *s;

	if (!b)
		return 0;
	CHECK_BUF(b);
	s = b->sess;
	pthread_mutex_lock(&s->lock);
	buffer_free_locked(b);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

VGPU_EXPORT int vgpu_buffer_size(vgpu_buffer *b, size_t *bytes)
{
	CHECK_BUF(b);
	if (!bytes)
		return -EINVAL;
	*bytes = b->size;
	return 0;
}

VGPU_EXPORT int vgpu_buffer_on_host(vgpu_buffer *b)
{
	CHECK_BUF(b);
	return b->on_host ? 1 : 0;
}

static int check_range(vgpu_buffer *b, size_t off, size_t n)
{
	if (!n)
		return vgpu_seterr(b->sess, -EINVAL, "copy of 0 bytes");
	if (off > b->size || n > b->size - off)
		return vgpu_seterr(b->sess, -EINVAL,
				   "range [%zu, +%zu) outside the buffer of %zu bytes", off, n,
				   b->size);
	return 0;
}

#define CHECK_STREAM_OF(st, s) do {							\
	if ((st) && ((st)->magic != VGPU_MAGIC_STREAM || (st)->sess != (s)))		\
		return vgpu_seterr((s), -EINVAL, "bad stream handle");			\
} while (0)

static void *bk_stream(vgpu_buffer *b, vgpu_stream *st)
{
	return st && b->bk == &b->sess->gpu ? st->bks : NULL;
}

static int do_write(vgpu_buffer *b, size_t off, const void *src, size_t n, vgpu_stream *st)
{
	vgpu_session *s;
	int ret;

	CHECK_BUF(b);
	s = b->sess;
	if (!src)
		return vgpu_seterr(s, -EINVAL, "NULL host pointer");
	ret = check_range(b, off, n);
	if (ret)
		return ret;
	CHECK_STREAM_OF(st, s);
	pthread_mutex_lock(&s->lock);
	vgpu_bk_clearerr();
	ret = b->bk->ops->memcpy_htod(b->bk->ctx, b->dptr + off, src, n, bk_stream(b, st));
	if (ret)
		vgpu_seterr(s, ret, "%s: write: %s", b->bk->ops->name, bk_err(b->bk));
	else
		s->st.bytes_h2d += n;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int do_read(vgpu_buffer *b, size_t off, void *dst, size_t n, vgpu_stream *st)
{
	vgpu_session *s;
	int ret;

	CHECK_BUF(b);
	s = b->sess;
	if (!dst)
		return vgpu_seterr(s, -EINVAL, "NULL host pointer");
	ret = check_range(b, off, n);
	if (ret)
		return ret;
	CHECK_STREAM_OF(st, s);
	pthread_mutex_lock(&s->lock);
	vgpu_bk_clearerr();
	ret = b->bk->ops->memcpy_dtoh(b->bk->ctx, dst, b->dptr + off, n, bk_stream(b, st));
	if (ret)
		vgpu_seterr(s, ret, "%s: read: %s", b->bk->ops->name, bk_err(b->bk));
	else
		s->st.bytes_d2h += n;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int do_copy(vgpu_buffer *d, size_t doff, vgpu_buffer *sb, size_t soff, size_t n,
		   vgpu_stream *st)
{
	vgpu_session *s;
	int ret;

	CHECK_BUF(d);
	CHECK_BUF(sb);
	s = d->sess;
	if (sb->sess != s)
		return vgpu_seterr(s, -EXDEV, "buffers of two sessions");
	ret = check_range(d, doff, n);
	if (!ret)
		ret = check_range(sb, soff, n);
	if (ret)
		return ret;
	CHECK_STREAM_OF(st, s);
	pthread_mutex_lock(&s->lock);
	vgpu_bk_clearerr();
	if (d->bk == sb->bk)
		ret = d->bk->ops->memcpy_dtod(d->bk->ctx, d->dptr + doff, sb->dptr + soff, n,
					      bk_stream(d, st));
	else if (is_cpu(s, sb->bk))	/* host fallback buffer -> GPU */
		ret = d->bk->ops->memcpy_htod(d->bk->ctx, d->dptr + doff,
					      (const void *)(uintptr_t)(sb->dptr + soff), n, NULL);
	else				/* GPU -> host fallback buffer */
		ret = sb->bk->ops->memcpy_dtoh(sb->bk->ctx, (void *)(uintptr_t)(d->dptr + doff),
					       sb->dptr + soff, n, NULL);
	if (ret)
		vgpu_seterr(s, ret, "copy: %s", bk_err(d->bk));
	else
		s->st.bytes_d2d += n;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

VGPU_EXPORT int vgpu_buffer_write(vgpu_buffer *d, size_t off, const void *src, size_t n)
{
	return do_write(d, off, src, n, NULL);
}

VGPU_EXPORT int vgpu_buffer_read(vgpu_buffer *b, size_t off, void *dst, size_t n)
{
	return do_read(b, off, dst, n, NULL);
}

VGPU_EXPORT int vgpu_buffer_copy(vgpu_buffer *d, size_t doff, vgpu_buffer *s, size_t soff, size_t n)
{
	return do_copy(d, doff, s, soff, n, NULL);
}

VGPU_EXPORT int vgpu_buffer_write_async(vgpu_buffer *d, size_t off, const void *src, size_t n,
					vgpu_stream *st)
{
	return do_write(d, off, src, n, st);
}

VGPU_EXPORT int vgpu_buffer_read_async(vgpu_buffer *b, size_t off, void *dst, size_t n,
				       vgpu_stream *st)
{
	return do_read(b, off, dst, n, st);
}

VGPU_EXPORT int vgpu_buffer_copy_async(vgpu_buffer *d, size_t doff, vgpu_buffer *s, size_t soff,
				       size_t n, vgpu_stream *st)
{
	return do_copy(d, doff, s, soff, n, st);
}

/* ---- pinned host memory ---------------------------------------------------- */

VGPU_EXPORT int vgpu_host_alloc(vgpu_session *s, size_t bytes, void **ptr)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len;
	struct vgpu_pin_rec *p;
	int ret;

	CHECK_SESSION(s);
	if (!ptr || !bytes)
		return vgpu_seterr(s, -EINVAL, "host buffer: NULL pointer or 0 bytes");
	if (bytes > SIZE_MAX - page)
		return -EINVAL;
	len = (bytes + page - 1) & ~(page - 1);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ptr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->ptr == MAP_FAILED) {
		free(p);
		return -ENOMEM;
	}
	p->len = len;
	pthread_mutex_lock(&s->lock);
	ret = vgpu_ledger_pin(s->ledger, p->ptr, len, &p->handle);
	if (ret) {
		if (ret == -EDQUOT)
			s->st.quota_refusals++;
		vgpu_seterr(s, ret, "guest '%s': pin of %zu bytes refused: %s", s->guest, len,
			    strerror(-ret));
		goto fail;
	}
	if (s->gpu.ops->host_register && !s->primary_is_cpu) {
		vgpu_bk_clearerr();
		ret = s->gpu.ops->host_register(s->gpu.ctx, p->ptr, len);
		if (ret) {
			vgpu_seterr(s, ret, "%s: register host memory: %s", s->gpu.ops->name,
				    bk_err(&s->gpu));
			vgpu_ledger_unpin(s->ledger, p->handle);
			goto fail;
		}
		p->registered = true;
	}
	vgpu_list_add(&s->pins, &p->node);
	pthread_mutex_unlock(&s->lock);
	*ptr = p->ptr;
	return 0;
fail:
	pthread_mutex_unlock(&s->lock);
	munmap(p->ptr, len);
	free(p);
	return ret;
}

VGPU_EXPORT int vgpu_host_free(vgpu_session *s, void *ptr)
{
	struct vgpu_list *n;

	CHECK_SESSION(s);
	if (!ptr)
		return vgpu_seterr(s, -EINVAL, "NULL host pointer");
	pthread_mutex_lock(&s->lock);
	for (n = s->pins.next; n != &s->pins; n = n->next) {
		struct vgpu_pin_rec *p = vgpu_container_of(n, struct vgpu_pin_rec, node);

		if (p->ptr != ptr)
			continue;
		if (p->registered)
			s->gpu.ops->host_unregister(s->gpu.ctx, p->ptr);
		vgpu_ledger_unpin(s->ledger, p->handle);
		vgpu_list_del(&p->node);
		pthread_mutex_unlock(&s->lock);
		munmap(p->ptr, p->len);
		free(p);
		return 0;
	}
	pthread_mutex_unlock(&s->lock);
	return vgpu_seterr(s, -EINVAL, "%p is not a vgpu_host_alloc() buffer", ptr);
}

/* ---- streams ---------------------------------------------------------------- */

VGPU_EXPORT int vgpu_stream_create(vgpu_session *s, vgpu_stream **out)
{
	vgpu_stream *st;
	int ret;

	CHECK_SESSION(s);
	if (!out)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	vgpu_bk_clearerr();
	ret = s->gpu.ops->stream_create(s->gpu.ctx, &st->bks);
	if (ret) {
		vgpu_seterr(s, ret, "stream: %s", bk_err(&s->gpu));
		pthread_mutex_unlock(&s->lock);
		free(st);
		return ret;
	}
	st->magic = VGPU_MAGIC_STREAM;
	st->sess = s;
	vgpu_list_add(&s->streams, &st->node);
	pthread_mutex_unlock(&s->lock);
	*out = st;
	return 0;
}

static int64_t ms_to_ns(int ms)
{
	return ms < 0 ? -1 : (int64_t)ms * 1000000;
}

VGPU_EXPORT int vgpu_stream_sync(vgpu_stream *st, int timeout_ms)
{
	vgpu_session *s;
	int ret;

	if (!st || st->magic != VGPU_MAGIC_STREAM)
		return -EINVAL;
	s = st->sess;
	pthread_mutex_lock(&s->lock);
	vgpu_bk_clearerr();
	ret = s->gpu.ops->stream_sync(s->gpu.ctx, st->bks, ms_to_ns(timeout_ms));
	if (ret)
		vgpu_seterr(s, ret, "stream sync: %s", ret == -ETIME ? "timed out" : bk_err(&s->gpu));
	pthread_mutex_unlock(&s->lock);
	return ret;
}

VGPU_EXPORT int vgpu_stream_destroy(vgpu_stream *st)
{
	vgpu_session *s;

	if (!st)
		return 0;
	if (st->magic != VGPU_MAGIC_STREAM)
		return -EINVAL;
	s = st->sess;
	pthread_mutex_lock(&s->lock);
	s->gpu.ops->stream_sync(s->gpu.ctx, st->bks, -1);
	s->gpu.ops->stream_destroy(s->gpu.ctx, st->bks);
	vgpu_list_del(&st->node);
	st->magic = 0;
	pthread_mutex_unlock(&s->lock);
	free(st);
	return 0;
}

VGPU_EXPORT int vgpu_session_sync(vgpu_session *s, int timeout_ms)
{
	int ret;

	CHECK_SESSION(s);
	pthread_mutex_lock(&s->lock);
	vgpu_bk_clearerr();
	ret = s->gpu.ops->synchronize(s->gpu.ctx, ms_to_ns(timeout_ms));
	if (ret)
		vgpu_seterr(s, ret, "synchronize: %s", ret == -ETIME ? "timed out" : bk_err(&s->gpu));
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* ---- modules ---------------------------------------------------------------- */

/* Compile (or fetch from the cache) m's source for @bk and load it. */
static int build(vgpu_session *s, vgpu_module *m, struct vgpu_bk *bk, bool use_cache,
		 void **bkmod, struct vgpu_ksig **imgsig, void **image, size_t *image_len)
{
	char target[4096];
	const char *parts[4 + 64];
	size_t lens[4 + 64];
	int np = 0, ret;
	uint8_t key[32];
	void *blob = NULL;
	size_t blen = 0;
	char *log = NULL;
	struct vgpu_bk_source src = {
		.name = m->name, .src = m->src, .len = m->srclen,
		.options = (const char *const *)m->options, .nr_options = m->nr_options,
		.sig = &m->sig,
	};
	uint64_t t0;

	*bkmod = NULL;
	*imgsig = NULL;
	use_cache = use_cache && s->cache_on && s->cache;
	if (use_cache) {
		target[0] = 0;
		bk->ops->target_id(bk->ctx, target, sizeof(target));
		parts[np++] = "libvgpu-cache-1";
		parts[np++] = bk->ops->name;
		parts[np++] = target;
		for (int i = 0; i < m->nr_options && np < 4 + 63; i++)
			parts[np++] = m->options[i];
		for (int i = 0; i < np; i++)
			lens[i] = strlen(parts[i]);
		parts[np] = m->src;
		lens[np++] = m->srclen;
		vgpu_cache_key(key, parts, lens, np);
		if (!vgpu_cache_get(s->cache, key, &blob, &blen)) {
			vgpu_bk_clearerr();
			if (!bk->ops->module_load(bk->ctx, blob, blen, VGPU_IMAGE_AUTO, bkmod, imgsig)) {
				s->st.cache_hits++;
				*image = blob;
				*image_len = blen;
				return 0;
			}
			free(blob);	/* unusable: compile again, replace it */
			blob = NULL;
		}
		s->st.cache_misses++;
	}
	t0 = vgpu_now_ns();
	vgpu_bk_clearerr();
	ret = bk->ops->compile(bk->ctx, &src, &blob, &blen, &log);
	s->st.compile_ns += vgpu_now_ns() - t0;
	if (ret) {
		vgpu_seterr(s, ret == -ENODEV ? -ENODEV : -ENOEXEC, "%s: compile of %s failed: %s\n%s",
			    bk->ops->name, m->name ? m->name : "source", bk_err(bk), log ? log : "");
		free(log);
		return ret == -ENODEV || ret == -ENOMEM ? ret : -ENOEXEC;
	}
	free(log);
	if (use_cache)
		vgpu_cache_put(s->cache, key, blob, blen);
	vgpu_bk_clearerr();
	ret = bk->ops->module_load(bk->ctx, blob, blen, VGPU_IMAGE_AUTO, bkmod, imgsig);
	if (ret) {
		vgpu_seterr(s, ret, "%s: load of the compiled image failed: %s", bk->ops->name,
			    bk_err(bk));
		free(blob);
		return ret;
	}
	*image = blob;
	*image_len = blen;
	return 0;
}

static vgpu_module *module_new(vgpu_session *s)
{
	vgpu_module *m = calloc(1, sizeof(*m));

	if (m) {
		m->magic = VGPU_MAGIC_MODULE;
		m->sess = s;
		vgpu_list_init(&m->node);
	}
	return m;
}

static void module_free(vgpu_module *m)
{
	vgpu_session *s = m->sess;

	while (m->kernels) {
		vgpu_kernel *k = m->kernels;

		m->kernels = k->next;
		k->magic = 0;
		free(k);
	}
	if (m->bkmod)
		m->bk->ops->module_unload(m->bk->ctx, m->bkmod);
	if (m->cpumod)
		cpu_bk(s)->ops->module_unload(cpu_bk(s)->ctx, m->cpumod);
	vgpu_ksig_free(&m->sig);
	if (m->imgsig) {
		vgpu_ksig_free(m->imgsig);
		free(m->imgsig);
	}
	if (m->cpusig) {
		vgpu_ksig_free(m->cpusig);
		free(m->cpusig);
	}
	for (int i = 0; i < m->nr_options; i++)
		free(m->options[i]);
	free(m->options);
	free(m->src);
	free(m->name);
	free(m->image);
	m->magic = 0;
	free(m);
}

VGPU_EXPORT int vgpu_module_compile(vgpu_session *s, const char *src, size_t len,
				    const struct vgpu_compile_opts *opts, vgpu_module **out)
{
	struct vgpu_compile_opts o;
	vgpu_module *m;
	int ret;

	CHECK_SESSION(s);
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!src)
		return vgpu_seterr(s, -EINVAL, "NULL source");
	memset(&o, 0, sizeof(o));
	if (opts) {
		if (opts->size < sizeof(o))
			return vgpu_seterr(s, -EINVAL, "compile options: size %u too small", opts->size);
		memcpy(&o, opts, sizeof(o));
		if (o.flags & ~VGPU_COMPILE_NO_CACHE)
			return vgpu_seterr(s, -EINVAL, "compile options: unknown flags %#x", o.flags);
		if (o.nr_options > 64 || (o.nr_options && !o.options))
			return vgpu_seterr(s, -EINVAL, "compile options: bad option list");
		for (uint32_t i = 0; i < o.nr_options; i++)
			if (!o.options[i])
				return vgpu_seterr(s, -EINVAL, "compile option %u is NULL", i);
	}
	if (!len)
		len = strlen(src);
	if (!len)
		return vgpu_seterr(s, -EINVAL, "empty source");
	m = module_new(s);
	if (!m)
		return -ENOMEM;
	m->src = malloc(len + 1);
	m->options = calloc(o.nr_options + 1, sizeof(char *));
	m->name = strdup(o.name ? o.name : "kernel.cu");
	if (!m->src || !m->options || !m->name) {
		module_free(m);
		return -ENOMEM;
	}
	memcpy(m->src, src, len);
	m->src[len] = 0;
	m->srclen = len;
	for (uint32_t i = 0; i < o.nr_options; i++) {
		m->options[i] = strdup(o.options[i]);
		if (!m->options[i]) {
			module_free(m);
			return -ENOMEM;
		}
		m->nr_options++;
	}
	ret = vgpu_parse_source(m->src, m->srclen, &m->sig);
	if (ret) {
		module_free(m);
		return vgpu_seterr(s, ret, "cannot parse the source (unbalanced brackets?)");
	}

	pthread_mutex_lock(&s->lock);
	s->st.compiles++;
	m->bk = &s->gpu;
	ret = build(s, m, m->bk, !(o.flags & VGPU_COMPILE_NO_CACHE), &m->bkmod, &m->imgsig,
		    &m->image, &m->image_len);
	if (ret && !s->primary_is_cpu && (s->fallback & VGPU_FALLBACK_COMPILE)) {
		struct vgpu_bk *cpu = cpu_bk(s);

		count_fallback(s, VGPU_FB_COMPILE, "%.200s", s->err);
		if (cpu) {
			m->bk = cpu;
			ret = build(s, m, cpu, !(o.flags & VGPU_COMPILE_NO_CACHE), &m->bkmod,
				    &m->imgsig, &m->image, &m->image_len);
		}
	}
	if (ret) {
		s->st.compile_errors++;
		pthread_mutex_unlock(&s->lock);
		module_free(m);
		return ret;
	}
	vgpu_list_add(&s->modules, &m->node);
	pthread_mutex_unlock(&s->lock);
	*out = m;
	return 0;
}

VGPU_EXPORT int vgpu_module_load(vgpu_session *s, const void *image, size_t len, int format,
				 vgpu_module **out)
{
	vgpu_module *m;
	int ret;

	CHECK_SESSION(s);
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!image || !len)
		return vgpu_seterr(s, -EINVAL, "empty image");
	if (format < VGPU_IMAGE_AUTO || format > VGPU_IMAGE_NATIVE)
		return vgpu_seterr(s, -EINVAL, "unknown image format %d", format);
	m = module_new(s);
	if (!m)
		return -ENOMEM;
	m->image = malloc(len);
	if (!m->image) {
		free(m);
		return -ENOMEM;
	}
	memcpy(m->image, image, len);
	m->image_len = len;
	pthread_mutex_lock(&s->lock);
	m->bk = &s->gpu;
	vgpu_bk_clearerr();
	ret = m->bk->ops->module_load(m->bk->ctx, image, len, format, &m->bkmod, &m->imgsig);
	if (ret) {
		vgpu_seterr(s, ret == -EINVAL ? -EINVAL : -ENOEXEC, "%s: image refused: %s",
			    m->bk->ops->name, bk_err(m->bk));
		ret = ret == -EINVAL ? -EINVAL : -ENOEXEC;
		pthread_mutex_unlock(&s->lock);
		module_free(m);
		return ret;
	}
	vgpu_list_add(&s->modules, &m->node);
	pthread_mutex_unlock(&s->lock);
	*out = m;
	return 0;
}

VGPU_EXPORT long vgpu_module_image(vgpu_module *m, void *buf, size_t len)
{
	if (!m || m->magic != VGPU_MAGIC_MODULE)
		return -EINVAL;
	if (buf && len >= m->image_len)
		memcpy(buf, m->image, m->image_len);
	return (long)m->image_len;
}

static int module_unload_locked(vgpu_module *m)
{
	vgpu_list_del(&m->node);
	module_free(m);
	return 0;
}

VGPU_EXPORT int vgpu_module_unload(vgpu_module *m)
{
	vgpu_session *s;

	if (!m)
		return 0;
	if (m->magic != VGPU_MAGIC_MODULE)
		return -EINVAL;
	s = m->sess;
	pthread_mutex_lock(&s->lock);
	module_unload_locked(m);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

VGPU_EXPORT int vgpu_module_backend(vgpu_module *m)
{
	if (!m || m->magic != VGPU_MAGIC_MODULE)
		return -EINVAL;
	return m->bk->ops->kind;
}

static const struct vgpu_kinfo *find_info(vgpu_module *m, const char *name)
{
	const struct vgpu_kinfo *ki = vgpu_ksig_find(m->imgsig, name);

	return ki ? ki : vgpu_ksig_find(&m->sig, name);
}

VGPU_EXPORT int vgpu_kernel_get(vgpu_module *m, const char *name, vgpu_kernel **out)
{
	vgpu_session *s;
	vgpu_kernel *k;
	int ret;

	if (!m || m->magic != VGPU_MAGIC_MODULE || !out)
		return -EINVAL;
	s = m->sess;
	*out = NULL;
	if (!name || !*name)
		return vgpu_seterr(s, -EINVAL, "empty kernel name");
	if (strlen(name) >= VGPU_KNAME_MAX)
		return vgpu_seterr(s, -ENOENT, "no kernel named '%.64s...'", name);
	pthread_mutex_lock(&s->lock);
	for (k = m->kernels; k; k = k->next)
		if (!strcmp(k->name, name)) {
			pthread_mutex_unlock(&s->lock);
			*out = k;
			return 0;
		}
	k = calloc(1, sizeof(*k));
	if (!k) {
		pthread_mutex_unlock(&s->lock);
		return -ENOMEM;
	}
	vgpu_bk_clearerr();
	ret = m->bk->ops->function_get(m->bk->ctx, m->bkmod, name, &k->fn);
	if (ret) {
		vgpu_seterr(s, ret == -ENOMEM ? ret : -ENOENT, "no kernel named '%s' in %s: %s",
			    name, m->name ? m->name : "the module", bk_err(m->bk));
		pthread_mutex_unlock(&s->lock);
		free(k);
		return ret == -ENOMEM ? ret : -ENOENT;
	}
	k->magic = VGPU_MAGIC_KERNEL;
	k->mod = m;
	strcpy(k->name, name);
	k->info = find_info(m, name);
	k->next = m->kernels;
	m->kernels = k;
	pthread_mutex_unlock(&s->lock);
	*out = k;
	return 0;
}

VGPU_EXPORT int vgpu_kernel_info(vgpu_kernel *k, struct vgpu_kernel_info *info)
{
	struct vgpu_kernel_info o;

	if (!k || k->magic != VGPU_MAGIC_KERNEL || !info || info->size < sizeof(o))
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.nr_params = k->info ? k->info->nparams : -1;
	o.uses_barrier = k->info ? k->info->uses_barrier : 0;
	for (int i = 0; k->info && i < k->info->nparams && i < 32; i++)
		o.param_types[i] = k->info->params[i].type;
	memcpy(info, &o, sizeof(o));
	return 0;
}

/* ---- launch ------------------------------------------------------------------ */

static const char *arg_type_name(unsigned t)
{
	static const char *const n[] = { "none", "buffer", "i32", "u32", "i64", "u64", "f32", "f64" };

	return t < 8 ? n[t] : "?";
}

/* The CPU function for @k: its own when the module is on the CPU, else from
 * a CPU build of the module's source (made once, cached like any compile). */
static int cpu_fn(vgpu_session *s, vgpu_kernel *k, void **fn)
{
	vgpu_module *m = k->mod;
	struct vgpu_bk *cpu = cpu_bk(s);
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
		ret = build(s, m, cpu, true, &m->cpumod, &m->cpusig, &img, &ilen);
		free(img);
		if (ret)
			return ret;
	}
	vgpu_bk_clearerr();
	ret = cpu->ops->function_get(cpu->ctx, m->cpumod, k->name, &k->cpufn);
	if (ret)
		return vgpu_seterr(s, ret, "cpu: %s", bk_err(cpu));
	*fn = k->cpufn;
	return 0;
}

struct stage {
	vgpu_buffer *b;
	void *host;
};

static int launch_locked(vgpu_session *s, vgpu_kernel *k, const struct vgpu_launch_cfg *c,
			 const struct vgpu_arg *args, unsigned n)
{
	uint64_t vals[VGPU_MAX_PARAMS];
	void *ptrs[VGPU_MAX_PARAMS];
	size_t sizes[VGPU_MAX_PARAMS];
	struct stage stage[VGPU_MAX_PARAMS];
	int nstage = 0, ret;
	bool on_cpu, want_cpu = c->flags & VGPU_LAUNCH_CPU;
	struct vgpu_bk_launch L;
	struct vgpu_bk *cpu;
	uint64_t t0;
	void *fn = NULL;

	memset(&L, 0, sizeof(L));
	L.grid[0] = c->grid.x ? c->grid.x : 1;
	L.grid[1] = c->grid.y ? c->grid.y : 1;
	L.grid[2] = c->grid.z ? c->grid.z : 1;
	L.block[0] = c->block.x ? c->block.x : 1;
	L.block[1] = c->block.y ? c->block.y : 1;
	L.block[2] = c->block.z ? c->block.z : 1;
	L.shared_bytes = c->shared_bytes;
	L.timeout_ns = c->timeout_ms > 0 ? (int64_t)c->timeout_ms * 1000000 : 0;
	L.args = ptrs;
	L.arg_sizes = sizes;
	L.nr_args = (int)n;
	if ((uint64_t)L.block[0] * L.block[1] * L.block[2] > 1024)
		return vgpu_seterr(s, -EINVAL, "block of %llu threads (at most 1024)",
				   (unsigned long long)L.block[0] * L.block[1] * L.block[2]);
	if (n > VGPU_MAX_PARAMS)
		return vgpu_seterr(s, -EINVAL, "%u arguments (at most %d)", n, VGPU_MAX_PARAMS);
	if (k->info && k->info->nparams >= 0 && (int)n != k->info->nparams)
		return vgpu_seterr(s, -EINVAL, "kernel %s takes %d arguments, %u given", k->name,
				   k->info->nparams, n);
	for (unsigned i = 0; i < n; i++) {
		const struct vgpu_arg *a = &args[i];
		unsigned want = k->info ? k->info->params[i].type : a->type;

		if (k->info && want == VGPU_ARG_NONE)
			return vgpu_seterr(s, -EINVAL, "kernel %s: parameter %u has a type libvgpu cannot pass",
					   k->name, i);
		if (a->type != want || a->type == VGPU_ARG_NONE || a->type > VGPU_ARG_F64)
			return vgpu_seterr(s, -EINVAL, "kernel %s: argument %u is %s, the parameter is %s",
					   k->name, i, arg_type_name(a->type), arg_type_name(want));
		if (a->type == VGPU_ARG_BUFFER) {
			vgpu_buffer *b = a->v.b.buf;

			if (!b || b->magic != VGPU_MAGIC_BUFFER || b->sess != s)
				return vgpu_seterr(s, -EINVAL, "kernel %s: argument %u: bad buffer handle",
						   k->name, i);
			if (a->v.b.offset > b->size)
				return vgpu_seterr(s, -EINVAL, "kernel %s: argument %u: offset %llu past the buffer's %zu bytes",
						   k->name, i, (unsigned long long)a->v.b.offset, b->size);
			if (!is_cpu(s, b->bk) && k->mod->bk == &s->gpu && !s->primary_is_cpu)
				; /* device buffer, GPU module */
			else if (is_cpu(s, b->bk) && !s->primary_is_cpu)
				want_cpu = true;	/* host-fallback buffer: the CPU runs it */
		}
	}
	on_cpu = want_cpu || is_cpu(s, k->mod->bk);
	s->st.launches++;
	/* asynchronous GPU launches are not timed: keep their path short */
	t0 = on_cpu || !(c->flags & VGPU_LAUNCH_ASYNC) ? vgpu_now_ns() : 0;
	if (!on_cpu) {
		for (unsigned i = 0; i < n; i++) {
			const struct vgpu_arg *a = &args[i];

			vals[i] = 0;
			switch (a->type) {
			case VGPU_ARG_BUFFER: vals[i] = a->v.b.buf->dptr + a->v.b.offset; sizes[i] = 8; break;
			case VGPU_ARG_I32: case VGPU_ARG_U32: case VGPU_ARG_F32:
				memcpy(&vals[i], &a->v, 4); sizes[i] = 4; break;
			default: memcpy(&vals[i], &a->v, 8); sizes[i] = 8; break;
			}
			ptrs[i] = &vals[i];
		}
		L.stream = c->stream ? c->stream->bks : NULL;
		L.async = c->flags & VGPU_LAUNCH_ASYNC;
		s->st.launches_gpu++;
		vgpu_bk_clearerr();
		ret = s->gpu.ops->launch(s->gpu.ctx, k->fn, &L);
		if (!ret && !L.async)
			ret = L.stream ? s->gpu.ops->stream_sync(s->gpu.ctx, L.stream, -1) :
					 s->gpu.ops->synchronize(s->gpu.ctx, -1);
		if (!ret) {
			s->st.launches_gpu_ok++;
			if (!L.async)
				s->st.launch_ns += vgpu_now_ns() - t0;
			return 0;
		}
		if (ret == -EINVAL || ret == -ETIME || !(s->fallback & VGPU_FALLBACK_LAUNCH)) {
			s->st.launch_errors++;
			return vgpu_seterr(s, ret, "%s: launch of %s failed: %s", s->gpu.ops->name,
					   k->name, bk_err(&s->gpu));
		}
		count_fallback(s, VGPU_FB_LAUNCH, "%s: launch of %s failed: %.160s", s->gpu.ops->name,
			       k->name, bk_err(&s->gpu));
	}
	/* on the CPU */
	if (!t0)
		t0 = vgpu_now_ns();
	ret = cpu_fn(s, k, &fn);
	if (ret) {
		s->st.launch_errors++;
		return ret;
	}
	cpu = cpu_bk(s);
	if (!s->primary_is_cpu)
		s->gpu.ops->synchronize(s->gpu.ctx, -1);	/* GPU work before CPU work */
	for (unsigned i = 0; i < n; i++) {
		const struct vgpu_arg *a = &args[i];

		vals[i] = 0;
		sizes[i] = 8;
		if (a->type == VGPU_ARG_BUFFER) {
			vgpu_buffer *b = a->v.b.buf;
			void *host = NULL;

			if (is_cpu(s, b->bk)) {
				vals[i] = b->dptr + a->v.b.offset;
			} else {
				/* a GPU buffer: stage it through host memory */
				for (int j = 0; j < nstage; j++)
					if (stage[j].b == b)
						host = stage[j].host;
				if (!host) {
					host = malloc(b->size);
					if (!host) {
						ret = -ENOMEM;
						goto unstage;
					}
					stage[nstage].b = b;
					stage[nstage++].host = host;
					ret = b->bk->ops->memcpy_dtoh(b->bk->ctx, host, b->dptr, b->size, NULL);
					if (ret) {
						vgpu_seterr(s, ret, "staging for the CPU: %s", bk_err(b->bk));
						goto unstage;
					}
				}
				vals[i] = (uint64_t)(uintptr_t)host + a->v.b.offset;
			}
		} else {
			memcpy(&vals[i], &a->v, a->type == VGPU_ARG_I32 || a->type == VGPU_ARG_U32 ||
			       a->type == VGPU_ARG_F32 ? 4 : 8);
			sizes[i] = a->type == VGPU_ARG_I32 || a->type == VGPU_ARG_U32 ||
				   a->type == VGPU_ARG_F32 ? 4 : 8;
		}
		ptrs[i] = &vals[i];
	}
	L.stream = NULL;
	L.async = false;
	s->st.launches_cpu++;
	vgpu_bk_clearerr();
	ret = cpu->ops->launch(cpu->ctx, fn, &L);
	if (ret)
		vgpu_seterr(s, ret, "cpu: launch of %s: %s", k->name, bk_err(cpu));
unstage:
	for (int j = 0; j < nstage; j++) {
		vgpu_buffer *b = stage[j].b;

		if (!ret) {
			ret = b->bk->ops->memcpy_htod(b->bk->ctx, b->dptr, stage[j].host, b->size, NULL);
			if (ret)
				vgpu_seterr(s, ret, "unstaging from the CPU: %s", bk_err(b->bk));
		}
		free(stage[j].host);
	}
	if (ret)
		s->st.launch_errors++;
	else
		s->st.launch_ns += vgpu_now_ns() - t0;
	return ret;
}

VGPU_EXPORT int vgpu_launch(vgpu_kernel *k, const struct vgpu_launch_cfg *cfg,
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

/* ---- ledger, statistics ----------------------------------------------------- */

VGPU_EXPORT int vgpu_ledger_usage(vgpu_session *s, struct vgpu_ledger_usage *u)
{
	struct vgpu_ledger_usage o;
	int ret;

	CHECK_SESSION(s);
	if (!u || u->size < sizeof(o))
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	ret = vgpu_ledger_get_usage(s->ledger, &o);
	if (ret)
		return vgpu_seterr(s, ret, "ledger: usage: %s", strerror(-ret));
	memcpy(u, &o, sizeof(o));
	return 0;
}

VGPU_EXPORT int vgpu_ledger_set_limit(vgpu_session *s, int res, uint64_t limit)
{
	int ret;

	CHECK_SESSION(s);
	ret = vgpu_ledger_limit(s->ledger, res, limit);
	if (ret == -EOPNOTSUPP)
		return vgpu_seterr(s, ret, "limits of /dev/vgpu guests are set by the administrator");
	return ret;
}

VGPU_EXPORT int vgpu_stats_get(vgpu_session *s, struct vgpu_stats *st)
{
	CHECK_SESSION(s);
	if (!st || st->size < sizeof(*st))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	memcpy(st, &s->st, sizeof(*st));
	pthread_mutex_unlock(&s->lock);
	st->size = sizeof(*st);
	return 0;
}

VGPU_EXPORT int vgpu_fallback_text(vgpu_session *s, int reason, char *buf, size_t len)
{
	int n;

	CHECK_SESSION(s);
	if (reason < 0 || reason >= VGPU_FB_NR || (len && !buf))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	n = (int)strlen(s->fbtext[reason]);
	if (len)
		snprintf(buf, len, "%s", s->fbtext[reason]);
	pthread_mutex_unlock(&s->lock);
	return n;
}

VGPU_EXPORT int vgpu_cache_enable(vgpu_session *s, int on)
{
	CHECK_SESSION(s);
	pthread_mutex_lock(&s->lock);
	s->cache_on = on != 0;
	if (s->cache_on && !s->cache && vgpu_cache_open(&s->cache, NULL, 0, 0))
		s->cache = NULL;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Prometheus text */
struct pbuf {
	char *buf;
	size_t len, n;
};

static void pb(struct pbuf *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pb(struct pbuf *p, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(p->n < p->len ? p->buf + p->n : NULL, p->n < p->len ? p->len - p->n : 0,
		      fmt, ap);
	va_end(ap);
	if (k > 0)
		p->n += (size_t)k;
}

static void metric(struct pbuf *p, const char *lbl, const char *name, const char *type,
		   const char *help, const char *extra, double v)
{
	pb(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	pb(p, "%s{%s%s} %.17g\n", name, lbl, extra ? extra : "", v);
}

VGPU_EXPORT int vgpu_stats_prometheus(vgpu_session *s, char *buf, size_t len)
{
	static const char *const res[VGPU_LIB_RES_NR] = { "memory", "pinned", "contexts" };
	struct vgpu_ledger_usage u = { .size = sizeof(u) };
	struct pbuf p = { buf, len, 0 };
	struct vgpu_stats st;
	char lbl[200], g[80];
	size_t gi = 0;

	CHECK_SESSION(s);
	if (len && !buf)
		return -EINVAL;
	if (len)
		buf[0] = 0;
	for (const char *c = s->guest; *c && gi < sizeof(g) - 3; c++) {
		if (*c == '\\' || *c == '"')
			g[gi++] = '\\';
		g[gi++] = *c;
	}
	g[gi] = 0;
	pthread_mutex_lock(&s->lock);
	st = s->st;
	pthread_mutex_unlock(&s->lock);
	snprintf(lbl, sizeof(lbl), "guest=\"%s\",backend=\"%s\"", g,
		 vgpu_backend_name((int)st.backend));
	metric(&p, lbl, "vgpu_lib_launches_total", "counter", "Kernel launches asked for.", NULL,
	       (double)st.launches);
	metric(&p, lbl, "vgpu_lib_launches_gpu_total", "counter", "Launches run on a GPU backend.",
	       NULL, (double)st.launches_gpu);
	metric(&p, lbl, "vgpu_lib_launches_gpu_ok_total", "counter",
	       "GPU launches that succeeded.", NULL, (double)st.launches_gpu_ok);
	metric(&p, lbl, "vgpu_lib_launches_cpu_total", "counter", "Launches run on the CPU backend.",
	       NULL, (double)st.launches_cpu);
	metric(&p, lbl, "vgpu_lib_launch_errors_total", "counter",
	       "Launches that returned an error.", NULL, (double)st.launch_errors);
	metric(&p, lbl, "vgpu_lib_gpu_success_ratio", "gauge",
	       "Share of GPU launches that succeeded (1 when none).", NULL,
	       st.launches_gpu ? (double)st.launches_gpu_ok / (double)st.launches_gpu : 1.0);
	metric(&p, lbl, "vgpu_lib_launch_seconds_total", "counter",
	       "Time spent in synchronous launches.", NULL, (double)st.launch_ns / 1e9);
	metric(&p, lbl, "vgpu_lib_compiles_total", "counter", "Module compiles asked for.", NULL,
	       (double)st.compiles);
	metric(&p, lbl, "vgpu_lib_compile_errors_total", "counter", "Compiles that failed.", NULL,
	       (double)st.compile_errors);
	metric(&p, lbl, "vgpu_lib_compile_seconds_total", "counter",
	       "Time spent compiling (cache misses).", NULL, (double)st.compile_ns / 1e9);
	metric(&p, lbl, "vgpu_lib_cache_hits_total", "counter", "Compile cache hits.", NULL,
	       (double)st.cache_hits);
	metric(&p, lbl, "vgpu_lib_cache_misses_total", "counter", "Compile cache misses.", NULL,
	       (double)st.cache_misses);
	pb(&p, "# HELP vgpu_lib_fallbacks_total Work sent to the CPU instead of the GPU, by reason.\n"
	       "# TYPE vgpu_lib_fallbacks_total counter\n");
	for (int r = 0; r < VGPU_FB_NR; r++)
		pb(&p, "vgpu_lib_fallbacks_total{%s,reason=\"%s\"} %llu\n", lbl, fb_names[r],
		   (unsigned long long)st.fallbacks[r]);
	metric(&p, lbl, "vgpu_lib_quota_refusals_total", "counter",
	       "Charges the ledger refused.", NULL, (double)st.quota_refusals);
	metric(&p, lbl, "vgpu_lib_memory_bytes", "gauge",
	       "Device memory held by the session's buffers.", NULL, (double)st.mem_used);
	metric(&p, lbl, "vgpu_lib_memory_peak_bytes", "gauge",
	       "Highest device memory held by the session's buffers.", NULL, (double)st.mem_peak);
	pb(&p, "# HELP vgpu_lib_copy_bytes_total Bytes copied, by direction.\n"
	       "# TYPE vgpu_lib_copy_bytes_total counter\n");
	pb(&p, "vgpu_lib_copy_bytes_total{%s,direction=\"h2d\"} %llu\n", lbl,
	   (unsigned long long)st.bytes_h2d);
	pb(&p, "vgpu_lib_copy_bytes_total{%s,direction=\"d2h\"} %llu\n", lbl,
	   (unsigned long long)st.bytes_d2h);
	pb(&p, "vgpu_lib_copy_bytes_total{%s,direction=\"d2d\"} %llu\n", lbl,
	   (unsigned long long)st.bytes_d2d);
	pb(&p, "# HELP vgpu_lib_batch_items_total Batch items, by route.\n"
	       "# TYPE vgpu_lib_batch_items_total counter\n");
	pb(&p, "vgpu_lib_batch_items_total{%s,route=\"gpu\"} %llu\n", lbl,
	   (unsigned long long)st.batch_gpu);
	pb(&p, "vgpu_lib_batch_items_total{%s,route=\"cpu\"} %llu\n", lbl,
	   (unsigned long long)st.batch_cpu);
	metric(&p, lbl, "vgpu_lib_batch_threshold", "gauge",
	       "Work size at and above which batch items go to the GPU.", NULL,
	       (double)st.batch_threshold);
	if (!vgpu_ledger_usage(s, &u)) {
		const char *src = u.kernel ? "kernel" : "inprocess";
		static const char *const what[4] = { "used", "peak", "limit", "limit_hits_total" };
		static const char *const help[4] = {
			"Ledger usage now (bytes or contexts).", "Ledger highest usage.",
			"Ledger limit (+Inf: none).", "Charges refused at the limit." };

		for (int w = 0; w < 4; w++) {
			pb(&p, "# HELP vgpu_lib_ledger_%s %s\n# TYPE vgpu_lib_ledger_%s %s\n", what[w],
			   help[w], what[w], w == 3 ? "counter" : "gauge");
			for (int r = 0; r < VGPU_LIB_RES_NR; r++) {
				uint64_t v = w == 0 ? u.used[r] : w == 1 ? u.peak[r] :
					     w == 2 ? u.limit[r] : u.limit_hits[r];

				if (w == 2 && v == VGPU_UNLIMITED)
					pb(&p, "vgpu_lib_ledger_%s{%s,ledger=\"%s\",resource=\"%s\"} +Inf\n",
					   what[w], lbl, src, res[r]);
				else
					pb(&p, "vgpu_lib_ledger_%s{%s,ledger=\"%s\",resource=\"%s\"} %llu\n",
					   what[w], lbl, src, res[r], (unsigned long long)v);
			}
		}
	}
	if (p.n > (size_t)0x7fffffff)
		return -EOVERFLOW;
	return (int)p.n;
}
