// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: streams and session-wide synchronisation.
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
		vgpu_seterr(s, ret, "stream: %s", vgpu_bk_err(&s->gpu));
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
		vgpu_seterr(s, ret, "stream sync: %s", ret == -ETIME ? "timed out" : vgpu_bk_err(&s->gpu));
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
	ret = vgpu_compute_sync(s, ms_to_ns(timeout_ms));
	if (!ret)
		s->async_pending = false;
	if (ret)
		vgpu_seterr(s, ret, "synchronize: %s", ret == -ETIME ? "timed out" : vgpu_bk_err(&s->gpu));
	else
		vgpu_compute_idle(s);
	pthread_mutex_unlock(&s->lock);
	return ret;
}
