// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TEST DOUBLE of the CUDA driver (built as libcuda.so.1 in the build's test
 * folder, never installed): the entry points libvgpu-preload hooks, over
 * host memory and a made-up device, so that the preload's books can be
 * checked where there is no GPU (the host, the VM). It keeps its own count
 * of device memory in use - allocations, 3 MiB per context, memory held by
 * pools until trimmed - which its NVML double (fakenvml.c) reports as the
 * process's usage, as the real NVML does.
 *
 * Device pointers are addresses of a made-up range (never dereferenced);
 * pinned host memory is real anonymous memory (the kernel ledger pins it).
 * cuGetProcAddress answers from its own hand-written table (independent of
 * the preload's generated one): the v1 ABIs below version 3020, and, at
 * version 99000 and above, a "future" cuMemAlloc that no header knows.
 *
 * Launches run nothing: each keeps the made-up device busy for
 * FAKECUDA_KERNEL_US (default 1000) after the work queued before it (a
 * launch waits while 20 ms of work is queued), and cuCtxSynchronize sleeps
 * until the device is idle. The stream 0xca97 is
 * "capturing" (cuStreamIsCapturing). cuStreamBeginCapture_v2 and
 * cuStreamEndCapture keep a capture underway as the driver does: a
 * cuCtxSynchronize meanwhile fails (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED)
 * and invalidates it (its end: CUDA_ERROR_STREAM_CAPTURE_INVALIDATED).
 *
 * libvgpu's own CUDA backend loads too (VGPU_CUDA_LIBRARY=this library): the
 * device's attributes, modules (any image loads; every function name is
 * found), streams and events (an event completes with the made-up queue;
 * its time is the host's clock then) are here; copies are not (they return
 * CUDA_ERROR_NOT_SUPPORTED: no memory behind the device pointers).
 * bench/gpu/launch_path times libvgpu's launch path against it.
 *
 * Environment: FAKECUDA_TOTAL (device bytes, default 16 GiB), FAKECUDA_OTHER
 * (bytes other processes use on the device), FAKECUDA_KERNEL_US.
 */
#define _GNU_SOURCE
#define __CUDA_API_VERSION_INTERNAL 1
#include <cuda.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define EXPORT __attribute__((visibility("default")))
#define CTX_MEM (3ull << 20)
#define POOL_GRAIN (2ull << 20)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t used;			/* device memory in use */
static uint64_t next_va = 0x700000000000ull, next_va32 = 0x10000000ull;
static __thread CUcontext current;

struct obj {
	struct obj *next;
	uint64_t key, bytes;
	int kind;			/* 1 dev, 2 async, 3 array, 4 vmm, 5 host, 6 reg, 7 ctx, 8 pool, 9 map */
	void *pool;			/* async: pool; pool: location host */
	int host;
	uint64_t reserved, live;	/* pool */
	int refs, maps;			/* vmm */
	CUcontext ctx;			/* current at creation */
};

static struct obj *objs;

static uint64_t total_bytes(void)
{
	const char *e = getenv("FAKECUDA_TOTAL");

	return e ? strtoull(e, NULL, 0) : 16ull << 30;
}

static uint64_t other_bytes(void)
{
	const char *e = getenv("FAKECUDA_OTHER");

	return e ? strtoull(e, NULL, 0) : 0;
}

static struct obj *add(int kind, uint64_t key, uint64_t bytes)
{
	struct obj *o = calloc(1, sizeof(*o));

	o->kind = kind;
	o->key = key;
	o->bytes = bytes;
	o->ctx = current;
	o->next = objs;
	objs = o;
	return o;
}

static struct obj *find(int kind, uint64_t key, int unlink)
{
	for (struct obj **p = &objs; *p; p = &(*p)->next)
		if ((*p)->kind == kind && (*p)->key == key) {
			struct obj *o = *p;

			if (unlink)
				*p = o->next;
			return o;
		}
	return NULL;
}

static CUresult reserve(uint64_t bytes)
{
	if (used + bytes + other_bytes() > total_bytes())
		return CUDA_ERROR_OUT_OF_MEMORY;
	used += bytes;
	return CUDA_SUCCESS;
}

/* the double's own view, for fakenvml.c */
EXPORT void fakecuda_usage(uint64_t *u, uint64_t *total, uint64_t *other)
{
	pthread_mutex_lock(&lock);
	*u = used;
	pthread_mutex_unlock(&lock);
	*total = total_bytes();
	*other = other_bytes();
}

