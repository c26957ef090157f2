// SPDX-License-Identifier: LGPL-2.1-or-later
/* What the GPU backends share (gpu.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu/gpu.h"

int vgpu_gpu_errno(const struct vgpu_gpu_errno *map, int status)
{
	for (; map->err; map++)
		if (map->status == status)
			return map->err;
	return -EIO;
}

static bool listed(const int *list, int status)
{
	for (; list && *list; list++)
		if (*list == status)
			return true;
	return false;
}

int vgpu_gpu_fail(const struct vgpu_gpu_vendor *v, int status, const char *what)
{
	const char *ver = strstr(what, "_v");
	int n = (int)strlen(what);

	/* "cuMemAlloc_v2" is cuMemAlloc to the reader */
	if (ver && ver[2] >= '0' && ver[2] <= '9' && ver[2 + strspn(ver + 2, "0123456789")] == 0)
		n = (int)(ver - what);
	vgpu_bk_seterr("%s: %.*s: %s (%s)%s", v->name, n, what, v->errname(status), v->errstr(status),
		       listed(v->faults, status) ? v->fault_text : "");
	return vgpu_gpu_errno(v->errnos, status);
}

void *vgpu_gpu_sym(void *lib, const char *name, const char **missing)
{
	void *p = dlsym(lib, name);

	if (!p && !*missing)
		*missing = name;
	return p;
}

/* struct vgpu_gpu_calls and struct vgpu_gpu_call_names, entry by entry */
#define ENTRY(f) { offsetof(struct vgpu_gpu_calls, f), offsetof(struct vgpu_gpu_call_names, f) }
static const struct {
	size_t call, name;
} entries[] = {
	ENTRY(mem_get_info), ENTRY(mem_alloc), ENTRY(mem_free), ENTRY(host_register),
	ENTRY(host_unregister), ENTRY(htod), ENTRY(dtoh), ENTRY(dtod), ENTRY(htod_async),
	ENTRY(dtoh_async), ENTRY(dtod_async), ENTRY(stream_create), ENTRY(stream_destroy),
	ENTRY(stream_sync), ENTRY(stream_query), ENTRY(event_create), ENTRY(event_destroy),
	ENTRY(event_record), ENTRY(event_query), ENTRY(event_sync), ENTRY(event_elapsed),
	ENTRY(ctx_sync),
	ENTRY(module_unload), ENTRY(module_get_function), ENTRY(module_get_global), ENTRY(launch),
};
#undef ENTRY
_Static_assert(sizeof(entries) / sizeof(entries[0]) ==
	       sizeof(struct vgpu_gpu_call_names) / sizeof(const char *), "every call has a name");

void vgpu_gpu_load_calls(void *lib, const struct vgpu_gpu_call_names *names,
			 struct vgpu_gpu_calls *call, const char **missing)
{
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		const char *sym = *(const char *const *)((const char *)names + entries[i].name);
		void *p = sym ? vgpu_gpu_sym(lib, sym, missing) : NULL;

		/* POSIX: a function's address from dlsym() converts to its pointer */
		memcpy((char *)call + entries[i].call, &p, sizeof(p));
	}
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

int vgpu_gpu_wait(const struct vgpu_gpu_vendor *v, int (*query)(void *obj),
		  int (*block)(void *obj), void *obj, int64_t timeout_ns, const char *what)
{
	uint64_t start, now, deadline;
	int64_t nap = 2000;
	int r;

	if (timeout_ns < 0 && block) {
		r = block(obj);
		return r == v->ok ? 0 : vgpu_gpu_fail(v, r, what);
	}
	start = vgpu_now_ns();
	deadline = timeout_ns < 0 ? UINT64_MAX : start + (uint64_t)timeout_ns;
	for (;;) {
		r = query(obj);
		if (r == v->ok)
			return 0;
		if (r != v->not_ready)
			return vgpu_gpu_fail(v, r, what);
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
		vgpu_sleep_ns((uint64_t)nap);
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
