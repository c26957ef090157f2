// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TEST DOUBLE of NVML (built as libnvidia-ml.so.1 in the build's test folder,
 * never installed): what libvgpu-preload asks of NVML, answered from the
 * fake driver's count (fakecuda.c). The process list holds this process with
 * the memory the fake driver has in use, as the real NVML lists a process
 * with a context; FAKENVML_NO_PROCS=1 empties it (NVML inside a PID
 * namespace), so that the preload falls back to device-wide numbers;
 * FAKENVML_HIDDEN=BYTES lists the process with that much less than the
 * device-wide count (the real NVML leaves a context's driver memory out);
 * FAKENVML_SHARED=1 lists a second process holding FAKECUDA_OTHER bytes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

void fakecuda_usage(uint64_t *used, uint64_t *total, uint64_t *other);

struct mem { unsigned long long total, free, used; };
struct mem_v2 { unsigned int version; unsigned long long total, reserved, free, used; };
struct proc { unsigned int pid; unsigned long long used; unsigned int gi, ci; };

static int device;			/* the one device; its address is the handle */

EXPORT int nvmlInit_v2(void) { return 0; }
EXPORT int nvmlShutdown(void) { return 0; }
EXPORT int nvmlDeviceGetCount_v2(unsigned int *n) { *n = 1; return 0; }
EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h)
{
	if (i)
		return 2;	/* NVML_ERROR_INVALID_ARGUMENT */
	*h = &device;
	return 0;
}

EXPORT int nvmlDeviceGetHandleByUUID(const char *uuid, void **h)
{
	/* the fake driver's UUID: bytes a0..af */
	if (strcmp(uuid, "GPU-a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf"))
		return 6;	/* NVML_ERROR_NOT_FOUND */
	*h = &device;
	return 0;
}

EXPORT int nvmlDeviceGetMemoryInfo(void *h, struct mem *m)
{
	uint64_t u, t, o;

	if (h != &device)
		return 2;
	fakecuda_usage(&u, &t, &o);
	m->total = t;
	m->used = u + o;
	m->free = t > u + o ? t - u - o : 0;
	return 0;
}

EXPORT int nvmlDeviceGetMemoryInfo_v2(void *h, struct mem_v2 *m)
{
	struct mem v;
	int r = nvmlDeviceGetMemoryInfo(h, &v);

	if (r)
		return r;
	m->total = v.total;
	m->reserved = 0;
	m->free = v.free;
	m->used = v.used;
	return 0;
}

EXPORT int nvmlDeviceGetComputeRunningProcesses_v3(void *h, unsigned int *n, struct proc *p)
{
	uint64_t u, t, o;
	const char *e = getenv("FAKENVML_NO_PROCS");

	if (h != &device)
		return 2;
	fakecuda_usage(&u, &t, &o);
	if ((e && *e == '1') || !u) {
		*n = 0;
		return 0;
	}
	if (*n < 1) {
		*n = 1;
		return 7;	/* NVML_ERROR_INSUFFICIENT_SIZE */
	}
	e = getenv("FAKENVML_SHARED");
	if (e && *e == '1') {
		if (*n < 2) {
			*n = 2;
			return 7;
		}
		memset(&p[1], 0, sizeof(p[1]));
		p[1].pid = 1;
		p[1].used = o;
		*n = 2;
	} else {
		*n = 1;
	}
	memset(p, 0, sizeof(*p));
	p->pid = (unsigned int)getpid();
	e = getenv("FAKENVML_HIDDEN");
	p->used = e && strtoull(e, NULL, 0) < u ? u - strtoull(e, NULL, 0) : u;
	return 0;
}
