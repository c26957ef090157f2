// SPDX-License-Identifier: LGPL-2.1-or-later
/* What the GPU backends share (gpu.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gpu/gpu.h"

int vgpu_gpu_errno(const struct vgpu_gpu_errno *map, int status)
{
	for (; map->err; map++)
		if (map->status == status)
			return map->err;
	return -EIO;
}

void *vgpu_gpu_sym(void *lib, const char *name, const char **missing)
{
	void *p = dlsym(lib, name);

	if (!p && !*missing)
		*missing = name;
	return p;
}

void *vgpu_gpu_open_first(const char *const *names, char *path, size_t len)
{
	for (int i = 0; names[i]; i++) {
		void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);

		if (h) {
			snprintf(path, len, "%s", names[i]);
			return h;
		}
	}
	return NULL;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	nanosleep(&ts, NULL);
}

int vgpu_gpu_wait(const struct vgpu_gpu_vendor *v, int (*query)(void *obj),
		  int (*block)(void *obj), void *obj, int64_t timeout_ns, const char *what)
{
	uint64_t start, now, deadline;
	int64_t nap = 2000;
	int r;

	if (timeout_ns < 0 && block) {
		r = block(obj);
		return r == v->ok ? 0 : v->fail(r, what);
	}
	start = vgpu_now_ns();
	deadline = timeout_ns < 0 ? UINT64_MAX : start + (uint64_t)timeout_ns;
	for (;;) {
		r = query(obj);
		if (r == v->ok)
			return 0;
		if (r != v->not_ready)
			return v->fail(r, what);
		now = vgpu_now_ns();
		if (now >= deadline) {
			vgpu_bk_seterr("%s: %s: timed out after %.3f ms (work still running)", v->name,
				       what, (double)(now - start) / 1e6);
			return -ETIME;
		}
		if (now - start < 20000)
			continue;
		if (deadline - now < (uint64_t)nap)
			nap = (int64_t)(deadline - now);
		sleep_ns(nap);
		if (nap < 1000000)
			nap *= 2;
	}
}

char *vgpu_gpu_log(void *prog, int (*size)(void *prog, size_t *n),
		   int (*get)(void *prog, char *log))
{
	size_t n = 0;
	char *log;

	if (size(prog, &n) || n == 0)
		return NULL;
	log = malloc(n + 1);
	if (!log)
		return NULL;
	if (get(prog, log)) {
		free(log);
		return NULL;
	}
	log[n] = 0;
	return log;
}
