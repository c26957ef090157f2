// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: buffers (device memory, charged to the ledger; on the host
 * when the quota fallback or a CPU session says so) and pinned host memory.
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

/* ---- buffers ---------------------------------------------------------------- */

/*
 * Charge @want bytes for a new block. With the pool, a refusal first releases
 * the pool's idle blocks and retries; then the exact @bytes are tried when
 * only the rounding passed the limit. *@want is what was charged.
 */
static int charge_block(vgpu_session *s, int device, size_t bytes, size_t *want, uint32_t *h)
{
	struct vgpu_ledger_usage u = { .size = sizeof(u) };
	int ret = vgpu_ledger_mem_charge(s->ledger, device, *want, h);

	if (ret != -EDQUOT || !s->pool.on)
		return ret;
	if (vgpu_pool_trim_locked(s, 0) + vgpu_pool_trim_guest(s))
		ret = vgpu_ledger_mem_charge(s->ledger, device, *want, h);
	if (ret == -EDQUOT && *want != bytes && !vgpu_ledger_get_usage(s->ledger, &u) &&
	    u.used[VGPU_LIB_RES_MEMORY] <= u.limit[VGPU_LIB_RES_MEMORY] &&
	    bytes <= u.limit[VGPU_LIB_RES_MEMORY] - u.used[VGPU_LIB_RES_MEMORY]) {
		ret = vgpu_ledger_mem_charge(s->ledger, device, bytes, h);
		if (!ret)
			*want = bytes;
	}
	return ret;
}

/*
 * Charge @bytes (*@want rounded for the pool) for @b; over the quota with the
 * quota fallback on, the buffer goes to host memory (*@bk the CPU backend,
 * uncharged). Called with s->lock held.
 */
static int buffer_charge(vgpu_session *s, vgpu_buffer *b, size_t bytes, size_t *want,
			 struct vgpu_bk **bk)
{
	int ret = charge_block(s, vgpu_is_cpu(s, *bk) ? 0 : s->device, bytes, want, &b->charge);

	if (!ret) {
		b->charged = true;
		return 0;
	}
	if (ret != -EDQUOT)
		return vgpu_seterr(s, ret, "ledger: memory charge of %zu bytes: %s", *want,
				   strerror(-ret));
	s->st.quota_refusals++;
	if (!(s->fallback & VGPU_FALLBACK_QUOTA))
		return vgpu_seterr(s, ret, "guest '%s': memory quota refused %zu bytes", s->guest,
				   bytes);
	*bk = vgpu_cpu_bk(s);
	if (!*bk)
		return -ENOMEM;
	*want = bytes;
	vgpu_count_fallback(s, VGPU_FB_QUOTA, "memory quota refused %zu bytes: buffer in host memory",
			    bytes);
	return 0;
}

/* @want bytes from @bk for @b (again after trimming the pool if the device is
 * full); the charge undone on failure. Called with s->lock held. */
static int buffer_device_alloc(vgpu_session *s, vgpu_buffer *b, struct vgpu_bk *bk, size_t want)
{
	int ret;

	vgpu_bk_clearerr();
	ret = bk->ops->mem_alloc(bk->ctx, want, &b->dptr);
	if (ret == -ENOMEM && b->charged && vgpu_pool_trim_locked(s, 0)) {
		vgpu_bk_clearerr();	/* the pool held device memory: retry without it */
		ret = bk->ops->mem_alloc(bk->ctx, want, &b->dptr);
	}
	if (ret) {
		vgpu_seterr(s, ret, "%s: alloc %zu bytes: %s", bk->ops->name, want, vgpu_bk_err(bk));
		if (b->charged)
			vgpu_ledger_mem_uncharge(s->ledger, b->charge);
		return ret;
	}
	b->block = want;
	if (b->charged && s->pool.on) {
		b->pooled = true;
		vgpu_pool_new_block(s, want);
	}
	return 0;
}

/* @b, @bytes on @bk, into the session's buffers and counters; s->lock held */
static void buffer_publish(vgpu_session *s, vgpu_buffer *b, struct vgpu_bk *bk, size_t bytes)
{
	b->magic = VGPU_MAGIC_BUFFER;
	b->sess = s;
	b->bk = bk;
	b->size = bytes;
	b->on_host = vgpu_is_cpu(s, bk);
	vgpu_list_add(&s->buffers, &b->node);
	if (b->charged) {
		s->st.mem_used += bytes;
		if (s->st.mem_used > s->st.mem_peak)
			s->st.mem_peak = s->st.mem_used;
	}
}