/* ---- device, contexts ---- */
EXPORT CUresult cuInit(unsigned int f) { (void)f; return CUDA_SUCCESS; }
EXPORT CUresult cuDriverGetVersion(int *v) { *v = 13000; return CUDA_SUCCESS; }
EXPORT CUresult cuDeviceGetCount(int *n) { *n = 1; return CUDA_SUCCESS; }
EXPORT CUresult cuDeviceGet(CUdevice *d, int ord)
{
	if (ord != 0)
		return CUDA_ERROR_INVALID_DEVICE;
	*d = 0;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetUuid_v2(CUuuid *u, CUdevice d)
{
	(void)d;
	for (int i = 0; i < 16; i++)
		u->bytes[i] = (char)(0xa0 + i);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxGetCurrent(CUcontext *c) { *c = current; return CUDA_SUCCESS; }
EXPORT CUresult cuCtxSetCurrent(CUcontext c) { current = c; return CUDA_SUCCESS; }
EXPORT CUresult cuCtxGetDevice(CUdevice *d)
{
	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	*d = 0;
	return CUDA_SUCCESS;
}

static uint64_t ctx_ids = 0x1000;

static CUresult ctx_new(CUcontext *pctx, CUdevice dev)
{
	CUresult r;

	if (dev != 0)
		return CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&lock);
	r = reserve(CTX_MEM);
	if (!r) {
		ctx_ids += 0x10;
		add(7, ctx_ids, CTX_MEM);
		*pctx = (CUcontext)(uintptr_t)ctx_ids;
		current = *pctx;
	}
	pthread_mutex_unlock(&lock);
	return r;
}

EXPORT CUresult cuCtxCreate(CUcontext *p, unsigned int f, CUdevice d) { (void)f; return ctx_new(p, d); }
EXPORT CUresult cuCtxCreate_v2(CUcontext *p, unsigned int f, CUdevice d) { (void)f; return ctx_new(p, d); }
EXPORT CUresult cuCtxCreate_v3(CUcontext *p, CUexecAffinityParam *a, int n, unsigned int f, CUdevice d)
{
	(void)a; (void)n; (void)f;
	return ctx_new(p, d);
}
EXPORT CUresult cuCtxCreate_v4(CUcontext *p, CUctxCreateParams *cp, unsigned int f, CUdevice d)
{
	(void)cp; (void)f;
	return ctx_new(p, d);
}

/* frees what was allocated in the context, as the driver does */
static void ctx_free_objects(CUcontext c)
{
	for (struct obj **p = &objs; *p;) {
		struct obj *o = *p;

		if ((o->kind == 1 || o->kind == 2 || o->kind == 3 || o->kind == 5) && o->ctx == c) {
			if (o->kind == 5)
				munmap((void *)(uintptr_t)o->key, o->bytes);
			if (o->kind == 2)
				((struct obj *)o->pool)->live -= o->bytes;
			else if (o->kind != 5)
				used -= o->bytes;
			*p = o->next;
			free(o);
		} else {
			p = &o->next;
		}
	}
}

static CUresult ctx_del(CUcontext c)
{
	struct obj *o;

	pthread_mutex_lock(&lock);
	o = find(7, (uint64_t)(uintptr_t)c, 1);
	if (o) {
		used -= o->bytes;
		free(o);
		ctx_free_objects(c);
		if (current == c)
			current = NULL;
	}
	pthread_mutex_unlock(&lock);
	return o ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}

EXPORT CUresult cuCtxDestroy(CUcontext c) { return ctx_del(c); }
EXPORT CUresult cuCtxDestroy_v2(CUcontext c) { return ctx_del(c); }

static int primary_refs;
static CUcontext primary;

EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *p, CUdevice d)
{
	CUresult r = CUDA_SUCCESS;

	if (d != 0)
		return CUDA_ERROR_INVALID_DEVICE;
	if (!primary_refs) {
		CUcontext keep = current;

		r = ctx_new(&primary, d);
		current = keep;
	}
	if (!r) {
		primary_refs++;
		*p = primary;
	}
	return r;
}

static CUresult primary_release(CUdevice d)
{
	if (d != 0 || !primary_refs)
		return CUDA_ERROR_INVALID_CONTEXT;
	if (--primary_refs == 0) {
		ctx_del(primary);
		primary = NULL;
	}
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDevicePrimaryCtxRelease(CUdevice d) { return primary_release(d); }
EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) { return primary_release(d); }

static CUresult primary_reset(CUdevice d)
{
	if (d != 0)
		return CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&lock);
	ctx_free_objects(primary);
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDevicePrimaryCtxReset(CUdevice d) { return primary_reset(d); }
EXPORT CUresult cuDevicePrimaryCtxReset_v2(CUdevice d) { return primary_reset(d); }

/* ---- device memory ---- */
static CUresult dev_alloc(uint64_t *dptr, uint64_t bytes, int kind, int va32)
{
	CUresult r;

	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	if (!bytes)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&lock);
	r = reserve(bytes);
	if (!r) {
		uint64_t *va = va32 ? &next_va32 : &next_va;

		*dptr = *va;
		*va += (bytes + 0xfff) & ~0xfffull;
		add(kind, *dptr, bytes);
	}
	pthread_mutex_unlock(&lock);
	return r;
}

