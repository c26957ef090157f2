// SPDX-License-Identifier: LGPL-2.1-or-later
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "cache/cache.h"

static __thread char bk_err[4096];

void vgpu_bk_seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(bk_err, sizeof(bk_err), fmt, ap);
	va_end(ap);
}

VGPU_HOT void vgpu_bk_clearerr(void)
{
	bk_err[0] = 0;
}

const char *vgpu_bk_errtext(void)
{
	return bk_err;
}

uint64_t vgpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep @ns, through signals. */
void vgpu_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void vgpu_list_init(struct vgpu_list *l)
{
	l->prev = l->next = l;
}

void vgpu_list_add(struct vgpu_list *head, struct vgpu_list *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

void vgpu_list_del(struct vgpu_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

int vgpu_seterr(vgpu_session *s, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!s)
		return err;
	va_start(ap, fmt);
	n = vsnprintf(s->err, s->errcap, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= s->errcap && s->errcap < (1u << 20)) {
		size_t cap = (size_t)n + 1 > (1u << 20) ? (1u << 20) : (size_t)n + 1;
		char *p = realloc(s->err, cap);

		if (p) {
			s->err = p;
			s->errcap = cap;
			va_start(ap, fmt);
			vsnprintf(s->err, s->errcap, fmt, ap);
			va_end(ap);
		}
	}
	return err;
}

/* Room for @extra more bytes and the NUL; false (and @oom) if none. */
static bool sb_reserve(struct vgpu_sbuf *s, size_t extra)
{
	size_t cap;
	char *q;

	if (s->oom)
		return false;
	if (s->n + extra + 1 <= s->cap)
		return true;
	cap = (s->n + extra + 1) * 2;
	q = realloc(s->p, cap);
	if (!q) {
		s->oom = true;
		return false;
	}
	s->p = q;
	s->cap = cap;
	return true;
}

void *vgpu_grow(void *p, int n, int *cap, size_t size, int first)
{
	int c = *cap ? 2 * *cap : first;
	void *q;

	if (n < *cap)
		return p;
	q = realloc(p, (size_t)c * size);
	if (q)
		*cap = c;
	return q;
}

void vgpu_sb_add(struct vgpu_sbuf *s, const char *p, size_t n)
{
	if (!sb_reserve(s, n))
		return;
	memcpy(s->p + s->n, p, n);
	s->n += n;
	s->p[s->n] = 0;
}

void vgpu_sb_str(struct vgpu_sbuf *s, const char *p)
{
	vgpu_sb_add(s, p, strlen(p));
}

void vgpu_sb_printf(struct vgpu_sbuf *s, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n > 0 && sb_reserve(s, (size_t)n)) {
		vsnprintf(s->p + s->n, (size_t)n + 1, fmt, ap2);
		s->n += (size_t)n;
	}
	va_end(ap2);
	va_end(ap);
}
