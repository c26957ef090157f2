// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the GPU backends share (src/gpu/gpu.c), without a GPU: a made-up
 * vendor whose queries say "not ready" a given number of times. Built by
 * libvgpu/Makefile with gpu.c itself (hidden in libvgpu.so).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tap.h"
#include "gpu/gpu.h"

/* what libvgpu's core gives the backends (core/util.c), for this test */
static char errtext[512];

void vgpu_bk_seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errtext, sizeof(errtext), fmt, ap);
	va_end(ap);
}

uint64_t vgpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

enum { FAKE_OK = 0, FAKE_NOT_READY = 600, FAKE_OOM = 2, FAKE_BAD = 1, FAKE_ODD = 999 };

static const struct vgpu_gpu_errno fake_errnos[] = {
	{ FAKE_OOM, -ENOMEM }, { FAKE_BAD, -EINVAL }, { 0, 0 },
};

static int fake_fail(int status, const char *what)
{
	vgpu_bk_seterr("fake: %s: status %d", what, status);
	return vgpu_gpu_errno(fake_errnos, status);
}

static const struct vgpu_gpu_vendor fake = {
	.name = "fake", .ok = FAKE_OK, .not_ready = FAKE_NOT_READY, .fail = fake_fail,
};

struct work {
	int busy;		/* queries still answering "not ready" */
	int status;		/* then this */
	int queries, blocks;
};

static int query(void *obj)
{
	struct work *w = obj;

	w->queries++;
	return w->busy-- > 0 ? FAKE_NOT_READY : w->status;
}

static int block(void *obj)
{
	struct work *w = obj;

	w->blocks++;
	return w->status;
}

static int log_size(void *prog, size_t *n)
{
	*n = prog ? strlen(prog) : 0;
	return 0;
}

static int log_get(void *prog, char *log)
{
	memcpy(log, prog, strlen(prog));
	return 0;
}

static int log_fails(void *prog, char *log)
{
	(void)prog;
	(void)log;
	return 7;
}

int main(void)
{
	struct work w;
	uint64_t t0;
	char *log;
	int ret;

	tap_subtest("status to errno");
	tap_ok(vgpu_gpu_errno(fake_errnos, FAKE_OOM) == -ENOMEM, "a listed status");
	tap_ok(vgpu_gpu_errno(fake_errnos, FAKE_ODD) == -EIO, "an unlisted one is EIO");
	tap_end();

	tap_subtest("waiting");
	w = (struct work){ .busy = 5, .status = FAKE_OK };
	ret = vgpu_gpu_wait(&fake, query, block, &w, 1000000000, "stream");
	tap_ok(ret == 0 && w.queries == 6 && !w.blocks, "polls until done (%d queries)", w.queries);
	w = (struct work){ .busy = 0, .status = FAKE_OK };
	ret = vgpu_gpu_wait(&fake, query, block, &w, -1, "stream");
	tap_ok(ret == 0 && w.blocks == 1 && !w.queries, "no timeout: the blocking wait");
	w = (struct work){ .busy = 3, .status = FAKE_OK };
	ret = vgpu_gpu_wait(&fake, query, NULL, &w, -1, "event");
	tap_ok(ret == 0 && w.queries == 4, "no timeout, no blocking wait: polls");
	w = (struct work){ .busy = 1 << 30, .status = FAKE_OK };
	t0 = vgpu_now_ns();
	ret = vgpu_gpu_wait(&fake, query, block, &w, 20000000, "kernel");
	t0 = vgpu_now_ns() - t0;
	tap_ok(ret == -ETIME && t0 >= 20000000 && t0 < 2000000000 &&
	       strstr(errtext, "fake: kernel: timed out"),
	       "the deadline: ETIME after %.1f ms (%s)", t0 / 1e6, errtext);
	w = (struct work){ .busy = 2, .status = FAKE_OOM };
	ret = vgpu_gpu_wait(&fake, query, block, &w, 1000000000, "copy");
	tap_ok(ret == -ENOMEM && strstr(errtext, "fake: copy: status 2"),
	       "a failed status: its errno and the vendor's text (%s)", errtext);
	w = (struct work){ .status = FAKE_BAD };
	ret = vgpu_gpu_wait(&fake, query, block, &w, -1, "sync");
	tap_ok(ret == -EINVAL && w.blocks == 1, "a failed blocking wait");
	tap_end();

	tap_subtest("compiler log");
	log = vgpu_gpu_log("line 1: error", log_size, log_get);
	tap_ok(log && !strcmp(log, "line 1: error"), "the log, NUL-terminated");
	free(log);
	tap_ok(vgpu_gpu_log(NULL, log_size, log_get) == NULL, "an empty log is NULL");
	tap_ok(vgpu_gpu_log("x", log_size, log_fails) == NULL, "a failed read is NULL");
	tap_end();

	tap_subtest("loading");
	{
		const char *missing = NULL;
		static const char *const names[] = { "libvgpu-no-such.so.1", "libc.so.6", NULL };
		char path[64] = "";
		void *h = vgpu_gpu_open_first(names, path, sizeof(path));

		tap_ok(h && !strcmp(path, "libc.so.6"), "the first library that loads (%s)", path);
		tap_ok(h && vgpu_gpu_sym(h, "malloc", &missing) && !missing, "a symbol");
		tap_ok(h && !vgpu_gpu_sym(h, "vgpu_no_such", &missing) &&
		       !vgpu_gpu_sym(h, "vgpu_no_such_either", &missing) &&
		       missing && !strcmp(missing, "vgpu_no_such"), "the first missing name is kept");
	}
	tap_end();
	return tap_done();
}