VGPU_EXPORT int vgpu_buffer_alloc(vgpu_session *s, size_t bytes, vgpu_buffer **out)
{
	struct vgpu_bk *bk = &s->gpu;
	struct vgpu_pool_block blk;
	vgpu_buffer *b;
	size_t want;
	int ret = 0;

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
	want = s->pool.on ? vgpu_pool_round(bytes) : bytes;
	if (vgpu_pool_take(s, want, &blk)) {	/* no driver call, no charge */
		b->dptr = blk.dptr;
		b->block = blk.size;
		b->charge = blk.charge;
		b->charged = b->pooled = true;
	} else {
		ret = buffer_charge(s, b, bytes, &want, &bk);
		if (!ret)
			ret = buffer_device_alloc(s, b, bk, want);
	}
	if (!ret)
		buffer_publish(s, b, bk, bytes);
	pthread_mutex_unlock(&s->lock);
	if (ret) {
		free(b);
		return ret;
	}
	*out = b;
	return 0;
}

int vgpu_buffer_free_locked(vgpu_buffer *b)
{
	vgpu_session *s = b->sess;

	if (b->pooled) {
		struct vgpu_pool_block blk = { b->dptr, b->block, b->charge };

		/* as cuMemFree: queued work that may use it finishes first */
		if (s->async_pending && s->gpu.ops->synchronize(s->gpu.ctx, -1) == 0)
			s->async_pending = false;
		vgpu_pool_put(s, &blk);
	} else {
		b->bk->ops->mem_free(b->bk->ctx, b->dptr);
		if (b->charged)
			vgpu_ledger_mem_uncharge(s->ledger, b->charge);
	}
	if (b->charged)
		s->st.mem_used -= b->size;
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
	vgpu_buffer_free_locked(b);
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

static void *bk_stream(vgpu_buffer *b, vgpu_stream *st)
{
	return st && b->bk == &b->sess->gpu ? st->bks : NULL;
}

/* Between @b and host memory: to the device (@write) or from it. */
static int do_host(vgpu_buffer *b, size_t off, void *host, size_t n, vgpu_stream *st, bool write)
{
	vgpu_session *s;
	void *bks;
	int ret;

	CHECK_BUF(b);
	s = b->sess;
	if (!host)
		return vgpu_seterr(s, -EINVAL, "NULL host pointer");
	ret = check_range(b, off, n);
	if (ret)
		return ret;
	CHECK_STREAM_OF(st, s);
	pthread_mutex_lock(&s->lock);
	vgpu_bk_clearerr();
	bks = bk_stream(b, st);
	ret = write ? b->bk->ops->memcpy_htod(b->bk->ctx, b->dptr + off, host, n, bks) :
		      b->bk->ops->memcpy_dtoh(b->bk->ctx, host, b->dptr + off, n, bks);
	s->async_pending |= bks != NULL;
	if (ret)
		vgpu_seterr(s, ret, "%s: %s: %s", b->bk->ops->name, write ? "write" : "read",
			    vgpu_bk_err(b->bk));
	else if (write)
		s->st.bytes_h2d += n;
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
	{
		ret = d->bk->ops->memcpy_dtod(d->bk->ctx, d->dptr + doff, sb->dptr + soff, n,
					      bk_stream(d, st));
		s->async_pending |= bk_stream(d, st) != NULL;
	}
	else if (vgpu_is_cpu(s, sb->bk))	/* host fallback buffer -> GPU */
		ret = d->bk->ops->memcpy_htod(d->bk->ctx, d->dptr + doff,
					      (const void *)(uintptr_t)(sb->dptr + soff), n, NULL);
	else				/* GPU -> host fallback buffer */
		ret = sb->bk->ops->memcpy_dtoh(sb->bk->ctx, (void *)(uintptr_t)(d->dptr + doff),
					       sb->dptr + soff, n, NULL);
	if (ret)
		vgpu_seterr(s, ret, "copy: %s", vgpu_bk_err(d->bk));
	else
		s->st.bytes_d2d += n;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

VGPU_EXPORT int vgpu_buffer_write(vgpu_buffer *d, size_t off, const void *src, size_t n)
{
	return do_host(d, off, (void *)src, n, NULL, true);
}

VGPU_EXPORT int vgpu_buffer_read(vgpu_buffer *b, size_t off, void *dst, size_t n)
{
	return do_host(b, off, dst, n, NULL, false);
}

VGPU_EXPORT int vgpu_buffer_copy(vgpu_buffer *d, size_t doff, vgpu_buffer *s, size_t soff, size_t n)
{
	return do_copy(d, doff, s, soff, n, NULL);
}

VGPU_EXPORT int vgpu_buffer_write_async(vgpu_buffer *d, size_t off, const void *src, size_t n,
					vgpu_stream *st)
{
	return do_host(d, off, (void *)src, n, st, true);
}

VGPU_EXPORT int vgpu_buffer_read_async(vgpu_buffer *b, size_t off, void *dst, size_t n,
				       vgpu_stream *st)
{
	return do_host(b, off, dst, n, st, false);
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
				    vgpu_bk_err(&s->gpu));
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
