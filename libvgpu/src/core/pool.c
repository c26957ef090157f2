// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: the per-session buffer pool (CuPy's memory pool, PyTorch's
 * caching allocator, in their simplest form). A freed buffer's block stays
 * allocated on the device and charged in the ledger, and is handed out again
 * to a request of its size class without a driver call or a charge:
 *
 *  - sizes round up to 512 bytes; an idle block serves a request of its size
 *    or up to 1/8 smaller (best fit: the smallest such block);
 *  - the ledger always holds what the device holds for the pool (in use +
 *    idle), never less: the guest's books show reserved bytes;
 *  - a refused charge or a device out of memory first releases every idle
 *    block and retries, then tries the request's exact size (a limit the
 *    rounded size would pass), so the pool refuses nothing an unpooled
 *    allocation would get;
 *  - vgpu_pool_trim() releases idle blocks, largest first; the session's
 *    close releases all.
 *
 * Only charged device buffers of the session's own backend are pooled (not
 * host-memory buffers of the quota fallback). Called with s->lock held.
 *
 * Sessions of one guest in a process share its books (the in-process
 * ledger's, or the kernel's): a refusal also releases the idle blocks of the
 * guest's other sessions here. Their locks are only tried (another session
 * may be waiting for ours), and a closing session leaves the list first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

#define POOL_ROUND	512

size_t vgpu_pool_round(size_t bytes)
{
	return bytes > SIZE_MAX - (POOL_ROUND - 1) ? bytes : (bytes + POOL_ROUND - 1) & ~(size_t)(POOL_ROUND - 1);
}

/* Index of the first idle block of size >= @size. */
static int lower_bound(const struct vgpu_pool *p, size_t size)
{
	int lo = 0, hi = p->nidle;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (p->idle[mid].size < size)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool vgpu_pool_take(vgpu_session *s, size_t size, struct vgpu_pool_block *out)
{
	struct vgpu_pool *p = &s->pool;
	int i;

	if (!p->on || !p->nidle)
		return false;
	i = lower_bound(p, size);
	if (i == p->nidle || p->idle[i].size - size > size / 8)
		return false;
	*out = p->idle[i];
	memmove(&p->idle[i], &p->idle[i + 1], (p->nidle - i - 1) * sizeof(p->idle[0]));
	p->nidle--;
	p->idle_bytes -= out->size;
	p->in_use += out->size;
	p->hits++;
	return true;
}

void vgpu_pool_new_block(vgpu_session *s, size_t size)
{
	struct vgpu_pool *p = &s->pool;

	p->misses++;
	p->blocks++;
	p->reserved += size;
	p->in_use += size;
	if (p->reserved > p->peak)
		p->peak = p->reserved;
}

/* Free a block for good: device memory, then its charge. */
static void release(vgpu_session *s, const struct vgpu_pool_block *blk)
{
	struct vgpu_pool *p = &s->pool;

	s->gpu.ops->mem_free(s->gpu.ctx, blk->dptr);
	vgpu_ledger_mem_uncharge(s->ledger, blk->charge);
	p->reserved -= blk->size;
	p->blocks--;
	p->trimmed += blk->size;
}

void vgpu_pool_put(vgpu_session *s, const struct vgpu_pool_block *blk)
{
	struct vgpu_pool *p = &s->pool;
	struct vgpu_pool_block *idle;
	int i;

	p->in_use -= blk->size;
	idle = vgpu_grow(p->idle, p->nidle, &p->cap, sizeof(*idle), 16);
	if (!idle) {	/* no room to keep it: give it back now */
		release(s, blk);
		p->trims++;
		return;
	}
	p->idle = idle;
	i = lower_bound(p, blk->size);
	memmove(&p->idle[i + 1], &p->idle[i], (p->nidle - i) * sizeof(p->idle[0]));
	p->idle[i] = *blk;
	p->nidle++;
	p->idle_bytes += blk->size;
}

uint64_t vgpu_pool_trim_locked(vgpu_session *s, uint64_t keep)
{
	struct vgpu_pool *p = &s->pool;
	uint64_t freed = 0;

	if (p->idle_bytes <= keep)
		return 0;
	/* device memory may be freed while queued work uses it: wait for it */
	if (s->async_pending && s->gpu.ops->synchronize(s->gpu.ctx, -1) == 0)
		s->async_pending = false;
	while (p->nidle && p->idle_bytes > keep) {
		struct vgpu_pool_block blk = p->idle[--p->nidle];

		p->idle_bytes -= blk.size;
		release(s, &blk);
		freed += blk.size;
	}
	p->trims++;
	return freed;
}

static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vgpu_list sessions = { &sessions, &sessions };

void vgpu_pool_register(vgpu_session *s)
{
	pthread_mutex_lock(&sessions_lock);
	vgpu_list_add(&sessions, &s->pool_node);
	pthread_mutex_unlock(&sessions_lock);
}

void vgpu_pool_unregister(vgpu_session *s)
{
	if (!s->pool_node.next)
		return;		/* never registered (a failed open) */
	pthread_mutex_lock(&sessions_lock);
	vgpu_list_del(&s->pool_node);
	pthread_mutex_unlock(&sessions_lock);
	s->pool_node.next = s->pool_node.prev = NULL;
}

uint64_t vgpu_pool_trim_guest(vgpu_session *s)
{
	uint64_t freed = 0;

	pthread_mutex_lock(&sessions_lock);
	for (struct vgpu_list *n = sessions.next; n != &sessions; n = n->next) {
		vgpu_session *o = vgpu_container_of(n, vgpu_session, pool_node);

		if (o == s || strcmp(o->guest, s->guest) || pthread_mutex_trylock(&o->lock))
			continue;
		freed += vgpu_pool_trim_locked(o, 0);
		pthread_mutex_unlock(&o->lock);
	}
	pthread_mutex_unlock(&sessions_lock);
	return freed;
}

void vgpu_pool_destroy(vgpu_session *s)
{
	vgpu_pool_trim_locked(s, 0);
	free(s->pool.idle);
	s->pool.idle = NULL;
	s->pool.nidle = s->pool.cap = 0;
}

VGPU_EXPORT int vgpu_pool_stats(vgpu_session *s, struct vgpu_pool_stats *st)
{
	struct vgpu_pool_stats o;

	CHECK_SESSION(s);
	if (!st || st->size < sizeof(o))
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	pthread_mutex_lock(&s->lock);
	o.enabled = s->pool.on;
	o.reserved_bytes = s->pool.reserved;
	o.in_use_bytes = s->pool.in_use;
	o.idle_bytes = s->pool.idle_bytes;
	o.peak_reserved_bytes = s->pool.peak;
	o.hits = s->pool.hits;
	o.misses = s->pool.misses;
	o.trims = s->pool.trims;
	o.trimmed_bytes = s->pool.trimmed;
	o.blocks = s->pool.blocks;
	pthread_mutex_unlock(&s->lock);
	memcpy(st, &o, sizeof(o));
	return 0;
}

VGPU_EXPORT int vgpu_pool_trim(vgpu_session *s, uint64_t keep_bytes)
{
	CHECK_SESSION(s);
	pthread_mutex_lock(&s->lock);
	vgpu_pool_trim_locked(s, keep_bytes);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