static CUresult dev_free(uint64_t dptr)
{
	struct obj *o;

	pthread_mutex_lock(&lock);
	o = find(1, dptr, 1);
	if (!o)
		o = find(2, dptr, 1);
	if (o) {
		if (o->kind == 2) {
			struct obj *pool = o->pool;

			pool->live -= o->bytes;
		} else {
			used -= o->bytes;
		}
		free(o);
	}
	pthread_mutex_unlock(&lock);
	return o ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuMemAlloc(CUdeviceptr_v1 *p, unsigned int b)
{
	uint64_t v;
	CUresult r = dev_alloc(&v, b, 1, 1);

	if (!r)
		*p = (CUdeviceptr_v1)v;
	return r;
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t b) { return dev_alloc((uint64_t *)p, b, 1, 0); }
EXPORT CUresult cuMemAllocManaged(CUdeviceptr *p, size_t b, unsigned int f)
{
	(void)f;
	return dev_alloc((uint64_t *)p, b, 1, 0);
}
EXPORT CUresult cuMemFree(CUdeviceptr_v1 p) { return dev_free(p); }
EXPORT CUresult cuMemFree_v2(CUdeviceptr p) { return dev_free(p); }

EXPORT CUresult cuMemAllocPitch_v2(CUdeviceptr *p, size_t *pitch, size_t w, size_t h, unsigned int e)
{
	(void)e;
	*pitch = (w + 511) & ~(size_t)511;
	return dev_alloc((uint64_t *)p, *pitch * h, 1, 0);
}

EXPORT CUresult cuMemAllocPitch(CUdeviceptr_v1 *p, unsigned int *pitch, unsigned int w, unsigned int h,
				unsigned int e)
{
	uint64_t v;
	CUresult r;

	(void)e;
	*pitch = (w + 511) & ~511u;
	r = dev_alloc(&v, (uint64_t)*pitch * h, 1, 1);
	if (!r)
		*p = (CUdeviceptr_v1)v;
	return r;
}

EXPORT CUresult cuMemGetInfo_v2(size_t *f, size_t *t)
{
	uint64_t u, tot = total_bytes(), oth = other_bytes();

	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	pthread_mutex_lock(&lock);
	u = used;
	pthread_mutex_unlock(&lock);
	*t = tot;
	*f = tot > u + oth ? tot - u - oth : 0;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemGetInfo(unsigned int *f, unsigned int *t)
{
	size_t a, b;
	CUresult r = cuMemGetInfo_v2(&a, &b);

	*f = a > 0xffffffffu ? 0xffffffffu : (unsigned int)a;
	*t = b > 0xffffffffu ? 0xffffffffu : (unsigned int)b;
	return r;
}

/* ---- pools: reserved memory grows in 2 MiB steps and stays until trimmed ---- */
static struct obj *default_pool;

static struct obj *pool_of(CUmemoryPool p)
{
	if (!p) {
		if (!default_pool)
			default_pool = add(8, 1, 0);
		return default_pool;
	}
	return find(8, (uint64_t)(uintptr_t)p, 0);
}

EXPORT CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *p, CUdevice d)
{
	(void)d;
	pthread_mutex_lock(&lock);
	*p = (CUmemoryPool)(uintptr_t)pool_of(NULL)->key;
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

static uint64_t pool_ids = 0x100;

EXPORT CUresult cuMemPoolCreate(CUmemoryPool *p, const CUmemPoolProps *props)
{
	struct obj *o;

	pthread_mutex_lock(&lock);
	pool_ids += 0x10;
	o = add(8, pool_ids, 0);
	o->host = props->location.type != CU_MEM_LOCATION_TYPE_DEVICE;
	*p = (CUmemoryPool)(uintptr_t)pool_ids;
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemPoolDestroy(CUmemoryPool p)
{
	struct obj *o;

	pthread_mutex_lock(&lock);
	o = find(8, (uint64_t)(uintptr_t)p, 1);
	if (o && !o->host)
		used -= o->reserved;
	pthread_mutex_unlock(&lock);
	free(o);
	return o ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

static CUresult pool_alloc(CUdeviceptr *dptr, size_t bytes, CUmemoryPool p)
{
	struct obj *pool, *o;

	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	if (p == (CUmemoryPool)1)
		p = NULL;
	pthread_mutex_lock(&lock);
	pool = pool_of(p);
	if (!pool) {
		pthread_mutex_unlock(&lock);
		return CUDA_ERROR_INVALID_VALUE;
	}
	if (pool->live + bytes > pool->reserved) {
		uint64_t grow = (pool->live + bytes - pool->reserved + POOL_GRAIN - 1) & ~(POOL_GRAIN - 1);

		if (!pool->host && reserve(grow)) {
			pthread_mutex_unlock(&lock);
			return CUDA_ERROR_OUT_OF_MEMORY;
		}
		pool->reserved += grow;
	}
	pool->live += bytes;
	*dptr = next_va;
	next_va += (bytes + 0xfff) & ~0xfffull;
	o = add(2, *dptr, bytes);
	o->pool = pool;
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAllocAsync(CUdeviceptr *d, size_t b, CUstream s) { (void)s; return pool_alloc(d, b, NULL); }
EXPORT CUresult cuMemAllocAsync_ptsz(CUdeviceptr *d, size_t b, CUstream s) { (void)s; return pool_alloc(d, b, NULL); }
EXPORT CUresult cuMemAllocFromPoolAsync(CUdeviceptr *d, size_t b, CUmemoryPool p, CUstream s)
{
	(void)s;
	return pool_alloc(d, b, p);
}
EXPORT CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *d, size_t b, CUmemoryPool p, CUstream s)
{
	(void)s;
	return pool_alloc(d, b, p);
}
EXPORT CUresult cuMemFreeAsync(CUdeviceptr d, CUstream s) { (void)s; return dev_free(d); }
EXPORT CUresult cuMemFreeAsync_ptsz(CUdeviceptr d, CUstream s) { (void)s; return dev_free(d); }

EXPORT CUresult cuMemPoolTrimTo(CUmemoryPool p, size_t keep)
{
	struct obj *pool;
	uint64_t want;

	pthread_mutex_lock(&lock);
	pool = pool_of(p == (CUmemoryPool)1 ? NULL : p);
	if (pool) {
		want = pool->live > keep ? pool->live : keep;
		want = (want + POOL_GRAIN - 1) & ~(POOL_GRAIN - 1);
		if (want < pool->reserved) {
			if (!pool->host)
				used -= pool->reserved - want;
			pool->reserved = want;
		}
	}
	pthread_mutex_unlock(&lock);
	return pool ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* ---- virtual memory management ---- */
static uint64_t vmm_ids = 0x5000;

EXPORT CUresult cuMemCreate(CUmemGenericAllocationHandle *h, size_t size, const CUmemAllocationProp *prop,
			    unsigned long long flags)
{
	struct obj *o;
	int host = prop->location.type != CU_MEM_LOCATION_TYPE_DEVICE;

	(void)flags;
	pthread_mutex_lock(&lock);
	if (!host && reserve(size)) {
		pthread_mutex_unlock(&lock);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	vmm_ids++;
	o = add(4, vmm_ids, size);
	o->host = host;
	o->refs = 1;
	*h = vmm_ids;
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

static void vmm_put(struct obj *o)
{
	if (o->refs > 0 || o->maps > 0)
		return;
	find(4, o->key, 1);
	if (!o->host)
		used -= o->bytes;
	free(o);
}

EXPORT CUresult cuMemRelease(CUmemGenericAllocationHandle h)
{
	struct obj *o;

	pthread_mutex_lock(&lock);
	o = find(4, h, 0);
	if (o) {
		o->refs--;
		vmm_put(o);
	}
	pthread_mutex_unlock(&lock);
	return o ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuMemAddressReserve(CUdeviceptr *p, size_t size, size_t align, CUdeviceptr addr,
				    unsigned long long flags)
{
	(void)align; (void)addr; (void)flags;
	pthread_mutex_lock(&lock);
	*p = next_va;
	next_va += (size + 0xfff) & ~0xfffull;
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAddressFree(CUdeviceptr p, size_t size) { (void)p; (void)size; return CUDA_SUCCESS; }

EXPORT CUresult cuMemMap(CUdeviceptr p, size_t size, size_t off, CUmemGenericAllocationHandle h,
			 unsigned long long flags)
{
	struct obj *o, *m;

	(void)off; (void)flags;
	pthread_mutex_lock(&lock);
	o = find(4, h, 0);
	if (o) {
		o->maps++;
		m = add(9, p, size);
		m->pool = o;
	}
	pthread_mutex_unlock(&lock);
	return o ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuMemUnmap(CUdeviceptr p, size_t size)
{
	struct obj *m;

	(void)size;
	pthread_mutex_lock(&lock);
	m = find(9, p, 1);
	if (m) {
		struct obj *o = m->pool;

		o->maps--;
		vmm_put(o);
		free(m);
	}
	pthread_mutex_unlock(&lock);
	return m ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuMemRetainAllocationHandle(CUmemGenericAllocationHandle *h, void *addr)
{
	struct obj *m;

	pthread_mutex_lock(&lock);
	m = find(9, (uint64_t)(uintptr_t)addr, 0);
	if (m) {
		struct obj *o = m->pool;

		o->refs++;
		*h = o->key;
	}
	pthread_mutex_unlock(&lock);
	return m ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* ---- arrays ---- */
static uint64_t array_ids = 0x9000;

static CUresult array_new(void **h, uint64_t bytes)
{
	CUresult r;

	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	pthread_mutex_lock(&lock);
	r = reserve(bytes);
	if (!r) {
		array_ids += 0x10;
		add(3, array_ids, bytes);
		*h = (void *)(uintptr_t)array_ids;
	}
	pthread_mutex_unlock(&lock);
	return r;
}

static CUresult array_del(void *h)
{
	struct obj *o;

	pthread_mutex_lock(&lock);
	o = find(3, (uint64_t)(uintptr_t)h, 1);
	if (o)
		used -= o->bytes;
	pthread_mutex_unlock(&lock);
	free(o);
	return o ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

static uint64_t fmt_bytes(unsigned int f)
{
	return f == CU_AD_FORMAT_UNSIGNED_INT8 || f == CU_AD_FORMAT_SIGNED_INT8 ? 1 :
	       f == CU_AD_FORMAT_UNSIGNED_INT16 || f == CU_AD_FORMAT_SIGNED_INT16 ||
	       f == CU_AD_FORMAT_HALF ? 2 : 4;
}

EXPORT CUresult cuArrayCreate_v2(CUarray *a, const CUDA_ARRAY_DESCRIPTOR *d)
{
	return array_new((void **)a, d->Width * (d->Height ? d->Height : 1) * fmt_bytes(d->Format) *
				     d->NumChannels);
}

EXPORT CUresult cuArrayCreate(CUarray *a, const CUDA_ARRAY_DESCRIPTOR_v1 *d)
{
	return array_new((void **)a, (uint64_t)d->Width * (d->Height ? d->Height : 1) *
				     fmt_bytes(d->Format) * d->NumChannels);
}

EXPORT CUresult cuArray3DCreate_v2(CUarray *a, const CUDA_ARRAY3D_DESCRIPTOR *d)
{
	return array_new((void **)a, d->Width * (d->Height ? d->Height : 1) * (d->Depth ? d->Depth : 1) *
				     fmt_bytes(d->Format) * d->NumChannels);
}

EXPORT CUresult cuArray3DCreate(CUarray *a, const CUDA_ARRAY3D_DESCRIPTOR_v1 *d)
{
	return array_new((void **)a, (uint64_t)d->Width * (d->Height ? d->Height : 1) *
				     (d->Depth ? d->Depth : 1) * fmt_bytes(d->Format) * d->NumChannels);
}

EXPORT CUresult cuArrayDestroy(CUarray a) { return array_del(a); }

EXPORT CUresult cuMipmappedArrayCreate(CUmipmappedArray *m, const CUDA_ARRAY3D_DESCRIPTOR *d,
				       unsigned int levels)
{
	uint64_t sum = 0, w = d->Width, h = d->Height, z = d->Depth;

	for (unsigned int i = 0; i < levels; i++) {
		sum += w * (h ? h : 1) * (z ? z : 1) * fmt_bytes(d->Format) * d->NumChannels;
		w = w > 1 ? w / 2 : 1;
		h = h > 1 ? h / 2 : h;
		z = z > 1 ? z / 2 : z;
	}
	return array_new((void **)m, sum);
}

EXPORT CUresult cuMipmappedArrayDestroy(CUmipmappedArray m) { return array_del(m); }

/* ---- pinned host memory: real anonymous memory ---- */
static CUresult host_alloc(void **pp, size_t bytes)
{
	void *p;

	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return CUDA_ERROR_OUT_OF_MEMORY;
	memset(p, 0, bytes);
	pthread_mutex_lock(&lock);
	add(5, (uint64_t)(uintptr_t)p, bytes);
	pthread_mutex_unlock(&lock);
	*pp = p;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemHostAlloc(void **pp, size_t b, unsigned int f) { (void)f; return host_alloc(pp, b); }
EXPORT CUresult cuMemAllocHost(void **pp, unsigned int b) { return host_alloc(pp, b); }
EXPORT CUresult cuMemAllocHost_v2(void **pp, size_t b) { return host_alloc(pp, b); }

EXPORT CUresult cuMemFreeHost(void *p)
{
	struct obj *o;

	pthread_mutex_lock(&lock);
	o = find(5, (uint64_t)(uintptr_t)p, 1);
	pthread_mutex_unlock(&lock);
	if (!o)
		return CUDA_ERROR_INVALID_VALUE;
	munmap(p, o->bytes);
	free(o);
	return CUDA_SUCCESS;
}

static CUresult host_register(void *p, size_t b)
{
	pthread_mutex_lock(&lock);
	add(6, (uint64_t)(uintptr_t)p, b);
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemHostRegister(void *p, size_t b, unsigned int f) { (void)f; return host_register(p, b); }
EXPORT CUresult cuMemHostRegister_v2(void *p, size_t b, unsigned int f) { (void)f; return host_register(p, b); }

EXPORT CUresult cuMemHostUnregister(void *p)
{
	struct obj *o;

	pthread_mutex_lock(&lock);
	o = find(6, (uint64_t)(uintptr_t)p, 1);
	pthread_mutex_unlock(&lock);
	free(o);
	return o ? CUDA_SUCCESS : CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED;
}

/* ---- launches over a made-up device queue ---- */
#include <time.h>

static uint64_t busy_until;	/* ns, CLOCK_MONOTONIC */
static uint64_t launches;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static CUresult launch(CUstream s)
{
	const char *e = getenv("FAKECUDA_KERNEL_US");
	uint64_t k = (e ? strtoull(e, NULL, 0) : 1000) * 1000, now = mono_ns();

	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	if (s == (CUstream)0xca97)
		return CUDA_SUCCESS;	/* captured: runs at the graph's launch */
	pthread_mutex_lock(&lock);
	busy_until = (busy_until > now ? busy_until : now) + k;
	launches++;
	now = busy_until > now + 20000000ull ? busy_until - 20000000ull - now : 0;
	pthread_mutex_unlock(&lock);
	if (now) {	/* a full queue (20 ms of work) blocks the launch, as a driver's does */
		struct timespec ts = { (time_t)(now / 1000000000ull), (long)(now % 1000000000ull) };

		nanosleep(&ts, NULL);
	}
	return CUDA_SUCCESS;
}

static CUresult function_ctx(CUfunction f);

EXPORT CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
			       unsigned int by, unsigned int bz, unsigned int sh, CUstream s, void **p, void **x)
{
	CUresult r = function_ctx(f);

	(void)gx; (void)gy; (void)gz; (void)bx; (void)by; (void)bz; (void)sh; (void)p; (void)x;
	return r ?: launch(s);
}

EXPORT CUresult cuGraphLaunch(CUgraphExec g, CUstream s) { (void)g; return launch(s); }

static int capturing_now, capture_invalidated;

EXPORT CUresult cuStreamBeginCapture_v2(CUstream s, CUstreamCaptureMode mode)
{
	(void)s; (void)mode;
	pthread_mutex_lock(&lock);
	capturing_now++;
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamEndCapture(CUstream s, CUgraph *g)
{
	CUresult r;

	(void)s;
	*g = NULL;
	pthread_mutex_lock(&lock);
	if (!capturing_now) {
		pthread_mutex_unlock(&lock);
		return CUDA_ERROR_ILLEGAL_STATE;
	}
	r = capture_invalidated ? CUDA_ERROR_STREAM_CAPTURE_INVALIDATED : CUDA_SUCCESS;
	if (!--capturing_now)
		capture_invalidated = 0;
	pthread_mutex_unlock(&lock);
	return r;
}

EXPORT CUresult cuCtxSynchronize(void)
{
	uint64_t until, now = mono_ns();

	pthread_mutex_lock(&lock);
	if (capturing_now) {
		capture_invalidated = 1;
		pthread_mutex_unlock(&lock);
		return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
	}
	until = busy_until;
	pthread_mutex_unlock(&lock);
	if (until > now) {
		struct timespec ts = { (time_t)((until - now) / 1000000000ull),
				       (long)((until - now) % 1000000000ull) };

		nanosleep(&ts, NULL);
	}
	return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamIsCapturing(CUstream s, CUstreamCaptureStatus *st)
{
	*st = s == (CUstream)0xca97 ? CU_STREAM_CAPTURE_STATUS_ACTIVE : CU_STREAM_CAPTURE_STATUS_NONE;
	return CUDA_SUCCESS;
}

/* ---- what libvgpu's CUDA backend calls besides ---- */
EXPORT CUresult cuGetErrorString(CUresult r, const char **s)
{
	*s = r == CUDA_SUCCESS ? "no error" : "fakecuda error";
	return CUDA_SUCCESS;
}

EXPORT CUresult cuGetErrorName(CUresult r, const char **s)
{
	*s = r == CUDA_SUCCESS ? "CUDA_SUCCESS" : "CUDA_ERROR_FAKECUDA";
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice d)
{
	(void)d;
	strncpy(name, "fakecuda device", (size_t)len);
	if (len > 0)
		name[len - 1] = 0;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetAttribute(int *v, CUdevice_attribute a, CUdevice d)
{
	(void)d;
	switch (a) {
	case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 9; break;
	case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 0; break;
	case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = 132; break;
	case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *v = 32; break;
	case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = 1024; break;
	case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *v = 48 << 10; break;
	case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *v = 227 << 10; break;
	default: *v = 0; break;
	}
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceTotalMem_v2(size_t *b, CUdevice d)
{
	(void)d;
	*b = (size_t)total_bytes();
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetPCIBusId(char *bus, int len, CUdevice d)
{
	(void)d;
	strncpy(bus, "0000:fa:00.0", (size_t)len);
	if (len > 0)
		bus[len - 1] = 0;
	return CUDA_SUCCESS;
}

/*
 * modules and functions: handles only (a launch runs nothing). A function
 * belongs to the context current when it was got (its handle is that
 * context's id + 8; contexts' ids are multiples of 0x10), and a launch of it
 * while another context is current is refused, as the driver does.
 */
static char fake_module;

static CUresult function_ctx(CUfunction f)
{
	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	return (uintptr_t)f == (uintptr_t)current + 8 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

EXPORT CUresult cuModuleLoadDataEx(CUmodule *m, const void *img, unsigned int n, CUjit_option *o,
				   void **v)
{
	(void)img; (void)n; (void)o; (void)v;
	*m = (CUmodule)&fake_module;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleLoadData(CUmodule *m, const void *img)
{
	return cuModuleLoadDataEx(m, img, 0, NULL, NULL);
}

EXPORT CUresult cuModuleUnload(CUmodule m) { (void)m; return CUDA_SUCCESS; }

EXPORT CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name)
{
	(void)m; (void)name;
	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	*f = (CUfunction)((uintptr_t)current + 8);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleGetGlobal_v2(CUdeviceptr *p, size_t *b, CUmodule m, const char *name)
{
	(void)p; (void)b; (void)m; (void)name;
	return CUDA_ERROR_NOT_FOUND;
}

EXPORT CUresult cuFuncGetAttribute(int *v, CUfunction_attribute a, CUfunction f)
{
	(void)a; (void)f;
	*v = 0;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuFuncSetAttribute(CUfunction f, CUfunction_attribute a, int v)
{
	(void)f; (void)a; (void)v;
	return CUDA_SUCCESS;
}

/* streams share the made-up queue; an event is the queue's end when recorded */
EXPORT CUresult cuStreamCreate(CUstream *s, unsigned int flags)
{
	(void)flags;
	*s = (CUstream)malloc(1);
	return *s ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

EXPORT CUresult cuStreamDestroy_v2(CUstream s) { free(s); return CUDA_SUCCESS; }
EXPORT CUresult cuStreamSynchronize(CUstream s) { (void)s; return cuCtxSynchronize(); }

EXPORT CUresult cuStreamQuery(CUstream s)
{
	uint64_t until;

	(void)s;
	pthread_mutex_lock(&lock);
	until = busy_until;
	pthread_mutex_unlock(&lock);
	return until > mono_ns() ? CUDA_ERROR_NOT_READY : CUDA_SUCCESS;
}

EXPORT CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned int f)
{
	(void)s; (void)e; (void)f;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuEventCreate(CUevent *e, unsigned int flags)
{
	(void)flags;
	*e = (CUevent)calloc(1, sizeof(uint64_t));
	return *e ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

EXPORT CUresult cuEventDestroy_v2(CUevent e) { free(e); return CUDA_SUCCESS; }

EXPORT CUresult cuEventRecord(CUevent e, CUstream s)
{
	uint64_t now = mono_ns();

	(void)s;
	pthread_mutex_lock(&lock);
	*(uint64_t *)e = busy_until > now ? busy_until : now;
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuEventQuery(CUevent e)
{
	return *(uint64_t *)e > mono_ns() ? CUDA_ERROR_NOT_READY : CUDA_SUCCESS;
}

EXPORT CUresult cuEventSynchronize(CUevent e)
{
	uint64_t at = *(uint64_t *)e, now = mono_ns();

	if (at > now) {
		struct timespec ts = { (time_t)((at - now) / 1000000000ull),
				       (long)((at - now) % 1000000000ull) };

		nanosleep(&ts, NULL);
	}
	return CUDA_SUCCESS;
}

EXPORT CUresult cuEventElapsedTime(float *ms, CUevent a, CUevent b)
{
	*ms = (float)((double)(int64_t)(*(uint64_t *)b - *(uint64_t *)a) / 1e6);
	return CUDA_SUCCESS;
}

/* copies: no memory behind the made-up device pointers */
EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *h, size_t n)
{
	(void)d; (void)h; (void)n;
	return CUDA_ERROR_NOT_SUPPORTED;
}

EXPORT CUresult cuMemcpyDtoH_v2(void *h, CUdeviceptr d, size_t n)
{
	(void)d; (void)h; (void)n;
	return CUDA_ERROR_NOT_SUPPORTED;
}

EXPORT CUresult cuMemcpyDtoD_v2(CUdeviceptr a, CUdeviceptr b, size_t n)
{
	(void)a; (void)b; (void)n;
	return CUDA_ERROR_NOT_SUPPORTED;
}

EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *h, size_t n, CUstream s)
{
	(void)s;
	return cuMemcpyHtoD_v2(d, h, n);
}

EXPORT CUresult cuMemcpyDtoHAsync_v2(void *h, CUdeviceptr d, size_t n, CUstream s)
{
	(void)s;
	return cuMemcpyDtoH_v2(h, d, n);
}

EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr a, CUdeviceptr b, size_t n, CUstream s)
{
	(void)s;
	return cuMemcpyDtoD_v2(a, b, n);
}

/* ---- cuGetProcAddress: a hand-written table, as a driver keeps one ---- */

/* a cuMemAlloc of a future ABI no header knows: (size, flags, pointer) */
static CUresult future_mem_alloc(size_t bytes, unsigned long long flags, CUdeviceptr *p)
{
	(void)flags;
	return dev_alloc((uint64_t *)p, bytes, 1, 0);
}

EXPORT CUresult cuGetProcAddress(const char *symbol, void **pfn, int ver, cuuint64_t flags);

#define E(base, v, ptds, fn) { base, v, ptds, (void *)fn }
static const struct {
	const char *base;
	int version, ptds;
	void *fn;
} table[] = {
	E("cuInit", 2000, 0, cuInit),
	E("cuDriverGetVersion", 2020, 0, cuDriverGetVersion),
	E("cuDeviceGet", 2000, 0, cuDeviceGet),
	E("cuDeviceGetCount", 2000, 0, cuDeviceGetCount),
	E("cuDeviceGetUuid", 11040, 0, cuDeviceGetUuid_v2),
	E("cuCtxGetCurrent", 4000, 0, cuCtxGetCurrent),
	E("cuCtxSetCurrent", 4000, 0, cuCtxSetCurrent),
	E("cuStreamBeginCapture", 10010, 0, cuStreamBeginCapture_v2),
	E("cuStreamEndCapture", 10000, 0, cuStreamEndCapture),
	E("cuCtxGetDevice", 2000, 0, cuCtxGetDevice),
	E("cuCtxCreate", 2000, 0, cuCtxCreate),
	E("cuCtxCreate", 3020, 0, cuCtxCreate_v2),
	E("cuCtxCreate", 11040, 0, cuCtxCreate_v3),
	E("cuCtxCreate", 12050, 0, cuCtxCreate_v4),
	E("cuCtxDestroy", 2000, 0, cuCtxDestroy),
	E("cuCtxDestroy", 4000, 0, cuCtxDestroy_v2),
	E("cuDevicePrimaryCtxRetain", 7000, 0, cuDevicePrimaryCtxRetain),
	E("cuDevicePrimaryCtxRelease", 7000, 0, cuDevicePrimaryCtxRelease),
	E("cuDevicePrimaryCtxRelease", 11000, 0, cuDevicePrimaryCtxRelease_v2),
	E("cuDevicePrimaryCtxReset", 7000, 0, cuDevicePrimaryCtxReset),
	E("cuDevicePrimaryCtxReset", 11000, 0, cuDevicePrimaryCtxReset_v2),
	E("cuMemAlloc", 2000, 0, cuMemAlloc),
	E("cuMemAlloc", 3020, 0, cuMemAlloc_v2),
	E("cuMemAlloc", 99000, 0, future_mem_alloc),
	E("cuMemFree", 2000, 0, cuMemFree),
	E("cuMemFree", 3020, 0, cuMemFree_v2),
	E("cuMemAllocPitch", 2000, 0, cuMemAllocPitch),
	E("cuMemAllocPitch", 3020, 0, cuMemAllocPitch_v2),
	E("cuMemAllocManaged", 6000, 0, cuMemAllocManaged),
	E("cuMemGetInfo", 2000, 0, cuMemGetInfo),
	E("cuMemGetInfo", 3020, 0, cuMemGetInfo_v2),
	E("cuMemAllocAsync", 11020, 0, cuMemAllocAsync),
	E("cuMemAllocAsync", 11020, 1, cuMemAllocAsync_ptsz),
	E("cuMemAllocFromPoolAsync", 11020, 0, cuMemAllocFromPoolAsync),
	E("cuMemAllocFromPoolAsync", 11020, 1, cuMemAllocFromPoolAsync_ptsz),
	E("cuMemFreeAsync", 11020, 0, cuMemFreeAsync),
	E("cuMemFreeAsync", 11020, 1, cuMemFreeAsync_ptsz),
	E("cuMemPoolCreate", 11020, 0, cuMemPoolCreate),
	E("cuMemPoolDestroy", 11020, 0, cuMemPoolDestroy),
	E("cuMemPoolTrimTo", 11020, 0, cuMemPoolTrimTo),
	E("cuDeviceGetDefaultMemPool", 11020, 0, cuDeviceGetDefaultMemPool),
	E("cuMemCreate", 10020, 0, cuMemCreate),
	E("cuMemRelease", 10020, 0, cuMemRelease),
	E("cuMemMap", 10020, 0, cuMemMap),
	E("cuMemUnmap", 10020, 0, cuMemUnmap),
	E("cuMemAddressReserve", 10020, 0, cuMemAddressReserve),
	E("cuMemHostAlloc", 2020, 0, cuMemHostAlloc),
	E("cuMemAllocHost", 2000, 0, cuMemAllocHost),
	E("cuMemAllocHost", 3020, 0, cuMemAllocHost_v2),
	E("cuMemFreeHost", 2000, 0, cuMemFreeHost),
	E("cuMemHostRegister", 4000, 0, cuMemHostRegister),
	E("cuMemHostRegister", 6050, 0, cuMemHostRegister_v2),
	E("cuMemHostUnregister", 4000, 0, cuMemHostUnregister),
	E("cuArrayCreate", 2000, 0, cuArrayCreate),
	E("cuArrayCreate", 3020, 0, cuArrayCreate_v2),
	E("cuArrayDestroy", 2000, 0, cuArrayDestroy),
	E("cuGetProcAddress", 11030, 0, cuGetProcAddress),
	E("cuGetProcAddress", 12000, 0, cuGetProcAddress_v2),
};

EXPORT CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int ver, cuuint64_t flags,
				    CUdriverProcAddressQueryResult *st)
{
	int best = -1;
	int ptds = !!(flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM);

	for (int pass = 0; pass < 2 && best < 0; pass++)
		for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (!strcmp(table[i].base, symbol) && table[i].version <= ver &&
			    table[i].ptds == (pass ? 0 : ptds) &&
			    (best < 0 || table[i].version >= table[best].version))
				best = (int)i;
	if (best < 0) {
		if (st)
			*st = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
		*pfn = NULL;
		return CUDA_ERROR_NOT_FOUND;
	}
	if (st)
		*st = CU_GET_PROC_ADDRESS_SUCCESS;
	*pfn = table[best].fn;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuGetProcAddress(const char *symbol, void **pfn, int ver, cuuint64_t flags)
{
	return cuGetProcAddress_v2(symbol, pfn, ver, flags, NULL);
}
